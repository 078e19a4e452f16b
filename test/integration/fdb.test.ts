/**
 * rt.fdb against the kernel, with `bridge -j fdb show` as the oracle: bridge FDB entries
 * (master/self, static/permanent, sticky, extern_learn, vlan) and VXLAN FDB entries (dst, vni,
 * port, via) round-trip; append builds the all-zeros head-end replication list one remote at
 * a time and del removes one remote; bad input is refused before sending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, bridgeJson, ip, isRoot } from '../helpers/netns';
import { itRequires } from '../helpers/requires';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** Our entry in the keys `bridge -j fdb show` uses. */
function asBridge(e: nl.FdbEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { mac: e.lladdr, ifname: e.dev };
  if (e.vlan !== undefined) out.vlan = e.vlan;
  if (e.dst) out.dst = e.dst;
  if (e.port !== undefined) out.port = e.port;
  if (e.vni !== undefined) out.vni = e.vni;
  if (e.viaName) out.viaIf = e.viaName;
  // bridge shows the master by name instead of a 'master' flag.
  out.flags = e.flags.filter((f) => f !== 'master');
  if (e.masterName) out.master = e.masterName;
  out.state = e.state === 'dynamic' ? '' : e.state;
  return out;
}

/** Both views of the entries for one MAC on one device. */
async function both(dev: string, mac: string): Promise<[nl.FdbEntry[], any[]]> {
  const ours = (await rt.fdb.list()).filter((e) => e.dev === dev && e.lladdr === mac);
  const theirs = bridgeJson(ns, 'fdb', 'show').filter((e: any) => e.ifname === dev && e.mac === mac);
  return [ours, theirs];
}

async function sameAsBridge(dev: string, mac: string): Promise<nl.FdbEntry[]> {
  const [ours, theirs] = await both(dev, mac);
  expect(ours.length, `${dev} ${mac}`).toBeGreaterThan(0);
  expect(ours.map(asBridge)).toEqual(theirs);
  return ours;
}

