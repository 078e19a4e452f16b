/**
 * ethtool over netlink, and the raw generic netlink layer, against the real kernel with
 * Debian's `ethtool` and iproute2's `genl` as oracles, both ways: what we set, ethtool shows;
 * what ethtool sets, we read. On veth and tap in namespaces each test run makes (and removes).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlinkError, ValidationError } from '../../lib/errors';
import { open as openEthtool, type Ethtool } from '../../lib/genetlink/ethtool/ethtool';
import { open as openGenl, type Genl } from '../../lib/genetlink/genl';
import { NetnsPool, ip } from '../helpers/netns';
import { describeRequires } from '../helpers/requires';

function ethtool(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'ethtool', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `ethtool -k` as { name: { on, fixed, requested? } }, in print order. */
function ethtoolK(ns: string, dev: string): Map<string, { on: boolean; fixed: boolean; requested?: boolean }> {
  const out = new Map<string, { on: boolean; fixed: boolean; requested?: boolean }>();
  for (const line of ethtool(ns, '-k', dev).split('\n').slice(1)) {
    const m = /^\s*([^:]+): (on|off)( \[fixed\]| \[requested (on|off)\])?$/.exec(line);
    if (!m) continue;
    out.set(m[1]!, { on: m[2] === 'on', fixed: m[3] === ' [fixed]', ...(m[4] ? { requested: m[4] === 'on' } : {}) });
  }
  return out;
}

/** The "Current hardware settings" block of `ethtool -l` / `-g` as { RX: n, … }. */
function current(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const block = text.split('Current hardware settings:')[1] ?? '';
  for (const line of block.split('\n')) {
    const m = /^([A-Za-z ]+):\s+(\d+)$/.exec(line.trim());
    if (m) out[m[1]!.trim()] = Number(m[2]);
  }
  return out;
}

async function expectSameAsEthtoolK(et: Ethtool, ns: string, dev: string): Promise<void> {
  const ours = await et.features(dev);
  const theirs = ethtoolK(ns, dev);
  expect(Object.keys(ours)).toEqual([...theirs.keys()]);
  for (const [name, t] of theirs) {
    const o = ours[name]!;
    expect({ name, on: o.active }).toEqual({ name, on: t.on });
    // ethtool marks [fixed] / [requested …] on single features; a group's line has no marker.
    if (t.fixed) expect({ name, fixed: o.fixed }).toEqual({ name, fixed: true });
    if (t.requested !== undefined) expect({ name, requested: o.requested }).toEqual({ name, requested: t.requested });
  }
}

