/**
 * rt.address against the kernel, with `ip -j address show` as the oracle: every option
 * (prefix, label, broadcast, peer, scope, flags, lifetimes, metric) round-trips for IPv4 and
 * IPv6; replace, del and flush do what iproute2's do; bad input is refused before sending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

const FOREVER = 4294967295;

/** iproute2's addr_info entries of one link. */
function ipAddrs(dev: string): any[] {
  return ipnJson(ns, 'address', 'show', 'dev', dev)[0]?.addr_info ?? [];
}

/** Our address in the keys `ip -j` uses (lifetimes compared separately). */
function asIp(a: nl.Address): Record<string, unknown> {
  const out: Record<string, unknown> = { family: a.family, local: a.address, prefixlen: a.prefixLen, scope: a.scope };
  if (a.peer) out.address = a.peer;
  if (a.broadcast) out.broadcast = a.broadcast;
  if (a.label) out.label = a.label;
  if (a.metric !== undefined) out.metric = a.metric;
  for (const f of a.flags) if (f !== 'permanent') out[f] = true;
  if (!a.flags.includes('permanent')) out.dynamic = true;
  return out;
}

function ipFields(a: any): Record<string, unknown> {
  const { valid_life_time, preferred_life_time, ...rest } = a;
  return rest;
}

/** Finds one address on both sides and checks they agree, lifetimes within a second or two. */
async function sameAsIp(dev: string, local: string): Promise<nl.Address> {
  const ours = (await rt.address.list({ dev })).filter((a) => a.address === local);
  const theirs = ipAddrs(dev).filter((a) => a.local === local);
  expect(ours.length, `we list ${local} once`).toBe(1);
  expect(theirs.length, `ip lists ${local} once`).toBe(1);
  expect(asIp(ours[0]!)).toEqual(ipFields(theirs[0]));
  for (const [mine, its] of [[ours[0]!.validLft, theirs[0].valid_life_time], [ours[0]!.preferredLft, theirs[0].preferred_life_time]] as const) {
    expect(Math.abs(mine! - its)).toBeLessThanOrEqual(2);
  }
  return ours[0]!;
}

