/**
 * rt.route against the kernel, with `ip -j -d route` as the oracle: every RouteSpec field
 * round-trips for IPv4 and IPv6 (add → list → compare with iproute2), replace/append/del do
 * what `ip route replace|append|del` do, get() equals `ip route get`, and bad input is refused
 * before anything is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** iproute2's view of one route, found by dst and table name. */
function ipRoute(family: '-4' | '-6', dst: string, table = 'main'): any {
  const all = ipnJson(ns, '-d', family, 'route', 'show', 'table', 'all');
  const found = all.filter((r: any) => r.dst === dst && (r.table ?? 'main') === table);
  expect(found.length, `ip has one ${dst} in table ${table}`).toBe(1);
  return found[0];
}

/** Our view of one route, found by dst and table id. */
async function ourRoute(family: 'inet' | 'inet6', dst: string, table: number | string = 'main'): Promise<nl.Route> {
  const found = (await rt.route.list({ table, family })).filter((r) => r.dst === dst);
  expect(found.length, `we list one ${dst}`).toBe(1);
  return found[0]!;
}

/** The fields `ip -j -d route` prints, from our Route. */
function asIp(r: nl.Route): Record<string, unknown> {
  // `ip -d` prints type, table, protocol and scope always.
  const out: Record<string, unknown> = { type: r.type, dst: r.dst, table: r.tableName, protocol: r.protocol, scope: r.scope, flags: r.flags };
  if (r.gateway) out.gateway = r.gateway;
  if (r.dev) out.dev = r.dev;
  if (r.src) out.prefsrc = r.src;
  if (r.from) out.from = r.from;
  if (r.metric !== undefined) out.metric = r.metric;
  if (r.pref) out.pref = r.pref;
  if (r.nhid !== undefined) out.nhid = r.nhid;
  if (r.metrics) {
    const { lock, ...values } = r.metrics;
    out.metrics = [values];
  }
  if (r.multipath) out.nexthops = r.multipath.map((h) => ({ gateway: h.gateway, dev: h.dev, weight: h.weight, flags: h.flags }));
  return out;
}

/** iproute2's JSON minus what it adds beyond the route itself. */
function ipFields(r: any): Record<string, unknown> {
  const { nh_info, expires, ...rest } = r;
  return rest;
}

/**
 * A fresh namespace with two veth pairs, v0 (10.0.0.1/24, 2001:db8::1/64) and
 * v2 (10.0.1.1/24, 2001:db8:1::1/64), up; returns its name and an `ip -n NS` runner.
 */
function twoLinks(prefix: string): [string, (...a: string[]) => string] {
  const name = pool.add(prefix);
  const sh = (...a: string[]) => ip('-n', name, ...a);
  sh('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  sh('link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'v3');
  for (const l of ['v0', 'v1', 'v2', 'v3']) sh('link', 'set', l, 'up');
  sh('addr', 'add', '10.0.0.1/24', 'dev', 'v0');
  sh('addr', 'add', '10.0.1.1/24', 'dev', 'v2');
  sh('addr', 'add', '2001:db8::1/64', 'dev', 'v0', 'nodad');
  sh('addr', 'add', '2001:db8:1::1/64', 'dev', 'v2', 'nodad');
  return [name, sh];
}

