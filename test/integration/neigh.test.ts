/**
 * rt.neigh against the kernel, with `ip -j neigh show nud all` (and `… proxy`) as the oracle:
 * ARP and NDP entries in every settable state and with every flag round-trip; replace, change
 * and del act like iproute2's; bad input is refused before sending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** Our entry in the keys `ip -j neigh` uses. */
function asIp(n: nl.Neighbour): Record<string, unknown> {
  const out: Record<string, unknown> = { dst: n.address, dev: n.dev };
  if (n.lladdr) out.lladdr = n.lladdr;
  for (const f of n.flags) if (f === 'router' || f === 'extern_learn' || f === 'proxy' || f === 'managed') out[f] = null;
  if (!n.flags.includes('proxy')) out.state = n.state.map((s) => s.toUpperCase());
  return out;
}

async function sameAsIp(address: string, proxy = false): Promise<nl.Neighbour> {
  const ours = (await rt.neigh.list({ proxy })).filter((n) => n.address === address);
  const theirs = ipnJson(ns, 'neigh', 'show', ...(proxy ? ['proxy'] : ['nud', 'all'])).filter((n: any) => n.dst === address);
  expect(ours.length, `we list ${address} once`).toBe(1);
  expect(theirs.length, `ip lists ${address} once`).toBe(1);
  const { protocol, ...theirFields } = theirs[0];
  expect(asIp(ours[0]!)).toEqual(theirFields);
  return ours[0]!;
}

