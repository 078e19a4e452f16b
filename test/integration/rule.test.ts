/**
 * rt.rule against the kernel, with `ip -j rule show` as the oracle: priority, from/to,
 * iif/oif, fwmark/mask, table (ids above 255 too), actions (goto, blackhole, unreachable,
 * prohibit, nop), `not`, and the newer selectors round-trip for IPv4 and IPv6; del matches
 * like `ip rule del`; bad input is refused before sending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** Our rule in the keys `ip -j rule show` uses. */
function asIp(r: nl.Rule): Record<string, unknown> {
  const out: Record<string, unknown> = { priority: r.priority };
  if (r.flags.includes('not')) out.not = null;
  const prefix = (p: string | undefined, key: string) => {
    if (p === undefined) return;
    const [addr, len] = p.split('/');
    out[key] = addr;
    // ip leaves out the length of a host address.
    if (len !== undefined) out[`${key}len`] = Number(len);
  };
  if (r.from === undefined) out.src = 'all';
  else prefix(r.from, 'src');
  prefix(r.to, 'dst');
  if (r.tos) out.tos = `0x${r.tos.toString(16).padStart(2, '0')}`;
  if (r.fwmark !== undefined) out.fwmark = `0x${r.fwmark.toString(16)}`;
  if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) out.fwmask = `0x${r.fwmask.toString(16)}`;
  if (r.iif) out.iif = r.iif;
  if (r.oif) out.oif = r.oif;
  if (r.ipProto !== undefined) out.ipproto = r.ipProto === 6 ? 'tcp' : r.ipProto === 17 ? 'udp' : String(r.ipProto);
  for (const [key, range] of [['sport', r.sport], ['dport', r.dport]] as const) {
    if (!range) continue;
    if (range.start === range.end) out[key] = range.start;
    else Object.assign(out, { [`${key}_start`]: range.start, [`${key}_end`]: range.end });
  }
  if (r.uidRange) out.uid_start = r.uidRange.start, out.uid_end = r.uidRange.end;
  if (r.action === 'table') out.table = r.tableName;
  if (r.suppressPrefixLength !== undefined) out.suppress_prefixlen = r.suppressPrefixLength;
  if (r.action === 'goto') out.goto = r.goto;
  for (const f of ['unresolved', 'iif_detached', 'oif_detached']) if (r.flags.includes(f)) out[f] = null;
  if (r.action === 'nop') out.nop = null;
  else if (r.action !== 'table' && r.action !== 'goto') out.action = r.action;
  if (r.protocol !== undefined && r.protocol !== 'unspec') out.protocol = r.protocol;
  return out;
}

async function sameAsIp(family: 'inet' | 'inet6', priority: number): Promise<nl.Rule> {
  const ours = (await rt.rule.list({ family })).filter((r) => r.priority === priority);
  const theirs = ipnJson(ns, family === 'inet' ? '-4' : '-6', 'rule', 'show').filter((r: any) => r.priority === priority);
  expect(ours.length, `we list priority ${priority} once`).toBe(1);
  expect(theirs.length, `ip lists priority ${priority} once`).toBe(1);
  expect(asIp(ours[0]!)).toEqual(theirs[0]);
  return ours[0]!;
}