describe.skipIf(!isRoot)('rt.route (root)', () => {
  beforeAll(async () => {
    const [name, sh] = twoLinks('route');
    ns = name;
    sh('nexthop', 'add', 'id', '10', 'via', '10.0.0.2', 'dev', 'v0');
    sh('nexthop', 'add', 'id', '11', 'via', '2001:db8::2', 'dev', 'v0');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  const v4: [string, nl.RouteSpec, string?][] = [
    ['gateway, dev, src, metric, protocol', { dst: '10.10.0.0/16', gateway: '10.0.0.2', dev: 'v0', src: '10.0.0.1', metric: 7, protocol: 'static' }],
    ['table id above 255 (RTA_TABLE) and metrics', { dst: '10.11.0.0/16', gateway: '10.0.0.2', table: 1000, mtu: 1400, metrics: { advmss: 1300, window: 65535 } }, '1000'],
    ['a table by name', { dst: '10.12.0.0/16', gateway: '10.0.1.2', table: 'default' }, 'default'],
    ['dev only: link scope', { dst: '10.13.0.0/16', dev: 'v2' }],
    ['explicit scope', { dst: '10.14.0.0/16', dev: 'v2', scope: 'host' }],
    ['onlink', { dst: '10.15.0.0/16', gateway: '10.9.9.9', dev: 'v0', onlink: true }],
    ['blackhole', { dst: '10.16.0.0/16', type: 'blackhole' }],
    ['unreachable', { dst: '10.17.0.0/16', type: 'unreachable', table: 100 }, '100'],
    ['prohibit', { dst: '10.18.0.0/16', type: 'prohibit', metric: 3 }],
    ['local (table local, host scope)', { dst: '10.19.0.1', type: 'local', dev: 'v0' }, 'local'],
    ['broadcast', { dst: '10.19.0.255', type: 'broadcast', dev: 'v0' }, 'local'],
    ['multicast', { dst: '224.1.0.0/16', type: 'multicast', dev: 'v0', table: 100 }, '100'],
    ['a host route', { dst: '10.20.0.5', gateway: '10.0.0.2' }],
    ['multipath with weights', { dst: '10.21.0.0/16', multipath: [{ gateway: '10.0.0.2', dev: 'v0', weight: 2 }, { gateway: '10.0.1.2', dev: 'v2', weight: 5 }] }],
    ['a nexthop object', { dst: '10.22.0.0/16', nhid: 10 }],
    ['the default route of a table', { dst: 'default', gateway: '10.0.0.254', table: 200 }, '200'],
  ];

  for (const [what, spec, table] of v4) {
    it(`IPv4 ${what} round-trips`, async () => {
      await rt.route.add(spec);
      const ours = await ourRoute('inet', spec.dst, table ?? 'main');
      expect(asIp(ours)).toEqual(ipFields(ipRoute('-4', spec.dst, table)));
    });
  }

  const v6: [string, nl.RouteSpec, string?][] = [
    ['gateway, metric, pref', { dst: '2001:db8:10::/48', gateway: '2001:db8::2', metric: 5, pref: 'high' }],
    ['dev, table above 255, metrics', { dst: '2001:db8:11::/48', dev: 'v2', table: 1000, mtu: 1280 }, '1000'],
    ['source prefix (from)', { dst: '2001:db8:12::/48', from: '2001:db8:99::/48', gateway: '2001:db8::2' }],
    ['low preference, src', { dst: '2001:db8:13::/48', gateway: '2001:db8:1::2', src: '2001:db8::1', pref: 'low' }],
    ['blackhole', { dst: '2001:db8:14::/48', type: 'blackhole' }],
    ['unreachable', { dst: '2001:db8:15::/48', type: 'unreachable', table: 100 }, '100'],
    ['prohibit', { dst: '2001:db8:16::/48', type: 'prohibit' }],
    ['multipath with weights', { dst: '2001:db8:17::/48', multipath: [{ gateway: '2001:db8::2', dev: 'v0', weight: 3 }, { gateway: '2001:db8:1::2', dev: 'v2', weight: 1 }] }],
    ['default via', { dst: 'default', gateway: '2001:db8::fe', table: 300 }, '300'],
    ['local', { dst: '2001:db8:19::1', type: 'local', dev: 'v0' }, 'local'],
    ['onlink', { dst: '2001:db8:1a::/48', gateway: '2001:db8:ff::1', dev: 'v0', onlink: true }],
    ['a nexthop object', { dst: '2001:db8:1b::/48', nhid: 11 }],
  ];

  for (const [what, spec, table] of v6) {
    it(`IPv6 ${what} round-trips`, async () => {
      await rt.route.add(spec);
      const ours = await ourRoute('inet6', spec.dst, table ?? 'main');
      expect(asIp(ours)).toEqual(ipFields(ipRoute('-6', spec.dst, table)));
    });
  }

  it('IPv6 expires counts down from what was set', async () => {
    await rt.route.add({ dst: '2001:db8:18::/48', gateway: '2001:db8::2', expires: 300 });
    const ours = await ourRoute('inet6', '2001:db8:18::/48');
    const theirs = ipRoute('-6', '2001:db8:18::/48');
    expect(ours.expires).toBeGreaterThan(290);
    expect(ours.expires).toBeLessThanOrEqual(300);
    expect(Math.abs(ours.expires! - theirs.expires)).toBeLessThanOrEqual(1);
  });

  it('locked metrics come back locked', async () => {
    await rt.route.add({ dst: '10.23.0.0/16', gateway: '10.0.0.2', metrics: { mtu: 1300, lock: ['mtu'] } });
    const ours = await ourRoute('inet', '10.23.0.0/16');
    expect(ours.metrics).toEqual({ mtu: 1300, lock: ['mtu'] });
    expect(ip('-n', ns, 'route', 'show', '10.23.0.0/16')).toMatch(/mtu lock 1300/);
  });

  it('replace changes a route in place; EEXIST for add of an existing one', async () => {
    await rt.route.add({ dst: '10.30.0.0/16', gateway: '10.0.0.2' });
    const dup = await rt.route.add({ dst: '10.30.0.0/16', gateway: '10.0.0.3' }).catch((e) => e);
    expect(dup).toBeInstanceOf(nl.NetlinkError);
    expect(dup.code).toBe('EEXIST');
    expect(dup.operation).toBe('route.add');
    await rt.route.replace({ dst: '10.30.0.0/16', gateway: '10.0.1.2', metric: 0 });
    expect(ipRoute('-4', '10.30.0.0/16').gateway).toBe('10.0.1.2');
    await rt.route.replace({ dst: '10.31.0.0/16', dev: 'v2' }); // replace creates, too
    expect(ipRoute('-4', '10.31.0.0/16').dev).toBe('v2');
  });

  it('append adds a second route for the same prefix', async () => {
    await rt.route.add({ dst: '10.32.0.0/16', gateway: '10.0.0.2', table: 400 });
    await rt.route.append({ dst: '10.32.0.0/16', gateway: '10.0.1.2', table: 400 });
    const ours = (await rt.route.list({ table: 400, family: 'inet' })).map((r) => r.gateway);
    const theirs = ipnJson(ns, '-4', 'route', 'show', 'table', '400').map((r: any) => r.gateway);
    expect(ours).toEqual(['10.0.0.2', '10.0.1.2']);
    expect(ours).toEqual(theirs);
  });

  it('del removes exactly the matching route; a listed route can be handed back to del', async () => {
    await rt.route.add({ dst: '10.33.0.0/16', gateway: '10.0.0.2', metric: 10 });
    await rt.route.add({ dst: '10.33.0.0/16', gateway: '10.0.1.2', metric: 20 });
    await rt.route.del({ dst: '10.33.0.0/16', metric: 20 });
    expect(ipnJson(ns, '-4', 'route', 'show', '10.33.0.0/16').map((r: any) => r.metric)).toEqual([10]);
    const [listed] = (await rt.route.list({ family: 'inet' })).filter((r) => r.dst === '10.33.0.0/16');
    await rt.route.del(listed as nl.RouteSpec);
    expect(ipnJson(ns, '-4', 'route', 'show', '10.33.0.0/16')).toEqual([]);
    await rt.route.add({ dst: '2001:db8:33::/48', gateway: '2001:db8::2' });
    await rt.route.del({ dst: '2001:db8:33::/48' });
    expect(ipnJson(ns, '-6', 'route', 'show', '2001:db8:33::/48')).toEqual([]);
  });

  it('deleting a missing route rejects with ESRCH; in a missing table with the kernel extack', async () => {
    const noTable = await rt.route.del({ dst: '10.40.0.0/16', table: 4242 }).catch((e) => e);
    expect(noTable).toBeInstanceOf(nl.NetlinkError);
    expect(noTable.code).toBe('ESRCH');
    expect(noTable.operation).toBe('route.del');
    expect(noTable.extack).toMatch(/FIB table does not exist/);
    const noTable6 = await rt.route.del({ dst: '2001:db8:40::/48', table: 4242 }).catch((e) => e);
    expect(noTable6.code).toBe('ESRCH');
    expect(noTable6.extack).toMatch(/FIB table does not exist/);
    // In an existing table the kernel answers ESRCH without words.
    const noRoute = await rt.route.del({ dst: '10.41.0.0/16' }).catch((e) => e);
    expect(noRoute).toBeInstanceOf(nl.NetlinkError);
    expect(noRoute.code).toBe('ESRCH');
  });

  it('a gateway that is not on any link fails with the kernel text', async () => {
    const err = await rt.route.add({ dst: '10.42.0.0/16', gateway: '192.0.2.77' }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('ENETUNREACH');
    expect(err.extack).toMatch(/Nexthop has invalid gateway/);
  });

  it('a missing dev name rejects with ENODEV naming the field', async () => {
    const err = await rt.route.add({ dst: '10.43.0.0/16', dev: 'nope0' }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('ENODEV');
    expect(err.operation).toBe('route.add');
    expect(err.attribute).toBe('dev');
  });

  it('list filters in the kernel by table, family, dev, protocol and type', async () => {
    await rt.route.add({ dst: '10.50.0.0/16', gateway: '10.0.0.2', table: 500, protocol: 'zebra' });
    await rt.route.add({ dst: '10.51.0.0/16', gateway: '10.0.1.2', table: 500 });
    await rt.route.add({ dst: '10.52.0.0/16', type: 'blackhole', table: 500 });
    await rt.route.add({ dst: '2001:db8:50::/48', gateway: '2001:db8::2', table: 500 });
    const dsts = async (o: nl.RouteListOptions) => (await rt.route.list({ table: 500, ...o })).map((r) => r.dst).sort();
    expect(await dsts({})).toEqual(['10.50.0.0/16', '10.51.0.0/16', '10.52.0.0/16', '2001:db8:50::/48']);
    expect(await dsts({ family: 'inet6' })).toEqual(['2001:db8:50::/48']);
    expect(await dsts({ dev: 'v2' })).toEqual(['10.51.0.0/16']);
    expect(await dsts({ protocol: 'zebra' })).toEqual(['10.50.0.0/16']);
    expect(await dsts({ type: 'blackhole' })).toEqual(['10.52.0.0/16']);
    const unnamed = await rt.route.list({ table: 500, dev: 'v0', names: false });
    expect(unnamed.every((r) => r.dev === undefined && r.oif !== undefined)).toBe(true);
  });

  it('rejects bad input with a ValidationError naming the field, sending nothing', async () => {
    const bad: [nl.RouteSpec, string][] = [
      [{ dst: '10.0.0.300/24' }, 'dst'],
      [{ dst: '10.0.0.0/33' }, 'dst'],
      [{ dst: '2001:db8::/129' }, 'dst'],
      [{ dst: '10.60.0.0/16', gateway: '2001:db8::2' }, 'gateway'],
      [{ dst: '2001:db8:60::/48', gateway: '10.0.0.2' }, 'gateway'],
      [{ dst: '10.60.0.0/16', src: '2001:db8::1', dev: 'v0' }, 'src'],
      [{ dst: '10.60.0.0/16', multipath: [{ gateway: '10.0.0.2', weight: 0 }] }, 'multipath.0.weight'],
      [{ dst: '10.60.0.0/16', multipath: [{ gateway: '2001:db8::2' }] }, 'multipath.0.gateway'],
      [{ dst: '10.60.0.0/16', dev: 'v0', table: 'nosuchtable' }, 'table'],
      [{ dst: '10.60.0.0/16', dev: 'v0', type: 'bogus' as any }, 'type'],
      [{ dst: '10.60.0.0/16', dev: 'v0', pref: 'high' }, 'pref'],
      [{ dst: '10.60.0.0/16', dev: 'v0', metrics: { bogus: 1 } as any }, 'metrics.bogus'],
      [{ dst: '10.60.0.0/16', dev: 'this-name-is-too-long' }, 'dev'],
    ];
    for (const [spec, field] of bad) {
      const err = await rt.route.add(spec).catch((e) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(nl.ValidationError);
      expect(err.field, JSON.stringify(spec)).toBe(field);
    }
    expect(ipnJson(ns, '-4', 'route', 'show', '10.60.0.0/16')).toEqual([]);
  });
});

describe.skipIf(!isRoot)('rt.route.get (root)', () => {
  let gns: string;
  let grt: nl.Rtnl;

  beforeAll(async () => {
    [gns] = twoLinks('rget');
    grt = await nl.open({ netns: gns });
    // Competing routes: a default, a wider and a narrower prefix, a worse metric, and a rule
    // that sends marked traffic to its own table.
    await grt.route.add({ dst: 'default', gateway: '10.0.0.254' });
    await grt.route.add({ dst: '10.9.0.0/16', gateway: '10.0.0.2' });
    await grt.route.add({ dst: '10.9.9.0/24', gateway: '10.0.1.2', metric: 10 });
    await grt.route.add({ dst: '10.9.9.0/24', gateway: '10.0.0.3', metric: 20 });
    await grt.route.add({ dst: '10.9.0.0/16', gateway: '10.0.1.9', table: 100 });
    await grt.rule.add({ priority: 100, fwmark: 7, table: 100 });
    await grt.route.add({ dst: '2001:db8:9::/48', gateway: '2001:db8::2' });
  });

  afterAll(() => {
    grt?.close();
    pool.cleanup();
  });

  /** Our get() in the terms `ip -j route get` prints. */
  function getAsIp(r: nl.Route): Record<string, unknown> {
    const out: Record<string, unknown> = { dst: r.dst };
    if (r.from) out.from = r.from;
    if (r.gateway) out.gateway = r.gateway;
    if (r.dev) out.dev = r.dev;
    // ip prints the table the lookup used unless it is main (or the kernel named none).
    if (r.table && r.tableName !== 'main') out.table = r.tableName;
    if (r.src) out.prefsrc = r.src;
    if (r.metric !== undefined) out.metric = r.metric;
    if (r.mark) out.mark = r.mark;
    if (r.uid !== undefined) out.uid = r.uid;
    if (r.pref) out.pref = r.pref;
    return out;
  }

  /** `ip -j route get` minus its presentation-only keys. */
  function ipGet(...args: string[]): Record<string, unknown> {
    const [r] = ipnJson(gns, 'route', 'get', ...args);
    const { flags, cache, type, ...rest } = r;
    return rest;
  }

  it("rt.route.get('10.9.9.9') equals ip -j route get 10.9.9.9", async () => {
    const ours = await grt.route.get('10.9.9.9');
    expect(ours.gateway).toBe('10.0.1.2');
    expect(getAsIp(ours)).toEqual(ipGet('10.9.9.9'));
  });

  it('follows the rule for a marked flow, like ip route get … mark 7', async () => {
    const ours = await grt.route.get('10.9.9.9', { mark: 7 });
    expect(ours.table).toBe(100);
    expect(ours.gateway).toBe('10.0.1.9');
    expect(getAsIp(ours)).toEqual(ipGet('10.9.9.9', 'mark', '7'));
  });

  it('takes from and oif like ip route get … from … oif …', async () => {
    const ours = await grt.route.get('10.200.0.1', { from: '10.0.1.1', oif: 'v2' });
    expect(getAsIp(ours)).toEqual(ipGet('10.200.0.1', 'from', '10.0.1.1', 'oif', 'v2'));
    expect(ours.dev).toBe('v2');
  });

  it('looks up IPv6 too', async () => {
    const ours = await grt.route.get('2001:db8:9::5');
    expect(getAsIp(ours)).toEqual(ipGet('2001:db8:9::5'));
  });

  it('fibMatch returns the matching FIB entry', async () => {
    const ours = await grt.route.get('10.9.9.9', { fibMatch: true });
    expect(ours.dst).toBe('10.9.9.0/24');
    expect(ours.metric).toBe(10);
  });

  it('an unreachable destination rejects like ip route get does', async () => {
    await grt.route.add({ dst: '10.99.0.0/16', type: 'unreachable' });
    const err = await grt.route.get('10.99.1.1').catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('EHOSTUNREACH');
    expect(err.operation).toBe('route.get');
  });

  it('validates its input', async () => {
    const e1 = await grt.route.get('10.0.0.300').catch((e) => e);
    expect(e1).toBeInstanceOf(nl.ValidationError);
    expect(e1.field).toBe('dst');
    const e2 = await grt.route.get('10.9.9.9', { from: '2001:db8::1' }).catch((e) => e);
    expect(e2.field).toBe('from');
  });
});