describe.skipIf(!isRoot)('rt.neigh (root)', () => {
  beforeAll(async () => {
    ns = pool.add('neigh');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('-n', ns, 'link', 'set', 'v0', 'up');
    ip('-n', ns, 'link', 'set', 'v1', 'up');
    ip('-n', ns, 'address', 'add', '10.0.0.1/24', 'dev', 'v0');
    ip('-n', ns, 'address', 'add', '2001:db8::1/64', 'dev', 'v0', 'nodad');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  const cases: [string, nl.NeighSpec][] = [
    ['ARP, permanent by default', { dev: 'v0', address: '10.0.0.2', lladdr: '02:00:00:00:00:02' }],
    ['ARP, stale, router flag', { dev: 'v0', address: '10.0.0.3', lladdr: '02:00:00:00:00:03', state: 'stale', router: true }],
    ['ARP, reachable, extern_learn', { dev: 'v0', address: '10.0.0.4', lladdr: '02:00:00:00:00:04', state: 'reachable', externLearn: true }],
    ['ARP, noarp', { dev: 'v0', address: '10.0.0.5', lladdr: '02:00:00:00:00:05', state: 'noarp' }],
    ['NDP, permanent', { dev: 'v0', address: '2001:db8::2', lladdr: '02:00:00:00:01:02' }],
    ['NDP, reachable router extern_learn', { dev: 'v0', address: '2001:db8::3', lladdr: '02:00:00:00:01:03', state: 'reachable', router: true, externLearn: true }],
    ['NDP, stale', { dev: 'v0', address: '2001:db8::4', lladdr: '02:00:00:00:01:04', state: 'stale' }],
    ['NDP, noarp', { dev: 'v0', address: '2001:db8::5', lladdr: '02:00:00:00:01:05', state: 'noarp' }],
  ];

  for (const [what, spec] of cases) {
    it(`${what} round-trips`, async () => {
      await rt.neigh.add(spec);
      const n = await sameAsIp(spec.address);
      expect(n.lladdr).toBe(spec.lladdr);
      expect(n.family).toBe(spec.address.includes(':') ? 'inet6' : 'inet');
    });
  }

  it('protocol and cache info come back', async () => {
    await rt.neigh.add({ dev: 'v0', address: '10.0.0.7', lladdr: '02:00:00:00:00:07', protocol: 'babel' });
    await rt.neigh.add({ dev: 'v0', address: '10.0.0.8', lladdr: '02:00:00:00:00:08', protocol: 77 });
    const mine = await rt.neigh.list({ dev: 'v0', family: 'inet' });
    const n = mine.find((x) => x.address === '10.0.0.7')!;
    expect(n.protocol).toBe('babel');
    expect(n.cacheInfo?.refcnt).toBeTypeOf('number');
    expect(mine.find((x) => x.address === '10.0.0.8')!.protocol).toBe('77');
    expect(ipnJson(ns, 'neigh', 'show', '10.0.0.7', 'dev', 'v0')[0].protocol).toBe('babel');
    expect(ipnJson(ns, 'neigh', 'show', '10.0.0.8', 'dev', 'v0')[0].protocol).toBe('77');
  });

  it('proxy ARP and proxy NDP entries', async () => {
    await rt.neigh.add({ dev: 'v0', address: '10.0.0.99', proxy: true });
    await rt.neigh.add({ dev: 'v0', address: '2001:db8::99', proxy: true });
    expect((await sameAsIp('10.0.0.99', true)).flags).toContain('proxy');
    await sameAsIp('2001:db8::99', true);
    await rt.neigh.del({ dev: 'v0', address: '10.0.0.99', proxy: true });
    expect(ipnJson(ns, 'neigh', 'show', 'proxy').map((n: any) => n.dst)).toEqual(['2001:db8::99']);
  });

  it('replace overwrites, change needs an existing entry, add of an existing one is EEXIST', async () => {
    await rt.neigh.add({ dev: 'v0', address: '10.0.0.10', lladdr: '02:00:00:00:00:10' });
    const dup = await rt.neigh.add({ dev: 'v0', address: '10.0.0.10', lladdr: '02:00:00:00:00:11' }).catch((e) => e);
    expect(dup).toBeInstanceOf(nl.NetlinkError);
    expect(dup.code).toBe('EEXIST');
    await rt.neigh.replace({ dev: 'v0', address: '10.0.0.10', lladdr: '02:00:00:00:00:12', state: 'stale' });
    expect((await sameAsIp('10.0.0.10')).lladdr).toBe('02:00:00:00:00:12');
    await rt.neigh.change({ dev: 'v0', address: '10.0.0.10', lladdr: '02:00:00:00:00:13' });
    expect((await sameAsIp('10.0.0.10')).lladdr).toBe('02:00:00:00:00:13');
    const missing = await rt.neigh.change({ dev: 'v0', address: '10.0.0.11', lladdr: '02:00:00:00:00:13' }).catch((e) => e);
    expect(missing).toBeInstanceOf(nl.NetlinkError);
    expect(missing.code).toBe('ENOENT');
  });

  it('del removes the entry; a missing one rejects with ENOENT', async () => {
    await rt.neigh.add({ dev: 'v0', address: '10.0.0.20', lladdr: '02:00:00:00:00:20' });
    await rt.neigh.del({ dev: 'v0', address: '10.0.0.20' });
    expect(ipnJson(ns, 'neigh', 'show', '10.0.0.20', 'nud', 'all')).toEqual([]);
    const err = await rt.neigh.del({ dev: 'v0', address: '10.0.0.20' }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('ENOENT');
    expect(err.operation).toBe('neigh.del');
  });

  it('list filters by dev and family in the kernel and matches ip for the whole table', async () => {
    const v1 = await rt.neigh.list({ dev: 'v1' });
    expect(v1.every((n) => n.dev === 'v1')).toBe(true);
    const four = await rt.neigh.list({ family: 'inet' });
    expect(four.every((n) => n.family === 'inet')).toBe(true);
    const all = await rt.neigh.list();
    const theirs = ipnJson(ns, 'neigh', 'show', 'nud', 'all');
    expect(all.map((n) => `${n.dev} ${n.address}`).sort()).toEqual(theirs.map((n: any) => `${n.dev} ${n.dst}`).sort());
  });

  it('rejects bad input with a ValidationError naming the field', async () => {
    const bad: [nl.NeighSpec, string][] = [
      [{ dev: 'v0', address: '10.0.0.300', lladdr: '02:00:00:00:00:01' }, 'address'],
      [{ dev: 'v0', address: '10.0.0.30', lladdr: '02:00:zz:00:00:01' }, 'lladdr'],
      [{ dev: 'v0', address: '10.0.0.30', lladdr: '02:00:00:00:00:01', state: 'sleepy' as any }, 'state'],
      [{ dev: 'v0', address: '10.0.0.30', lladdr: '02:00:00:00:00:01', proxy: true }, 'lladdr'],
      [{ dev: 'bad name', address: '10.0.0.30' }, 'dev'],
      [{ dev: 'v0', address: '10.0.0.30', protocol: 256 }, 'protocol'],
      [{ dev: 'v0', address: '10.0.0.30', protocol: 'nosuchproto' }, 'protocol'],
    ];
    for (const [spec, field] of bad) {
      const err = await rt.neigh.add(spec).catch((e) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(nl.ValidationError);
      expect(err.field).toBe(field);
    }
    expect(ipnJson(ns, 'neigh', 'show', '10.0.0.30', 'nud', 'all')).toEqual([]);
  });
});