describe.skipIf(!isRoot)('rt.address (root)', () => {
  beforeAll(async () => {
    ns = pool.add('addr');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('-n', ns, 'link', 'set', 'v0', 'up');
    ip('-n', ns, 'link', 'set', 'v1', 'up');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('IPv4: prefix, derived broadcast, label, scope, metric and lifetimes', async () => {
    await rt.address.add('v0', '10.1.0.1/24', { broadcast: '+', label: 'v0:web', scope: 'link', metric: 55, validLft: 1000, preferredLft: 500 });
    const a = await sameAsIp('v0', '10.1.0.1');
    expect(a).toMatchObject({ prefixLen: 24, broadcast: '10.1.0.255', label: 'v0:web', scope: 'link', metric: 55 });
    expect(a.validLft).toBeLessThanOrEqual(1000);
    expect(a.cacheInfo?.valid).toBe(a.validLft);
    expect(a.cacheInfo?.created).toBeGreaterThan(0);
  });

  it('IPv4: explicit broadcast, a loopback-range address gets host scope like iproute2', async () => {
    await rt.address.add('v0', '10.2.0.1/16', { broadcast: '10.2.255.254' });
    expect((await sameAsIp('v0', '10.2.0.1')).broadcast).toBe('10.2.255.254');
    await rt.address.add('v1', '127.0.0.2/8');
    const lo = (await rt.address.list({ dev: 'v1', family: 'inet' })).find((a) => a.address === '127.0.0.2');
    expect(lo?.scope).toBe('host');
  });

  it('IPv4: point-to-point peer', async () => {
    await rt.address.add('v0', '10.3.0.1', { peer: '10.3.0.2/32' });
    const a = await sameAsIp('v0', '10.3.0.1');
    expect(a.peer).toBe('10.3.0.2');
    expect(a.prefixLen).toBe(32);
  });

  it('IPv4: a second address in a prefix is secondary', async () => {
    await rt.address.add('v0', '10.4.0.1/24');
    await rt.address.add('v0', '10.4.0.2/24');
    const a = await sameAsIp('v0', '10.4.0.2');
    expect(a.flags).toContain('secondary');
  });

  it('IPv6: flags nodad, noprefixroute, home, mngtmpaddr, and lifetimes', async () => {
    await rt.address.add('v0', '2001:db8:1::1/64', { flags: ['nodad', 'noprefixroute', 'home', 'mngtmpaddr'], validLft: 900, preferredLft: 800 });
    const a = await sameAsIp('v0', '2001:db8:1::1');
    expect(a.flags).toEqual(expect.arrayContaining(['nodad', 'noprefixroute', 'home', 'mngtmpaddr']));
    expect(a.flags).not.toContain('permanent');
    // noprefixroute: the kernel added no 2001:db8:1::/64 route.
    expect(ipnJson(ns, '-6', 'route', 'show', '2001:db8:1::/64')).toEqual([]);
  });

  it('IPv6: noDad, metric on the prefix route, optimistic and a deprecated (preferred 0) address', async () => {
    await rt.address.add('v0', '2001:db8:2::1/64', { noDad: true, metric: 300 });
    await sameAsIp('v0', '2001:db8:2::1');
    expect(ipnJson(ns, '-6', 'route', 'show', '2001:db8:2::/64')[0].metric).toBe(300);
    await rt.address.add('v0', '2001:db8:3::1/64', { noDad: true, preferredLft: 0, validLft: 600 });
    const dep = await sameAsIp('v0', '2001:db8:3::1');
    expect(dep.flags).toContain('deprecated');
    await rt.address.add('v0', '2001:db8:4::1/64', { flags: ['optimistic'] });
    await sameAsIp('v0', '2001:db8:4::1');
  });

  it('an anycast address of the other family is refused', async () => {
    const err = await rt.address.add('v0', '10.9.0.1/24', { anycast: '2001:db8::1' }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.ValidationError);
    expect(err.field).toBe('anycast');
  });

  it('replace updates lifetimes of an existing address; add of it again is EEXIST', async () => {
    await rt.address.add('v0', '10.5.0.1/24', { validLft: 100, preferredLft: 100 });
    const dup = await rt.address.add('v0', '10.5.0.1/24').catch((e) => e);
    expect(dup).toBeInstanceOf(nl.NetlinkError);
    expect(dup.code).toBe('EEXIST');
    expect(dup.operation).toBe('address.add');
    await rt.address.replace('v0', '10.5.0.1/24', { validLft: 5000, preferredLft: 4000 });
    const a = await sameAsIp('v0', '10.5.0.1');
    expect(a.validLft).toBeGreaterThan(4990);
    await rt.address.replace('v0', '10.5.0.1/24');
    expect((await sameAsIp('v0', '10.5.0.1')).validLft).toBe(FOREVER);
  });

  it('del removes one address (IPv4 by address alone, IPv6 by prefix); a missing one rejects', async () => {
    await rt.address.add('v0', '10.6.0.1/24');
    await rt.address.add('v0', '2001:db8:6::1/64', { noDad: true });
    await rt.address.del('v0', '10.6.0.1');
    await rt.address.del('v0', '2001:db8:6::1/64');
    const left = ipAddrs('v0').map((a) => a.local);
    expect(left).not.toContain('10.6.0.1');
    expect(left).not.toContain('2001:db8:6::1');
    const err = await rt.address.del('v0', '10.6.0.1/24').catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('EADDRNOTAVAIL');
    await rt.address.add('v0', '10.6.1.1', { peer: '10.6.1.2/32' });
    await rt.address.del('v0', '10.6.1.1/32', { peer: '10.6.1.2' });
    expect(ipAddrs('v0').map((a) => a.local)).not.toContain('10.6.1.1');
  });

  it('flush removes every address of a link (secondaries included), or of one family', async () => {
    ip('-n', ns, 'link', 'add', 'f0', 'type', 'veth', 'peer', 'name', 'f1');
    ip('-n', ns, 'link', 'set', 'f0', 'up');
    await rt.address.add('f0', '10.7.0.1/24');
    await rt.address.add('f0', '10.7.0.2/24');
    await rt.address.add('f0', '10.7.0.3/24');
    await rt.address.add('f0', '2001:db8:7::1/64', { noDad: true });
    expect(await rt.address.flush('f0', { family: 'inet' })).toBe(3);
    expect(ipAddrs('f0').map((a) => a.family)).not.toContain('inet');
    expect(ipAddrs('f0').map((a) => a.local)).toContain('2001:db8:7::1');
    expect(await rt.address.flush('f0')).toBeGreaterThanOrEqual(1);
    expect(ipAddrs('f0')).toEqual([]);
  });

  it('list filters by link and family in the kernel', async () => {
    const v1 = await rt.address.list({ dev: 'v1' });
    expect(v1.length).toBeGreaterThan(0);
    const index = (await rt.link.get('v1')).index;
    expect(v1.every((a) => a.index === index)).toBe(true);
    const six = await rt.address.list({ family: 'inet6' });
    expect(six.every((a) => a.family === 'inet6')).toBe(true);
  });

  it('rejects bad input with a ValidationError naming the field', async () => {
    const bad: [() => Promise<void>, string][] = [
      [() => rt.address.add('v0', '10.0.0.300/24'), 'address'],
      [() => rt.address.add('v0', '10.0.0.1/33'), 'address'],
      [() => rt.address.add('v0', '2001:db8::1/129'), 'address'],
      [() => rt.address.add('v0', '10.0.0.1/24', { peer: '2001:db8::2' }), 'peer'],
      [() => rt.address.add('v0', '2001:db8::1/64', { label: 'v0:x' }), 'label'],
      [() => rt.address.add('v0', '10.0.0.1/24', { label: 'a-label-longer-than-15' }), 'label'],
      [() => rt.address.add('v0', '2001:db8::1/64', { broadcast: '+' }), 'broadcast'],
      [() => rt.address.add('v0', '10.0.0.1/24', { scope: 'galaxy' }), 'scope'],
      [() => rt.address.add('v0', '10.0.0.1/24', { flags: ['fast' as any] }), 'flags'],
      [() => rt.address.add('v0', '10.0.0.1/24', { validLft: 10, preferredLft: 20 }), 'preferredLft'],
      [() => rt.address.add('v0', '10.0.0.1/24', { validLft: 0 }), 'validLft'],
      [() => rt.address.add('no/such', '10.0.0.1/24'), 'dev'],
    ];
    for (const [call, field] of bad) {
      const err = await call().catch((e) => e);
      expect(err, field).toBeInstanceOf(nl.ValidationError);
      expect(err.field).toBe(field);
    }
    expect(ipAddrs('v0').map((a) => a.local)).not.toContain('10.0.0.1');
  });

  it('a link that does not exist rejects with ENODEV naming the field', async () => {
    const err = await rt.address.add('nope0', '10.0.0.1/24').catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('ENODEV');
    expect(err.attribute).toBe('dev');
  });
});
