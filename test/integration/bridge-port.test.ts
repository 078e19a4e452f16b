/**
 * rt.bridge.port.list() against `bridge -j -d link`: every port of every bridge with its state,
 * priority, cost and flags, both ways (settings made with `bridge link set` we read; settings we
 * make with rt.link.set bridge shows), and the `br` / `dev` filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import type { BridgePort } from '../../lib/rtnetlink/bridge/port';
import { NetnsPool, bridgeJson, ip, isRoot } from '../helpers/netns';
import { execFileSync } from 'node:child_process';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** The `bridge -j -d link` fields, from our BridgePort. */
function asTheirs(p: BridgePort): Record<string, unknown> {
  const o: Record<string, unknown> = {
    ifindex: p.index, ifname: p.name, flags: p.flags, mtu: p.mtu, master: p.bridge, state: p.state,
    priority: p.priority, cost: p.cost, hairpin: p.hairpin, guard: p.guard, root_block: p.rootBlock,
    fastleave: p.fastLeave, learning: p.learning, flood: p.flood, mcast_flood: p.mcastFlood,
    bcast_flood: p.bcastFlood, mcast_router: p.multicastRouter, mcast_to_unicast: p.mcastToUcast,
    neigh_suppress: p.neighSuppress, vlan_tunnel: p.vlanTunnel, isolated: p.isolated,
  };
  if (p.locked !== undefined) o.locked = p.locked;
  return o;
}

/**
 * bridge's JSON minus `link` (the peer's name) and the 'M-DOWN' flag, which iproute2 derives
 * from the flags of that other link, not from the port's own.
 */
function theirs(...filter: string[]): Record<string, unknown>[] {
  return bridgeJson(ns, '-d', 'link', 'show', ...filter)
    .map(({ link: _l, ...rest }: any) => ({ ...rest, flags: rest.flags.filter((f: string) => f !== 'M-DOWN') }))
    .sort((a: any, b: any) => a.ifindex - b.ifindex);
}

async function ours(filter: Parameters<nl.Rtnl['bridge']['port']['list']>[0] = {}): Promise<Record<string, unknown>[]> {
  return (await rt.bridge.port.list(filter)).map(asTheirs).sort((a: any, b: any) => (a.ifindex as number) - (b.ifindex as number));
}

describe.skipIf(!isRoot)('rt.bridge.port (root)', () => {
  beforeAll(async () => {
    ns = pool.add('brport');
    const sh = (...a: string[]) => ip('-n', ns, ...a);
    for (const br of ['br0', 'br1']) {
      sh('link', 'add', br, 'type', 'bridge');
      sh('link', 'set', br, 'up');
    }
    for (const [p, br] of [['p0', 'br0'], ['p1', 'br0'], ['q0', 'br1']]) {
      sh('link', 'add', p!, 'type', 'veth', 'peer', 'name', `${p}x`);
      sh('link', 'set', p!, 'master', br!);
      sh('link', 'set', p!, 'up');
    }
    sh('link', 'set', 'p1x', 'up');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('lists every port as `bridge -j -d link` does', async () => {
    const mine = await ours();
    expect(mine.map((p) => p.ifname)).toEqual(['p0', 'p1', 'q0']);
    expect(mine).toEqual(theirs());
  });

  it('reads settings bridge made; bridge shows settings we made', async () => {
    execFileSync('bridge', ['-n', ns, 'link', 'set', 'dev', 'p0', 'cost', '42', 'priority', '7', 'hairpin', 'on', 'learning', 'off', 'isolated', 'on']);
    await rt.link.set('p1', { bridgePort: { flood: false, mcastFlood: false, neighSuppress: true, fastLeave: true } });
    const mine = await ours();
    expect(mine).toEqual(theirs());
    expect(mine[0]).toMatchObject({ ifname: 'p0', cost: 42, priority: 7, hairpin: true, learning: false, isolated: true });
    expect(mine[1]).toMatchObject({ ifname: 'p1', flood: false, mcast_flood: false, neigh_suppress: true, fastleave: true });
  });

  it('filters by bridge (`master`) and by port (`dev`)', async () => {
    expect((await ours({ br: 'br1' })).map((p) => p.ifname)).toEqual(['q0']);
    // iproute2 6.1 prints every port for `bridge link show master BR`: filter its list here.
    expect(await ours({ br: 'br0' })).toEqual(theirs().filter((p) => p.master === 'br0'));
    expect(await ours({ dev: 'p1' })).toEqual(theirs('dev', 'p1'));
    await expect(rt.bridge.port.list({ bridge: 'br0' } as any)).rejects.toMatchObject({ name: 'ValidationError', field: 'filter.bridge' });
  });
});
