/**
 * nftables rulesets applied with nl.nft.apply, proven by real traffic between namespaces:
 *
 *   lan (10.1.0.2) ── lan0 ┤ router ├ wan0 ── wan (203.0.113.2, .3)
 *                 10.1.0.1          203.0.113.1
 *
 * The wan side has no route back to 10.1.0.0/24, so a lan client reaches it only when the
 * router masquerades. Each test applies a document, sends traffic, and checks what the far
 * side saw (a TCP listener reports the peer address it accepted) and what conntrack recorded;
 * `nft -j list` confirms the ruleset is the one applied.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openNft, type Nft } from '../../lib/nfnetlink/nftables/index';
import * as conntrack from '../../lib/nfnetlink/conntrack/index';
import { NetnsPool, ip, isRoot } from '../helpers/netns';
import { connect, listen, nftJson, ping, sysctl, type Listener } from './traffic-helpers';

const pool = new NetnsPool();
let lan: string;
let router: string;
let wan: string;
let nft: Nft;
let ct: conntrack.Conntrack;
const listeners: Listener[] = [];

const LAN = '10.1.0.2';
const GW_LAN = '10.1.0.1';
const GW_WAN = '203.0.113.1';
const WAN = '203.0.113.2';
const WAN2 = '203.0.113.3';

/** Short waits: a blocked connection is one that gets no answer. */
const BLOCKED = { timeoutMs: 1500 };

const masquerade = [
  { add: { table: { family: 'ip', name: 'nat' } } },
  { add: { chain: { family: 'ip', table: 'nat', name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
  { add: { rule: { family: 'ip', table: 'nat', chain: 'post', expr: [
    { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.1.0.0', len: 24 } } } },
    { match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'wan0' } },
    { masquerade: null },
  ] } } },
];

function forwardFilter(extra: object[] = []): object[] {
  return [
    { add: { table: { family: 'inet', name: 'filter' } } },
    { add: { chain: { family: 'inet', table: 'filter', name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } } },
    { add: { rule: { family: 'inet', table: 'filter', chain: 'fwd', expr: [
      { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } },
      { accept: null },
    ] } } },
    ...extra,
    { add: { rule: { family: 'inet', table: 'filter', chain: 'fwd', expr: [
      { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'lan0' } },
      { match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'wan0' } },
      { accept: null },
    ] } } },
  ];
}

async function apply(...commands: object[]): Promise<void> {
  await nft.apply({ nftables: commands as Record<string, unknown>[] });
}

/** Removes every table between tests (each test builds the ruleset it proves). */
async function resetRuleset(): Promise<void> {
  await apply({ flush: { ruleset: null } });
  await ct.flush();
}