describe.skipIf(!isRoot)('rt.fdb (root)', () => {
  beforeAll(async () => {
    ns = pool.add('fdb');
    const sh = (...a: string[]) => ip('-n', ns, ...a);
    sh('link', 'add', 'br0', 'type', 'bridge');
    sh('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    sh('link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1');
    sh('link', 'set', 'p0', 'master', 'br0');
    sh('address', 'add', '192.168.50.1/24', 'dev', 'u0');
    sh('link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '192.168.50.1', 'nolearning');
    sh('link', 'set', 'vx0', 'master', 'br0');
    for (const l of ['br0', 'p0', 'p1', 'u0', 'u1', 'vx0']) sh('link', 'set', l, 'up');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  const bridgeCases: [string, nl.FdbSpec][] = [
    ['master, permanent (the default): a local address', { dev: 'p0', lladdr: '02:00:00:00:10:01', master: true }],
    ['master, static', { dev: 'p0', lladdr: '02:00:00:00:10:02', master: true, state: 'static' }],
    ['master, static, sticky', { dev: 'p0', lladdr: '02:00:00:00:10:03', master: true, state: 'static', sticky: true }],
    ['master, extern_learn', { dev: 'p0', lladdr: '02:00:00:00:10:04', master: true, state: 'static', externLearn: true }],
    ['self (the default) on a veth', { dev: 'p1', lladdr: '02:00:00:00:10:05' }],
  ];

  for (const [what, spec] of bridgeCases) {
    it(`bridge FDB ${what} round-trips`, async () => {
      await rt.fdb.add(spec);
      await sameAsBridge(spec.dev as string, spec.lladdr);
    });
  }

  itRequires(['brvlan'], 'bridge FDB entries per VLAN round-trip', async () => {
    ip('-n', ns, 'link', 'add', 'brv', 'type', 'bridge', 'vlan_filtering', '1');
    ip('-n', ns, 'link', 'add', 'q0', 'type', 'veth', 'peer', 'name', 'q1');
    ip('-n', ns, 'link', 'set', 'q0', 'master', 'brv');
    ip('-n', ns, 'link', 'set', 'q0', 'up');
    await rt.bridge.vlan.add('q0', { vid: 10 });
    await rt.fdb.add({ dev: 'q0', lladdr: '02:00:00:00:11:01', master: true, state: 'static', vlan: 10 });
    const [e] = await sameAsBridge('q0', '02:00:00:00:11:01');
    expect(e!.vlan).toBe(10);
    await rt.fdb.del({ dev: 'q0', lladdr: '02:00:00:00:11:01', master: true, vlan: 10 });
    expect((await both('q0', '02:00:00:00:11:01'))[1]).toEqual([]);
  });

  it('VXLAN: appending 00:00:00:00:00:00 once per remote builds the head-end replication list', async () => {
    const zero = '00:00:00:00:00:00';
    await rt.fdb.append({ dev: 'vx0', lladdr: zero, dst: '192.168.50.2' });
    await rt.fdb.append({ dev: 'vx0', lladdr: zero, dst: '192.168.50.3' });
    await rt.fdb.append({ dev: 'vx0', lladdr: zero, dst: '192.168.50.4', vni: 43, port: 4790 });
    const ours = await sameAsBridge('vx0', zero);
    expect(ours.map((e) => e.dst).sort()).toEqual(['192.168.50.2', '192.168.50.3', '192.168.50.4']);
    expect(ours.find((e) => e.dst === '192.168.50.4')).toMatchObject({ vni: 43, port: 4790, flags: ['self'] });
    // Deleting with a dst removes that remote only.
    await rt.fdb.del({ dev: 'vx0', lladdr: zero, dst: '192.168.50.3' });
    expect((await sameAsBridge('vx0', zero)).map((e) => e.dst).sort()).toEqual(['192.168.50.2', '192.168.50.4']);
    // add of the same MAC again is EEXIST: only append adds remotes.
    const dup = await rt.fdb.add({ dev: 'vx0', lladdr: zero, dst: '192.168.50.9' }).catch((e) => e);
    expect(dup).toBeInstanceOf(nl.NetlinkError);
    expect(dup.code).toBe('EEXIST');
  });

  it('VXLAN: a unicast entry with dst, vni, port and via', async () => {
    const mac = '02:00:00:00:20:01';
    await rt.fdb.add({ dev: 'vx0', lladdr: mac, dst: '192.168.50.7', vni: 4242, port: 8472, via: 'u0' });
    const [e] = await sameAsBridge('vx0', mac);
    expect(e).toMatchObject({ dst: '192.168.50.7', vni: 4242, port: 8472, viaName: 'u0', state: 'permanent' });
    await rt.fdb.replace({ dev: 'vx0', lladdr: mac, dst: '192.168.50.8' });
    expect((await sameAsBridge('vx0', mac)).map((x) => x.dst)).toEqual(['192.168.50.8']);
    await rt.fdb.del({ dev: 'vx0', lladdr: mac });
    expect((await both('vx0', mac))[1]).toEqual([]);
  });

  it('list filters by port and by bridge in the kernel', async () => {
    const p0 = await rt.fdb.list({ dev: 'p0' });
    expect(p0.length).toBeGreaterThan(0);
    expect(p0.every((e) => e.dev === 'p0')).toBe(true);
    const br = await rt.fdb.list({ br: 'br0' });
    expect(br.every((e) => ['br0', 'p0', 'vx0'].includes(e.dev!))).toBe(true);
    const all = await rt.fdb.list();
    expect(all.length).toBe(bridgeJson(ns, 'fdb', 'show').length);
  });

  it('del of a missing entry rejects with the kernel error', async () => {
    const err = await rt.fdb.del({ dev: 'p0', lladdr: '02:00:00:00:99:99', master: true }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('ENOENT');
    expect(err.operation).toBe('fdb.del');
  });

  it('rejects bad input with a ValidationError naming the field', async () => {
    const bad: [nl.FdbSpec, string][] = [
      [{ dev: 'p0', lladdr: '02:00:00:00:00' }, 'lladdr'],
      [{ dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '192.168.50.300' }, 'dst'],
      [{ dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '192.168.50.2', vni: 1 << 24 }, 'vni'],
      [{ dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '192.168.50.2', port: 70000 }, 'port'],
      [{ dev: 'p0', lladdr: '02:00:00:00:00:01', vlan: 4095 }, 'vlan'],
      [{ dev: 'p0', lladdr: '02:00:00:00:00:01', state: 'sleepy' as any }, 'state'],
      [{ dev: 'vx0', lladdr: '02:00:00:00:00:01', via: '' }, 'via'],
    ];
    for (const [spec, field] of bad) {
      const err = await rt.fdb.add(spec).catch((e) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(nl.ValidationError);
      expect(err.field).toBe(field);
    }
  });
});
