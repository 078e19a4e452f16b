/**
 * nl.sriov against a fake sysfs tree (plain files in a temp dir standing in for
 * /sys/class/net/<name>/device/…): reading counts, validation, and the clear errors for a
 * missing link or a device without SR-IOV. The real sysfs behaviour (netdevsim refusing
 * N → M without 0) is covered in test/vm/vf.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import * as sriov from '../../lib/rtnetlink/link/vf/sriov';

let root: string;
let opts: sriov.SriovOptions;

function device(name: string, files: Record<string, string>): void {
  const dir = path.join(root, name, 'device');
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), content);
}
const read = (name: string, f: string) => fs.readFileSync(path.join(root, name, 'device', f), 'utf8').trim();

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nljs-sriov-'));
  opts = { sysfsNet: root };
  device('pf0', { sriov_numvfs: '2\n', sriov_totalvfs: '8\n' });
  device('sim0', { sriov_numvfs: '0\n' }); // netdevsim: no sriov_totalvfs
  device('veth0', {}); // a device without SR-IOV
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('nl.sriov (fake sysfs)', () => {
  it('reads the current and the maximum VF count, by name or Link', async () => {
    expect(await sriov.numVfs('pf0', opts)).toBe(2);
    expect(await sriov.numVfs({ name: 'pf0' }, opts)).toBe(2);
    expect(await sriov.totalVfs('pf0', opts)).toBe(8);
    expect(await sriov.totalVfs('sim0', opts)).toBeUndefined();
  });

  it('writes the new count, and leaves an equal count alone', async () => {
    await sriov.setNumVfs('pf0', 6, opts);
    expect(read('pf0', 'sriov_numvfs')).toBe('6');
    await sriov.setNumVfs('pf0', 0, opts);
    expect(read('pf0', 'sriov_numvfs')).toBe('0');
    await sriov.setNumVfs('sim0', 40, opts); // no published limit: the driver decides
    expect(read('sim0', 'sriov_numvfs')).toBe('40');
  });

  it('rejects a count above sriov_totalvfs and bad counts with ValidationError, writing nothing', async () => {
    fs.writeFileSync(path.join(root, 'pf0', 'device', 'sriov_numvfs'), '3\n');
    for (const n of [9, -1, 1.5, NaN, '4' as unknown as number]) {
      const err = await sriov.setNumVfs('pf0', n, opts).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.field).toBe('numVfs');
    }
    expect(read('pf0', 'sriov_numvfs')).toBe('3');
  });

  it('rejects bad link names and ifindexes with ValidationError', async () => {
    for (const link of ['', 'a/b', 'x'.repeat(16), 7 as unknown as string]) {
      const err = await sriov.numVfs(link, opts).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.field).toBe('link');
    }
  });

  it('says ENODEV for a missing link and EOPNOTSUPP for a device without SR-IOV', async () => {
    const gone = await sriov.numVfs('nope0', opts).catch((e) => e);
    expect(gone).toBeInstanceOf(sriov.SriovError);
    expect(gone.code).toBe('ENODEV');
    expect(gone.message).toMatch(/no link named nope0/);
    for (const op of [() => sriov.numVfs('veth0', opts), () => sriov.totalVfs('veth0', opts), () => sriov.setNumVfs('veth0', 1, opts)]) {
      const err = await op().catch((e) => e);
      expect(err).toBeInstanceOf(sriov.SriovError);
      expect(err.code).toBe('EOPNOTSUPP');
      expect(err.errno).toBe(os.constants.errno.EOPNOTSUPP);
      expect(err.message).toMatch(/veth0 has no SR-IOV/);
    }
  });

  it('reports unreadable content as an error, not a number', async () => {
    device('bad0', { sriov_numvfs: 'garbage\n' });
    const err = await sriov.numVfs('bad0', opts).catch((e) => e);
    expect(err).toBeInstanceOf(sriov.SriovError);
    expect(err.code).toBe('EINVAL');
  });
});