describe.skipIf(!isRoot)('rt.rule (root)', () => {
  beforeAll(async () => {
    ns = pool.add('rule');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  const v4: [string, nl.RuleSpec][] = [
    ['from, to, iif, fwmark/mask, table', { priority: 100, from: '10.0.0.0/8', to: '192.168.0.0/16', iif: 'v0', fwmark: 0x10, fwmask: 0xff, table: 100 }],
    ['a table id above 255', { priority: 101, from: '10.1.0.0/16', table: 5000 }],
    ['oif and blackhole', { priority: 102, oif: 'v1', action: 'blackhole' }],
    ['unreachable', { priority: 103, to: '10.3.0.0/16', action: 'unreachable' }],
    ['prohibit', { priority: 104, from: '10.4.0.1', action: 'prohibit' }],
    ['not', { priority: 105, not: true, from: '10.5.0.0/16', table: 'main' }],
    ['goto a later rule', { priority: 106, fwmark: 6, goto: 200 }],
    ['fwmark alone, tos', { priority: 107, fwmark: 0x7, tos: 0x10, table: 7 }],
    ['ipproto and port ranges', { priority: 108, ipProto: 6, sport: 22, dport: { start: 8000, end: 8080 }, table: 8 }],
    ['uid range', { priority: 109, uidRange: { start: 1000, end: 1999 }, table: 9 }],
    ['suppress_prefixlength', { priority: 110, table: 'main', suppressPrefixLength: 0 }],
    ['protocol', { priority: 111, from: '10.11.0.0/16', table: 11, protocol: 'static' }],
    ['nop', { priority: 112, action: 'nop' }],
  ];
  for (const [what, spec] of v4) {
    it(`IPv4 ${what} round-trips`, async () => {
      await rt.rule.add(spec);
      await sameAsIp('inet', spec.priority!);
    });
  }

  const v6: [string, nl.RuleSpec][] = [
    ['from, table', { priority: 100, from: '2001:db8::/32', table: 200 }],
    ['to, iif, fwmark, a table id above 255', { priority: 101, to: '2001:db8:1::/48', iif: 'v0', fwmark: 3, table: 6000 }],
    ['unreachable', { priority: 102, from: '2001:db8:2::/48', action: 'unreachable' }],
    ['not, prohibit', { priority: 103, not: true, to: '2001:db8:3::/48', action: 'prohibit' }],
  ];
  for (const [what, spec] of v6) {
    it(`IPv6 ${what} round-trips`, async () => {
      await rt.rule.add(spec);
      const r = await sameAsIp('inet6', spec.priority!);
      expect(r.family).toBe('inet6');
    });
  }

  it('a goto to a missing target is reported unresolved, as ip shows it', async () => {
    await rt.rule.add({ priority: 150, fwmark: 15, goto: 151 });
    const r = await sameAsIp('inet', 150);
    expect(r.flags).toContain('unresolved');
  });

  it('the kernel picks a priority when none is given', async () => {
    await rt.rule.add({ from: '10.99.0.0/16', table: 99 });
    const r = (await rt.rule.list({ family: 'inet' })).find((x) => x.from === '10.99.0.0/16')!;
    expect(r.priority).toBeGreaterThan(0);
    await sameAsIp('inet', r.priority);
  });

  it('EEXIST for an identical rule, del by fields or by a listed rule, ENOENT when gone', async () => {
    await rt.rule.add({ priority: 300, from: '10.30.0.0/16', table: 30 });
    const dup = await rt.rule.add({ priority: 300, from: '10.30.0.0/16', table: 30 }).catch((e) => e);
    expect(dup).toBeInstanceOf(nl.NetlinkError);
    expect(dup.code).toBe('EEXIST');
    await rt.rule.del({ priority: 300 });
    expect(ipnJson(ns, 'rule', 'show').map((r: any) => r.priority)).not.toContain(300);
    await rt.rule.add({ priority: 301, to: '10.31.0.0/16', fwmark: 31, table: 31 });
    const listed = (await rt.rule.list({ family: 'inet' })).find((r) => r.priority === 301)!;
    await rt.rule.del(listed as nl.RuleSpec);
    expect(ipnJson(ns, 'rule', 'show').map((r: any) => r.priority)).not.toContain(301);
    const gone = await rt.rule.del({ priority: 301 }).catch((e) => e);
    expect(gone).toBeInstanceOf(nl.NetlinkError);
    expect(gone.code).toBe('ENOENT');
    expect(gone.operation).toBe('rule.del');
  });

  it('lists both families by default, like ip rule + ip -6 rule', async () => {
    const ours = await rt.rule.list();
    const theirs = [...ipnJson(ns, '-4', 'rule', 'show'), ...ipnJson(ns, '-6', 'rule', 'show')];
    expect(ours.length).toBe(theirs.length);
    expect(ours.filter((r) => r.family === 'inet6').length).toBe(ipnJson(ns, '-6', 'rule', 'show').length);
  });

  it('rejects bad input with a ValidationError naming the field', async () => {
    const bad: [nl.RuleSpec, string][] = [
      [{ priority: 400, from: '10.0.0.300/8' }, 'from'],
      [{ priority: 400, from: '10.0.0.0/33' }, 'from'],
      [{ priority: 400, from: '10.0.0.0/8', to: '2001:db8::/32' }, 'to'],
      [{ priority: 400, family: 'inet6', from: '10.0.0.0/8' }, 'from'],
      [{ priority: 400, iif: 'a/b' }, 'iif'],
      [{ priority: 400, fwmask: 0xff }, 'fwmask'],
      [{ priority: 400, action: 'teleport' as any }, 'action'],
      [{ priority: 400, action: 'goto' }, 'goto'],
      [{ priority: -1, table: 5 }, 'priority'],
      [{ priority: 400, table: 'all' }, 'table'],
      [{ priority: 400, dport: { start: 90, end: 80 }, table: 5 }, 'dport'],
    ];
    for (const [spec, field] of bad) {
      const err = await rt.rule.add(spec).catch((e) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(nl.ValidationError);
      expect(err.field).toBe(field);
    }
    expect(ipnJson(ns, 'rule', 'show').map((r: any) => r.priority)).not.toContain(400);
  });

  it('a goto backwards is refused by the kernel with its words', async () => {
    const err = await rt.rule.add({ priority: 500, goto: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('EINVAL');
    expect(err.extack).toMatch(/Backward goto not supported/);
  });
});

describe.skipIf(!isRoot)('rules and links', () => {
  it('iif/oif name links that need not exist yet', async () => {
    const n = pool.add('rule2');
    const r2 = await nl.open({ netns: n });
    try {
      await r2.rule.add({ priority: 10, iif: 'later0', table: 10 });
      expect(ipnJson(n, 'rule', 'show').find((r: any) => r.priority === 10)).toMatchObject({ iif: 'later0', iif_detached: null });
      const [r] = (await r2.rule.list({ family: 'inet' })).filter((x) => x.priority === 10);
      expect(r!.flags).toContain('iif_detached');
      ip('-n', n, 'link', 'add', 'later0', 'type', 'veth', 'peer', 'name', 'later1');
      const [after] = (await r2.rule.list({ family: 'inet' })).filter((x) => x.priority === 10);
      expect(after!.flags).not.toContain('iif_detached');
    } finally {
      r2.close();
      pool.cleanup();
    }
  });
});
