/**
 * Neighbour tables (`ip ntable`) against `ip -j ntable show` both ways: every row decoded the
 * same; changes we make (table thresholds, default and per-device parameters) ip shows, and
 * changes ip makes we read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import type { NeighTable } from '../../lib/rtnetlink/neigh/ntable';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** Our row in `ip -j ntable` words. */
function asTheirs(r: NeighTable): Record<string, unknown> {
  const o: Record<string, unknown> = { family: r.family, name: r.name };
  if (r.dev) o.dev = r.dev;
  const map: [keyof NeighTable, string][] = [
    ['thresh1', 'thresh1'], ['thresh2', 'thresh2'], ['thresh3', 'thresh3'], ['gcIntervalMs', 'gc_interval'], ['refcnt', 'refcnt'],
    ['reachableTimeMs', 'reachable'], ['baseReachableTimeMs', 'base_reachable'], ['retransTimeMs', 'retrans'], ['gcStaleTimeMs', 'gc_stale'],
    ['delayProbeTimeMs', 'delay_probe'], ['queueLen', 'queue'], ['appProbes', 'app_probes'], ['ucastProbes', 'ucast_probes'],
    ['mcastProbes', 'mcast_probes'], ['anycastDelayMs', 'anycast_delay'], ['proxyDelayMs', 'proxy_delay'], ['proxyQlen', 'proxy_queue'], ['locktimeMs', 'locktime'],
  ];
  for (const [ours, theirs] of map) if (r[ours] !== undefined) o[theirs] = r[ours];
  return o;
}

/** ip's rows without `reachable` (re-randomised from base_reachable, so it moves between reads). */
const stable = (rows: Record<string, unknown>[]) => rows.map(({ reachable: _r, ...rest }) => rest).sort(order);
const order = (a: any, b: any) => `${a.family}|${a.dev ?? ''}`.localeCompare(`${b.family}|${b.dev ?? ''}`);

describe.skipIf(!isRoot)('neighbour tables (root)', () => {
  beforeAll(async () => {
    ns = pool.add('ntable');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('every row equals `ip -j ntable show`', async () => {
    const mine = await rt.neigh.tables();
    expect(mine.length).toBeGreaterThanOrEqual(6);
    expect(stable(mine.map(asTheirs))).toEqual(stable(ipnJson(ns, 'ntable', 'show')));
    expect(mine.find((r) => r.name === 'arp_cache' && !r.dev)).toMatchObject({ family: 'inet', thresh3: expect.any(Number), config: expect.any(Object), stats: expect.any(Object) });
  });

  it('we change devices\' parameters, ip shows them (table-wide settings: initial namespace only)', async () => {
    await rt.neigh.setTable({ name: 'arp_cache', dev: 'v1', baseReachableTimeMs: 40_000, mcastProbes: 4 });
    await rt.neigh.setTable({ name: 'ndisc_cache', dev: 'v0', baseReachableTimeMs: 45_000, ucastProbes: 5, queueLen: 50 });
    expect(ipnJson(ns, '-4', 'ntable', 'show', 'dev', 'v1')[0]).toMatchObject({ base_reachable: 40_000, mcast_probes: 4 });
    // The kernel keeps the tables' own settings (thresholds, gc interval, default parameters) in
    // the initial namespace and answers ENOENT elsewhere, as it does to `ip ntable change`; a
    // test never touches the initial namespace.
    await expect(rt.neigh.setTable({ name: 'arp_cache', thresh1: 256 })).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENOENT' });
    await expect(rt.neigh.setTable({ name: 'arp_cache', mcastProbes: 4 })).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENOENT' });
    const v0 = ipnJson(ns, '-6', 'ntable', 'show', 'dev', 'v0')[0];
    expect(v0).toMatchObject({ base_reachable: 45_000, ucast_probes: 5 });
    const [mine] = await rt.neigh.tables({ dev: 'v0', family: 'inet6' });
    expect(mine).toMatchObject({ name: 'ndisc_cache', dev: 'v0', baseReachableTimeMs: 45_000, ucastProbes: 5 });
  });

  it('ip changes a device, we read it', async () => {
    ip('-n', ns, 'ntable', 'change', 'name', 'arp_cache', 'dev', 'v1', 'retrans', '2500', 'locktime', '3000');
    const [mine] = await rt.neigh.tables({ dev: 'v1', name: 'arp_cache' });
    expect(mine).toMatchObject({ dev: 'v1', retransTimeMs: 2500, locktimeMs: 3000 });
  });

  it('refuses bad input naming the field; kernel refusals carry their reason', async () => {
    await expect(rt.neigh.setTable({ name: 'arp_cache', thresh4: 1 } as any)).rejects.toMatchObject({ name: 'ValidationError', field: 'thresh4' });
    await expect(rt.neigh.setTable({ name: 'arp_cache', dev: 'v0', thresh1: 1 })).rejects.toMatchObject({ field: 'thresh1' });
    await expect(rt.neigh.setTable({ name: 'arp_cache', ucastProbes: -1 })).rejects.toMatchObject({ field: 'ucastProbes' });
    await expect(rt.neigh.setTable({ name: 'no_such_cache', family: 'inet', ucastProbes: 1 })).rejects.toBeInstanceOf(nl.NetlinkError);
    await expect(rt.neigh.tables({ nmae: 'x' } as any)).rejects.toMatchObject({ field: 'filter.nmae' });
  });
});