describe.skipIf(!isRoot)('nftables rulesets under real traffic', () => {
  beforeAll(async () => {
    lan = pool.add('nfl');
    router = pool.add('nfr');
    wan = pool.add('nfw');
    ip('-n', router, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan);
    ip('-n', router, 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', wan);
    ip('-n', lan, 'addr', 'add', `${LAN}/24`, 'dev', 'eth0');
    ip('-n', router, 'addr', 'add', `${GW_LAN}/24`, 'dev', 'lan0');
    ip('-n', router, 'addr', 'add', `${GW_WAN}/24`, 'dev', 'wan0');
    ip('-n', wan, 'addr', 'add', `${WAN}/24`, 'dev', 'eth0');
    ip('-n', wan, 'addr', 'add', `${WAN2}/24`, 'dev', 'eth0');
    for (const [ns, dev] of [[lan, 'eth0'], [router, 'lan0'], [router, 'wan0'], [wan, 'eth0']] as const) ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', lan, 'route', 'add', 'default', 'via', GW_LAN);
    sysctl(router, 'net.ipv4.ip_forward', 1);
    for (const port of [8080, 8081]) listeners.push(await listen(wan, port));
    listeners.push(await listen(lan, 80));
    nft = await openNft({ netns: router });
    ct = await conntrack.open({ netns: router });
  });

  afterEach(async () => {
    await resetRuleset();
  });

  afterAll(() => {
    nft?.close();
    ct?.close();
    for (const l of listeners) l.close();
    pool.cleanup();
  });

  it('masquerade: the far side sees the router, conntrack records the SNAT', async () => {
    // Without NAT the wan side cannot answer 10.1.0.2 at all.
    expect(await connect(lan, WAN, 8080, BLOCKED)).toHaveProperty('error');
    await apply(...masquerade);
    expect(nftJson(router, 'list', 'table', 'ip', 'nat').nftables.some((o: any) => o.rule?.expr?.some((e: any) => 'masquerade' in e))).toBe(true);
    const seen = await connect(lan, WAN, 8080);
    expect(seen).toMatchObject({ peer: GW_WAN, local: WAN, localPort: 8080 });
    const [entry] = await ct.list({ protocol: 'tcp', dst: WAN, dport: 8080 });
    expect(entry!.orig).toMatchObject({ src: LAN, dst: WAN, dport: 8080 });
    expect(entry!.reply).toMatchObject({ src: WAN, dst: GW_WAN, sport: 8080 });
    expect(entry!.status).toContain('SRC_NAT');
    expect(await ping(lan, WAN)).toBe(true);
  });

  it('DNAT: a router port forwards to a lan listener, which sees the real client', async () => {
    expect(await connect(wan, GW_WAN, 8080, BLOCKED)).toHaveProperty('error');
    await apply(
      { add: { table: { family: 'ip', name: 'nat' } } },
      { add: { chain: { family: 'ip', table: 'nat', name: 'pre', type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } } },
      { add: { rule: { family: 'ip', table: 'nat', chain: 'pre', expr: [
        { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'wan0' } },
        { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 8080 } },
        { dnat: { addr: LAN, port: 80 } },
      ] } } },
    );
    const seen = await connect(wan, GW_WAN, 8080);
    expect(seen).toMatchObject({ peer: WAN, local: LAN, localPort: 80 });
    const [entry] = await ct.list({ protocol: 'tcp', dst: GW_WAN, dport: 8080 });
    expect(entry!.reply).toMatchObject({ src: LAN, sport: 80, dst: WAN });
    expect(entry!.status).toContain('DST_NAT');
  });

  it('drop policy: new connections only lan→wan, replies through established/related', async () => {
    await apply(...masquerade, ...forwardFilter(),
      // The port forward of the previous test, which the forward policy must now stop.
      { add: { chain: { family: 'ip', table: 'nat', name: 'pre', type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } } },
      { add: { rule: { family: 'ip', table: 'nat', chain: 'pre', expr: [
        { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'wan0' } },
        { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 8080 } },
        { dnat: { addr: LAN, port: 80 } },
      ] } } },
    );
    expect(await connect(lan, WAN, 8080)).toMatchObject({ peer: GW_WAN });
    expect(await ping(lan, WAN)).toBe(true);
    // wan → lan is a new forwarded connection: dropped, though DNAT would carry it.
    expect(await connect(wan, GW_WAN, 8080, BLOCKED)).toHaveProperty('error');
    const [dropped] = await ct.list({ protocol: 'tcp', src: WAN, dport: 8080 });
    expect(dropped?.status ?? []).not.toContain('SEEN_REPLY');
  });

  it('a named set blocks the listed addresses and only those; removing the element unblocks', async () => {
    await apply(...masquerade, ...forwardFilter([
      { add: { set: { family: 'inet', table: 'filter', name: 'blocked', type: 'ipv4_addr' } } },
      { add: { element: { family: 'inet', table: 'filter', name: 'blocked', elem: [WAN] } } },
      { add: { rule: { family: 'inet', table: 'filter', chain: 'fwd', expr: [
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: '@blocked' } },
        { drop: null },
      ] } } },
    ]));
    expect(await connect(lan, WAN, 8080, BLOCKED)).toHaveProperty('error');
    expect(await connect(lan, WAN2, 8080)).toMatchObject({ peer: GW_WAN, local: WAN2 });
    await apply({ delete: { element: { family: 'inet', table: 'filter', name: 'blocked', elem: [WAN] } } });
    expect(await connect(lan, WAN, 8080)).toMatchObject({ peer: GW_WAN, local: WAN });
  });

  it('a verdict map dispatches by destination port', async () => {
    await apply(...masquerade,
      { add: { table: { family: 'inet', name: 'filter' } } },
      { add: { chain: { family: 'inet', table: 'filter', name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
      { add: { chain: { family: 'inet', table: 'filter', name: 'web' } } },
      { add: { rule: { family: 'inet', table: 'filter', chain: 'web', expr: [{ counter: { packets: 0, bytes: 0 } }, { accept: null }] } } },
      { add: { map: { family: 'inet', table: 'filter', name: 'ports', type: 'inet_service', map: 'verdict' } } },
      { add: { element: { family: 'inet', table: 'filter', name: 'ports', elem: [[8080, { jump: { target: 'web' } }], [8081, { drop: null }]] } } },
      { add: { rule: { family: 'inet', table: 'filter', chain: 'fwd', expr: [
        { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'lan0' } },
        { vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: '@ports' } },
      ] } } },
    );
    expect(await connect(lan, WAN, 8080)).toMatchObject({ peer: GW_WAN, localPort: 8080 });
    expect(await connect(lan, WAN, 8081, BLOCKED)).toHaveProperty('error');
    const web = nftJson(router, 'list', 'chain', 'inet', 'filter', 'web').nftables.find((o: any) => o.rule);
    const counter = web.rule.expr.find((e: any) => e.counter).counter;
    expect(counter.packets).toBeGreaterThan(0);
  });
});