describeRequires(['root', 'veth'], 'ethtool over netlink on veth and tap', () => {
  const pool = new NetnsPool();
  let ns: string;
  let et: Ethtool;

  beforeAll(async () => {
    ns = pool.add('ethtool');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('-n', ns, 'tuntap', 'add', 'mode', 'tap', 'name', 't0');
    et = await openEthtool({ netns: ns });
  });
  afterAll(() => {
    et?.close();
    pool.cleanup();
  });

  it('reads features with the names and states ethtool -k shows (veth and tap)', async () => {
    await expectSameAsEthtoolK(et, ns, 'v0');
    await expectSameAsEthtoolK(et, ns, 't0');
    const f = await et.features('v0');
    expect(f['generic-receive-offload']).toMatchObject({ fixed: false });
    expect(f['tx-checksum-ipv4']).toMatchObject({ fixed: true });
  });

  it('features we toggle show in ethtool -k, and features ethtool toggles show in ours', async () => {
    const before = (await et.features('v0'))['generic-receive-offload']!.active;
    await et.setFeatures('v0', { 'generic-receive-offload': !before });
    expect(ethtoolK(ns, 'v0').get('generic-receive-offload')!.on).toBe(!before);
    await et.setFeatures('v0', { gro: before, tso: false }); // legacy short names, as ethtool -K takes
    expect(ethtoolK(ns, 'v0').get('generic-receive-offload')!.on).toBe(before);
    expect(ethtoolK(ns, 'v0').get('tcp-segmentation-offload')!.on).toBe(false);

    ethtool(ns, '-K', 'v0', 'tso', 'on', 'sg', 'off');
    const f = await et.features('v0');
    expect(f['scatter-gather']!.active).toBe(false);
    expect(f['tx-scatter-gather']!.active).toBe(false);
    // TSO needs scatter-gather: requested on, kept off — the [requested on] ethtool prints.
    expect(f['tx-tcp-segmentation']).toMatchObject({ active: false, requested: true });
    await expectSameAsEthtoolK(et, ns, 'v0');
    ethtool(ns, '-K', 'v0', 'sg', 'on');
    expect((await et.features('v0'))['tx-tcp-segmentation']!.active).toBe(true);

    // tap: scatter-gather is one of tun's changeable features.
    await et.setFeatures('t0', { 'scatter-gather': false });
    expect(ethtoolK(ns, 't0').get('scatter-gather')!.on).toBe(false);
    ethtool(ns, '-K', 't0', 'sg', 'on');
    expect((await et.features('t0'))['scatter-gather']!.active).toBe(true);
    await expectSameAsEthtoolK(et, ns, 't0');
  });

  it('reports which requested features the driver refused, and what changed', async () => {
    ethtool(ns, '-K', 'v0', 'sg', 'on', 'tso', 'on');
    // tx-checksum-ipv4 is fixed off on veth; turning sg off drags TSO down with it.
    const r = await et.setFeatures('v0', { 'tx-checksum-ipv4': true, sg: false });
    expect(r.refused).toMatchObject({ 'tx-checksum-ipv4': true });
    expect(r.changed).toMatchObject({ 'tx-scatter-gather': false, 'tx-tcp-segmentation': false });
    expect(r.changed['tx-checksum-ipv4']).toBeUndefined();
    const ok = await et.setFeatures('v0', { sg: true });
    expect(ok.refused).toEqual({});
    ethtool(ns, '-K', 'v0', 'tso', 'on');
  });

  it('rejects unknown feature names and non-boolean values before sending', async () => {
    await expect(et.setFeatures('v0', { 'no-such-offload': true })).rejects.toMatchObject({ name: 'ValidationError', field: 'features.no-such-offload' });
    await expect(et.setFeatures('v0', { gro: 'off' as unknown as boolean })).rejects.toMatchObject({ field: 'features.gro' });
    await expect(et.features('')).rejects.toBeInstanceOf(ValidationError);
    await expect(et.channels('v0', { sigal: 1 } as never)).rejects.toMatchObject({ field: 'sigal' });
  });

  it('sets channels on veth that ethtool -l shows, and reads what ethtool -L set', async () => {
    const ch = await et.channels('v0');
    const l = ethtool(ns, '-l', 'v0');
    expect(current(l)).toMatchObject({ RX: ch.rx, TX: ch.tx });
    expect(ch.max.rx).toBeGreaterThanOrEqual(1);
    const want = ch.max.rx!;
    await et.setChannels('v0', { rx: want });
    expect(current(ethtool(ns, '-l', 'v0')).RX).toBe(want);
    ethtool(ns, '-L', 'v0', 'rx', '1', 'tx', String(ch.max.tx));
    expect(await et.channels('v0')).toMatchObject({ rx: 1, tx: ch.max.tx });
  });

  it('turns a driver refusal into a NetlinkError with the kernel text', async () => {
    const ch = await et.channels('v0');
    const err = await et.setChannels('v0', { rx: ch.max.rx! + 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('EINVAL');
    expect(err.extack).toMatch(/exceed/i);
    // veth has no ring settings: EOPNOTSUPP, as `ethtool -g` reports.
    await expect(et.rings('v0')).rejects.toMatchObject({ code: 'EOPNOTSUPP' });
    await expect(et.channels('nosuch0')).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(et.setChannels('v0', { rx: -1 })).rejects.toMatchObject({ field: 'channels.rx' });
    await expect(et.setChannels('v0', { queues: 1 } as never)).rejects.toMatchObject({ field: 'channels.queues' });
  });

  it('reads driver info as ethtool -i prints it (the one ioctl), in the handle\'s namespace, by name or ifindex', async () => {
    for (const dev of ['v0', 't0']) {
      const theirs = Object.fromEntries(ethtool(ns, '-i', dev).split('\n').filter((l) => l.includes(': ') || l.endsWith(':'))
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
      const ours = await et.driverInfo(dev);
      expect({ dev, driver: ours.driver, version: ours.version, fw: ours.firmwareVersion, bus: ours.busInfo })
        .toEqual({ dev, driver: theirs['driver'], version: theirs['version'], fw: theirs['firmware-version'], bus: theirs['bus-info'] });
      expect(ours.stats > 0 ? 'yes' : 'no').toBe(theirs['supports-statistics']);
      const index = Number(ip('-n', ns, '-j', 'link', 'show', dev).match(/"ifindex":(\d+)/)![1]);
      expect((await et.driverInfo(index)).dev).toBe(dev);
    }
    // v0 exists only inside the handle's namespace: found there, so the ioctl ran in it.
    await expect(et.driverInfo('nope0')).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(et.driverInfo('bad name')).rejects.toBeInstanceOf(ValidationError);
  });

  it('reads link info, modes and state as ethtool prints them', async () => {
    ip('-n', ns, 'link', 'set', 'v0', 'up');
    ip('-n', ns, 'link', 'set', 'v1', 'up');
    const text = ethtool(ns, 'v0');
    const line = (k: string) => new RegExp(`^\\s*${k}: (.*)$`, 'm').exec(text)?.[1];
    const modes = await et.linkModes('v0');
    expect(`${modes.speed}Mb/s`).toBe(line('Speed'));
    expect(modes.duplex).toBe(line('Duplex')!.toLowerCase());
    expect(modes.autoneg ? 'on' : 'off').toBe(line('Auto-negotiation'));
    const info = await et.linkInfo('v0');
    expect(info.port).toBe(line('Port') === 'Twisted Pair' ? 'tp' : line('Port'));
    expect(String(info.phyaddr)).toBe(line('PHYAD'));
    expect(info.transceiver).toBe(line('Transceiver'));
    const state = await et.linkState('v0');
    expect(state.link ? 'yes' : 'no').toBe(line('Link detected'));
    const index = Number(JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'v0'))[0].ifindex);
    expect(await et.linkState(index)).toEqual(state);
  });

  it('asks for the standard statistics groups (none on veth) and rejects unknown groups', async () => {
    expect(await et.stats('v0')).toEqual({});
    await expect(et.stats('v0', { groups: ['eth-mac', 'nope'] })).rejects.toMatchObject({ field: 'groups[1]' });
  });
});

describeRequires(['root', 'veth'], 'generic netlink raw layer', () => {
  const pool = new NetnsPool();
  let ns: string;
  let g: Genl;

  beforeAll(async () => {
    ns = pool.add('genl');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    g = await openGenl({ netns: ns });
  });
  afterAll(() => {
    g?.close();
    pool.cleanup();
  });

  it('resolves families as genl ctrl does, and names the family it cannot find', async () => {
    const fam = await g.family('nlctrl');
    const text = execFileSync('genl', ['ctrl', 'get', 'name', 'nlctrl'], { encoding: 'utf8' });
    expect(`0x${fam.id.toString(16)}`).toBe(/ID: (0x[0-9a-f]+)/.exec(text)![1]);
    expect(`0x${fam.version.toString(16)}`).toBe(/Version: (0x[0-9a-f]+)/.exec(text)![1]);
    expect(fam.ops.find((o) => o.id === 3)).toMatchObject({ do: true, dump: true });
    const names = (await g.families()).map((f) => f.name).sort();
    const theirs = [...execFileSync('ip', ['netns', 'exec', ns, 'genl', 'ctrl', 'list'], { encoding: 'utf8' }).matchAll(/^Name: (\S+)/gm)].map((m) => m[1]).sort();
    expect(names).toEqual(theirs);
    expect((await g.family('ethtool')).groups.map((x) => x.name)).toContain('monitor');
    const err = await g.family('no-such-family').catch((e) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('ENOENT');
    expect(err.message).toContain('"no-such-family"');
  });

  const ETHTOOL_CHANNELS = {
    1: { name: 'header', type: 'nested', nested: { 1: { name: 'index', type: 'u32' }, 2: { name: 'name', type: 'string' } } },
    2: { name: 'rxMax', type: 'u32' },
    6: { name: 'rx', type: 'u32' },
    7: { name: 'tx', type: 'u32' },
  } as const;

  it('sends requests and decodes replies with a caller-supplied schema', async () => {
    ethtool(ns, '-L', 'v0', 'rx', '1');
    const [reply] = await g.request('ethtool', 17 /* CHANNELS_GET */, { schema: ETHTOOL_CHANNELS as never, attrs: { header: { name: 'v0' } } });
    expect(reply).toMatchObject({ family: 'ethtool', cmd: 18 /* CHANNELS_GET_REPLY */, attrs: { header: { name: 'v0' }, rx: 1 } });
    const all = await g.request('ethtool', 17, { dump: true, schema: ETHTOOL_CHANNELS as never, attrs: { header: {} } });
    expect(all.map((m) => m.attrs.header.name).sort()).toEqual(['v0', 'v1']);
    const err = await g.request('ethtool', 17, { schema: ETHTOOL_CHANNELS as never, attrs: { header: { name: 'nosuch' } } }).catch((e) => e);
    expect(err).toMatchObject({ name: 'NetlinkError', code: 'ENODEV' });
    await expect(g.request('ethtool', 17, { schema: ETHTOOL_CHANNELS as never, attrs: { hedaer: {} } })).rejects.toMatchObject({ field: 'attrs.hedaer' });
    await expect(g.request('ethtool', 17, { schema: { 1: { name: 'x', type: 'u31' } } as never })).rejects.toMatchObject({ field: 'schema.1.type' });
  });

  it('subscribes to a multicast group by name and ends when the loop is left', async () => {
    const events = await g.events('ethtool', 'monitor', { schema: ETHTOOL_CHANNELS as never });
    ethtool(ns, '-L', 'v0', 'rx', '2');
    for await (const ev of events) {
      if (ev.cmd !== 19 /* CHANNELS_NTF */) continue;
      expect(ev.attrs).toMatchObject({ header: { name: 'v0' }, rx: 2 });
      break;
    }
    expect(await events.next()).toEqual({ value: undefined, done: true });
    await expect(g.events('ethtool', 'no-group')).rejects.toMatchObject({ field: 'groups' });
  });
});

describe('generic netlink without privileges', () => {
  it('opens in the current namespace and rejects bad options', async () => {
    await expect(openGenl({ netsn: 'x' } as never)).rejects.toMatchObject({ field: 'netsn' });
    await expect(openEthtool({ netns: 'x', netnsPid: 1 })).rejects.toMatchObject({ field: 'netnsPid' });
  });
});
