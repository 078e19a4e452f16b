/**
 * nl.nft against the kernel, with `nft -j` as the oracle both ways: what we apply lists the
 * same under `nft -j list ruleset`, what `nft -f` made lists the same under nft.list(); handles,
 * generation ids, monitor events; a 100-command transaction whose 50th command the kernel
 * refuses changes nothing; malformed documents are refused before anything is sent.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nft as nftApi, TransactionError, GenerationChangedError, type Nft, type NftEvent } from '../../lib/nfnetlink/nftables/index';
import { ValidationError } from '../../lib/errors';
import { NetnsPool, isRoot } from '../helpers/netns';
import { itRequires } from '../helpers/requires';

const pool = new NetnsPool();
const work = mkdtempSync(path.join(tmpdir(), 'nljs-nft-'));

function nftCli(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
}
function nftJson(ns: string, ...args: string[]): any {
  return JSON.parse(nftCli(ns, '-j', ...args));
}
function nftFile(ns: string, text: string): void {
  const f = path.join(work, `r-${Math.random().toString(36).slice(2)}.nft`);
  writeFileSync(f, text);
  nftCli(ns, '-f', f);
}

/**
 * What differs between nft 1.0.6's printing and ours by design (see docs/nftables.md):
 * countdowns ("expires") move between two listings; nft 1.0.6 prints a table's flags as
 * garbage and leaves out "dynamic", netdev devices and table/chain comments, which we print
 * as later nft does (so a listing applied again loses nothing).
 */
function normalize(doc: any): any {
  return JSON.parse(JSON.stringify(doc), (k, v) => {
    if (k === 'expires') return undefined;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if ('table' in v && typeof v.table === 'object') {
        if (v.table.flags !== undefined) v.table.flags = '(flags)';
        delete v.table.comment;
      }
      if ('chain' in v && typeof v.chain === 'object') {
        delete v.chain.dev;
        delete v.chain.comment;
      }
      if (('set' in v || 'map' in v) && typeof (v.set ?? v.map) === 'object') {
        const s = v.set ?? v.map;
        if (Array.isArray(s.flags)) {
          s.flags = s.flags.filter((f: string) => f !== 'dynamic');
          if (!s.flags.length) delete s.flags;
        }
      }
    }
    return v;
  });
}

describe.skipIf(!isRoot)('nl.nft against the kernel', () => {
  let ns: string;
  let nft: Nft;
  beforeAll(async () => {
    ns = pool.add('nft');
    nft = await nftApi.open({ netns: ns });
  });
  afterAll(() => {
    nft?.close();
    pool.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  const base = [
    { add: { table: { family: 'inet', name: 'fw' } } },
    { add: { counter: { family: 'inet', table: 'fw', name: 'cnt', packets: 3, bytes: 400 } } },
    { add: { quota: { family: 'inet', table: 'fw', name: 'q', bytes: 1048576, inv: true } } },
    { add: { limit: { family: 'inet', table: 'fw', name: 'lim', rate: 10, per: 'second', burst: 5 } } },
    { add: { set: { family: 'inet', table: 'fw', name: 'blocked', type: 'ipv4_addr', flags: ['interval'], elem: [{ prefix: { addr: '10.0.0.0', len: 8 } }, { range: ['172.16.0.1', '172.16.0.9'] }, '192.168.1.1'] } } },
    { add: { set: { family: 'inet', table: 'fw', name: 'pairs', type: ['ipv4_addr', 'inet_service'], size: 1000, comment: 'pairs', elem: [{ concat: ['1.2.3.4', 80] }] } } },
    { add: { map: { family: 'inet', table: 'fw', name: 'ports', type: 'inet_service', map: 'verdict', elem: [[22, { accept: null }], [23, { drop: null }]] } } },
    { add: { map: { family: 'inet', table: 'fw', name: 'nat', type: 'ipv4_addr', map: 'ipv4_addr', flags: ['interval'], elem: [[{ prefix: { addr: '10.1.0.0', len: 16 } }, '192.0.2.1']] } } },
    { add: { chain: { family: 'inet', table: 'fw', name: 'input', type: 'filter', hook: 'input', prio: 'filter - 5', policy: 'drop' } } },
    { add: { chain: { family: 'inet', table: 'fw', name: 'post', type: 'nat', hook: 'postrouting', prio: 'srcnat + 10' } } },
    { add: { chain: { family: 'inet', table: 'fw', name: 'pre', type: 'nat', hook: 'prerouting', prio: 'dstnat' } } },
    { add: { chain: { family: 'inet', table: 'fw', name: 'out', type: 'route', hook: 'output', prio: 'mangle' } } },
    { add: { chain: { family: 'inet', table: 'fw', name: 'sub', comment: 'helper' } } },
    { add: { rule: { family: 'inet', table: 'fw', chain: 'input', comment: 'ssh', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { accept: null }] } } },
    { add: { rule: { family: 'inet', table: 'fw', chain: 'input', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@blocked' } }, { drop: null }] } } },
    { add: { rule: { family: 'inet', table: 'fw', chain: 'input', expr: [{ counter: { packets: 0, bytes: 0 } }, { jump: { target: 'sub' } }] } } },
    { add: { table: { family: 'netdev', name: 'edge' } } },
    { add: { chain: { family: 'netdev', table: 'edge', name: 'ing', type: 'filter', hook: 'ingress', dev: 'lo', prio: -500 } } },
    { add: { table: { family: 'bridge', name: 'br' } } },
    { add: { chain: { family: 'bridge', table: 'br', name: 'pre', type: 'filter', hook: 'prerouting', prio: 'dstnat' } } },
    { add: { table: { family: 'arp', name: 'a' } } },
    { add: { chain: { family: 'arp', table: 'a', name: 'in', type: 'filter', hook: 'input', prio: 0 } } },
  ];

  it('applies tables, chains, sets, maps, objects and rules in one transaction; nft lists them as we do, with the handles we returned', async () => {
    const gen0 = await nft.generation();
    const res = await nft.apply({ nftables: base });
    const listed = nftJson(ns, 'list', 'ruleset');
    const ours = await nft.list();
    expect(normalize(ours)).toEqual(normalize(listed));
    // every added object's handle is the one nft shows
    expect(res.added.length).toBe(base.length);
    for (const a of res.added) {
      const hit = listed.nftables.find((o: any) => {
        const x = o[a.kind];
        return x && x.family === a.family && x.handle === a.handle && (a.kind === 'table' ? x.name === a.table : x.table === a.table);
      });
      expect(hit, `${a.kind} ${a.name ?? a.chain} handle ${a.handle}`).toBeDefined();
    }
    // what we applied is what nft lists (up to handles and nft's own defaults)
    const byKey = (o: any) => JSON.stringify([Object.keys(o)[0], o[Object.keys(o)[0]].family, o[Object.keys(o)[0]].table, o[Object.keys(o)[0]].name]);
    const set = listed.nftables.find((o: any) => o.set?.name === 'blocked').set;
    expect(set.elem).toEqual(base[4]!.add.set!.elem);
    const rule = listed.nftables.find((o: any) => o.rule?.comment === 'ssh').rule;
    expect(rule.expr).toEqual(base[13]!.add.rule!.expr);
    const chain = listed.nftables.find((o: any) => o.chain?.name === 'post').chain;
    expect(chain).toMatchObject({ type: 'nat', hook: 'postrouting', prio: 110 });
    expect(byKey({ table: { family: 'inet', name: 'fw' } })).toBeTruthy();
    expect(await nft.generation()).not.toBe(gen0);
  });

  it('lists what nft -f made exactly as nft -j list ruleset does (and a table, chain or set alone)', async () => {
    const ns2 = pool.add('nftf');
    await using n2 = await nftApi.open({ netns: ns2 });
    nftFile(ns2, `
table inet t {
  counter c1 { packets 1 bytes 2; }
  quota q1 { over 100 mbytes used 5 bytes; }
  limit l1 { rate 10/second burst 5 packets; }
  limit l2 { rate over 1 mbytes/second; }
  set s1 { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1, 172.16.0.1-172.16.0.9 }; }
  set s2 { type ipv4_addr . inet_service; flags timeout; timeout 1h; gc-interval 10s; size 1000; elements = { 1.2.3.4 . 80 timeout 30s comment "x", 1.2.3.5 . 22 }; comment "my set"; }
  set s3 { type inet_service; counter; policy memory; elements = { 22, 80 }; }
  set s6 { type ipv6_addr; flags interval; elements = { 2001:db8::/32, ::1 }; }
  map m1 { type ipv4_addr : verdict; elements = { 1.1.1.1 : drop, 2.2.2.2 : jump c }; }
  map m2 { type ipv4_addr : ipv4_addr; flags interval; elements = { 10.0.0.0/24 : 1.1.1.1 }; }
  set s4 { type ipv4_addr; flags dynamic, timeout; }
  chain c { }
  chain in { type filter hook input priority filter - 5; policy drop; }
  chain pre { type nat hook prerouting priority dstnat; }
  chain post { type nat hook postrouting priority srcnat + 10; }
  chain out { type route hook output priority mangle; }
  chain fw { type filter hook forward priority 7; tcp dport 22 accept comment "ssh"; ip saddr @s1 drop; counter; }
}
table netdev n { chain ing { type filter hook ingress device lo priority -500; }; }
table ip ipt { chain c { type filter hook output priority raw; }; }
table bridge b { chain x { type filter hook prerouting priority -300; }; }
table arp a { chain x { type filter hook input priority 0; }; }
`);
    expect(normalize(await n2.list())).toEqual(normalize(nftJson(ns2, 'list', 'ruleset')));
    expect(normalize(await n2.list({ family: 'inet', table: 't' }))).toEqual(normalize(nftJson(ns2, 'list', 'table', 'inet', 't')));
    expect(normalize(await n2.list({ family: 'inet', table: 't', chain: 'fw' }))).toEqual(normalize(nftJson(ns2, 'list', 'chain', 'inet', 't', 'fw')));
    expect(normalize(await n2.list({ family: 'inet', table: 't', set: 's1' }))).toEqual(normalize(nftJson(ns2, 'list', 'set', 'inet', 't', 's1')));
    expect(normalize(await n2.list({ family: 'ip' }))).toEqual(normalize(nftJson(ns2, 'list', 'ruleset', 'ip')));
    // nft's listing fed back to apply in a fresh namespace rebuilds the same ruleset
    const ns3 = pool.add('nftr');
    await using n3 = await nftApi.open({ netns: ns3 });
    const doc = await n2.list({ family: 'inet' });
    await n3.apply(doc);
    const strip = (d: any) => normalize(d).nftables.map((o: any) => {
      const k = Object.keys(o)[0]!;
      const { handle, ...rest } = o[k];
      if (Array.isArray(rest.elem)) rest.elem = JSON.parse(JSON.stringify(rest.elem, (kk, vv) => (kk === 'counter' ? undefined : vv)));
      return { [k]: rest };
    });
    expect(strip(await n3.list())).toEqual(strip(nftJson(ns2, 'list', 'ruleset', 'inet')));
  });

  it('table flags: a dormant table we add is dormant for nft, and one nft adds lists as dormant', async () => {
    await nft.apply({ nftables: [{ add: { table: { family: 'ip', name: 'dorm', flags: 'dormant' } } }] });
    expect(nftCli(ns, 'list', 'table', 'ip', 'dorm')).toMatch(/flags dormant/);
    nftFile(ns, 'table ip dorm2 { flags dormant; }\n');
    const doc = await nft.list({ family: 'ip', table: 'dorm2' });
    expect(doc.nftables[1]).toMatchObject({ table: { family: 'ip', name: 'dorm2', flags: 'dormant' } });
    await nft.apply({ nftables: [{ delete: { table: { family: 'ip', name: 'dorm' } } }, { delete: { table: { family: 'ip', name: 'dorm2' } } }] });
    expect(nftCli(ns, 'list', 'tables')).not.toMatch(/dorm/);
  });

  it('interfaces by name: meta iif/oif compile to the index in the target namespace and list by name', async () => {
    await nft.apply({ nftables: [
      { add: { table: { family: 'inet', name: 'ifs' } } },
      { add: { chain: { family: 'inet', table: 'ifs', name: 'c' } } },
      { add: { rule: { family: 'inet', table: 'ifs', chain: 'c', expr: [{ match: { op: '==', left: { meta: { key: 'iif' } }, right: 'lo' } }, { accept: null }] } } },
    ] });
    nftFile(ns, 'add rule inet ifs c oif lo drop\n');
    const theirs = nftJson(ns, 'list', 'table', 'inet', 'ifs');
    expect(theirs.nftables[3].rule.expr[0].match.right).toBe('lo');
    expect(await nft.list({ family: 'inet', table: 'ifs' })).toEqual(theirs);
    const err = await nft.apply({ nftables: [{ add: { rule: { family: 'inet', table: 'ifs', chain: 'c', expr: [{ match: { op: '==', left: { meta: { key: 'oif' } }, right: 'nosuchif0' } }, { accept: null }] } } }] }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe('nftables[0].add.rule.expr[0].match.right');
    await nft.apply({ nftables: [{ delete: { table: { family: 'inet', name: 'ifs' } } }] });
  });

  it('every verb: insert/add at a handle, replace, delete by handle, flush chain and set, delete elements, create refuses duplicates', async () => {
    const r = (n: number) => [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: n } }, { accept: null }];
    const res = await nft.apply({ nftables: [
      { add: { table: { family: 'ip', name: 'verbs' } } },
      { add: { chain: { family: 'ip', table: 'verbs', name: 'c' } } },
      { add: { rule: { family: 'ip', table: 'verbs', chain: 'c', expr: r(1) } } },
      { add: { rule: { family: 'ip', table: 'verbs', chain: 'c', expr: r(3) } } },
      { add: { set: { family: 'ip', table: 'verbs', name: 's', type: 'inet_service', elem: [1, 2, 3] } } },
    ] });
    const h = (i: number) => res.added.find((a) => a.index === i)!.handle;
    await nft.apply({ nftables: [
      { add: { rule: { family: 'ip', table: 'verbs', chain: 'c', handle: h(2), expr: r(2) } } },
      { insert: { rule: { family: 'ip', table: 'verbs', chain: 'c', expr: r(0) } } },
      { insert: { rule: { family: 'ip', table: 'verbs', chain: 'c', handle: h(3), expr: r(25) } } },
      { replace: { rule: { family: 'ip', table: 'verbs', chain: 'c', handle: h(3), expr: r(33) } } },
      { delete: { element: { family: 'ip', table: 'verbs', name: 's', elem: [2] } } },
      { add: { element: { family: 'ip', table: 'verbs', name: 's', elem: [9] } } },
    ] });
    const ports = () => nftJson(ns, 'list', 'chain', 'ip', 'verbs', 'c').nftables.filter((o: any) => o.rule).map((o: any) => o.rule.expr[0].match.right);
    expect(ports()).toEqual([0, 1, 2, 25, 33]);
    expect(nftJson(ns, 'list', 'set', 'ip', 'verbs', 's').nftables[1].set.elem).toEqual([1, 3, 9]);
    await nft.apply({ nftables: [{ delete: { rule: { family: 'ip', table: 'verbs', chain: 'c', handle: h(2) } } }] });
    expect(ports()).toEqual([0, 2, 25, 33]);
    const dup = await nft.apply({ nftables: [{ create: { table: { family: 'ip', name: 'verbs' } } }] }).catch((e) => e);
    expect(dup).toMatchObject({ name: 'TransactionError', code: 'EEXIST', index: 0 });
    await nft.apply({ nftables: [{ flush: { chain: { family: 'ip', table: 'verbs', name: 'c' } } }, { flush: { set: { family: 'ip', table: 'verbs', name: 's' } } }] });
    expect(ports()).toEqual([]);
    expect(nftJson(ns, 'list', 'set', 'ip', 'verbs', 's').nftables[1].set.elem).toBeUndefined();
    await nft.apply({ nftables: [{ delete: { table: { family: 'ip', name: 'verbs' } } }] });
    expect(nftCli(ns, 'list', 'tables')).not.toMatch(/verbs/);
  });

  itRequires(['nft:flowtable'], 'flowtables: added with devices and priority, listed as nft lists them, both ways', async () => {
    const before = await nft.generation();
    const res = await nft.apply({ nftables: [
      { add: { table: { family: 'inet', name: 'ft' } } },
      { add: { flowtable: { family: 'inet', table: 'ft', name: 'f', hook: 'ingress', prio: 'filter + 1', dev: 'lo' } } },
    ] });
    expect(res.added.map((a) => a.kind)).toEqual(['table', 'flowtable']);
    expect(await nft.generation()).not.toBe(before);
    // A device sits in one flowtable of a table: nft's flowtable gets a link of its own.
    execFileSync('ip', ['-n', ns, 'link', 'add', 'ftd0', 'type', 'veth', 'peer', 'name', 'ftd1']);
    nftFile(ns, 'add flowtable inet ft g { hook ingress priority -5; devices = { ftd0, ftd1 }; }\n');
    const theirs = nftJson(ns, 'list', 'table', 'inet', 'ft');
    const f = theirs.nftables.find((o: any) => o.flowtable?.name === 'f').flowtable;
    expect(f).toMatchObject({ hook: 'ingress', prio: 1, handle: res.added[1]!.handle });
    expect(await nft.list({ family: 'inet', table: 'ft' })).toEqual(theirs);
    await nft.apply({ nftables: [{ delete: { flowtable: { family: 'inet', table: 'ft', name: 'g' } } }, { delete: { table: { family: 'inet', name: 'ft' } } }] });
  });

  it('flush ruleset + additions replace a ruleset atomically; forward references inside the additions work', async () => {
    const ns4 = pool.add('nftfl');
    await using n4 = await nftApi.open({ netns: ns4 });
    nftFile(ns4, 'table ip old { chain c { }; }\n');
    await n4.apply({ nftables: [
      { flush: { ruleset: null } },
      { add: { table: { family: 'ip', name: 'new' } } },
      { add: { map: { family: 'ip', table: 'new', name: 'vm', type: 'inet_service', map: 'verdict', elem: [[22, { jump: { target: 'later' } }]] } } },
      { add: { rule: { family: 'ip', table: 'new', chain: 'later', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@later_set' } }, { drop: null }] } } },
      { add: { chain: { family: 'ip', table: 'new', name: 'later' } } },
      { add: { set: { family: 'ip', table: 'new', name: 'later_set', type: 'ipv4_addr' } } },
    ] });
    const tables = nftJson(ns4, 'list', 'tables').nftables.filter((o: any) => o.table).map((o: any) => o.table.name);
    expect(tables).toEqual(['new']);
    expect(nftJson(ns4, 'list', 'map', 'ip', 'new', 'vm').nftables[1].map.elem).toEqual([[22, { jump: { target: 'later' } }]]);
  });

  it('ties changes to a generation: a stale generation id fails and changes nothing', async () => {
    const gen = await nft.generation();
    await nft.apply({ nftables: [{ add: { table: { family: 'ip', name: 'g1' } } }] }, { generation: gen });
    const before = nftCli(ns, '-j', 'list', 'ruleset');
    const err = await nft.apply({ nftables: [{ add: { table: { family: 'ip', name: 'g2' } } }] }, { generation: gen }).catch((e) => e);
    expect(err).toBeInstanceOf(GenerationChangedError);
    expect(err.code).toBe('ERESTART');
    expect(nftCli(ns, '-j', 'list', 'ruleset')).toBe(before);
  });

  it('monitor yields typed events for what a transaction committed, and ends when the loop is left', async () => {
    const mon = nft.monitor();
    await (mon as any).ready;
    const seen: NftEvent[] = [];
    const done = (async () => {
      for await (const ev of mon) {
        seen.push(ev);
        if (ev.kind === 'generation' && seen.some((e) => e.kind === 'rule')) break;
      }
    })();
    nftFile(ns, 'add table ip mon\nadd chain ip mon c\nadd set ip mon s { type ipv4_addr; }\nadd element ip mon s { 1.2.3.4 }\nadd rule ip mon c ip daddr 9.9.9.9 drop\n');
    await done;
    expect(seen.map((e) => `${e.op} ${e.kind}`)).toEqual(['add table', 'add chain', 'add set', 'add element', 'add rule', 'add generation']);
    expect(seen[0]!.object).toMatchObject({ family: 'ip', name: 'mon' });
    expect(seen[4]!.object).toMatchObject({ family: 'ip', table: 'mon', chain: 'c', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: '9.9.9.9' } }, { drop: null }] });
    expect(seen[3]!.object).toEqual({ family: 'ip', table: 'mon', name: 's', elem: ['1.2.3.4'] });
    // a set made before the monitor started: its element events are typed too
    const mon2 = nft.monitor();
    await (mon2 as any).ready;
    nftFile(ns, 'add element ip mon s { 5.6.7.8 }\ndelete element ip mon s { 1.2.3.4 }\n');
    const evs: NftEvent[] = [];
    for await (const ev of mon2) {
      evs.push(ev);
      if (evs.length === 3) break;
    }
    expect(evs.map((e) => [e.op, e.kind, (e.object as any).elem])).toEqual([['add', 'element', ['5.6.7.8']], ['delete', 'element', ['1.2.3.4']], ['add', 'generation', undefined]]);
  });

  it('atomicity: a 100-command transaction whose 50th command the kernel refuses changes nothing and names command 50', async () => {
    const before = nftCli(ns, '-j', 'list', 'ruleset');
    const cmds: any[] = [{ add: { table: { family: 'ip', name: 'atomic' } } }];
    for (let i = 1; i < 100; i++) {
      cmds.push(i === 49
        ? { add: { chain: { family: 'ip', table: 'no-such-table', name: 'c49' } } }
        : { add: { chain: { family: 'ip', table: 'atomic', name: `c${i}` } } });
    }
    const err = await nft.apply({ nftables: cmds }).catch((e) => e);
    expect(err).toBeInstanceOf(TransactionError);
    expect(err.index).toBe(49);
    expect(err.path).toBe('nftables[49]');
    expect(err.command).toBe('add chain');
    expect(err.code).toBe('ENOENT');
    expect(err.attribute).toBe('nftables[49].add.chain.table');
    expect(err.message).toContain('command 50 (nftables[49], add chain)');
    expect(err.message).toContain('ENOENT');
    expect(nftCli(ns, '-j', 'list', 'ruleset')).toBe(before);
  });

  it('kernel extack text reaches the error (a rule jumping to a chain that does not exist)', async () => {
    const before = nftCli(ns, '-j', 'list', 'ruleset');
    const err = await nft.apply({ nftables: [
      { add: { table: { family: 'ip', name: 'x1' } } },
      { add: { chain: { family: 'ip', table: 'x1', name: 'c' } } },
      { add: { rule: { family: 'ip', table: 'x1', chain: 'c', expr: [{ jump: { target: 'nowhere' } }] } } },
    ] }).catch((e) => e);
    expect(err).toBeInstanceOf(TransactionError);
    expect(err.index).toBe(2);
    expect(err.code).toBe('ENOENT');
    expect(nftCli(ns, '-j', 'list', 'ruleset')).toBe(before);
  });

  it('malformed documents are ValidationErrors naming the path; nothing is sent', async () => {
    const before = nftCli(ns, '-j', 'list', 'ruleset');
    const gen = await nft.generation();
    const cases: [any, string][] = [
      [{ nftables: [{ add: { table: { family: 'ip', name: 'v' } } }, { add: { chain: { family: 'ip', table: 'v', name: 'c' } } }, { add: { counter: { family: 'ip', table: 'v', name: 'k' } } }, { add: { rule: { family: 'ip', table: 'v', chain: 'c', expr: [{ accept: null }, { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: 42 } }] } } }] }, 'nftables[3].add.rule.expr[1].match.right'],
      [{ nftables: [{ add: { table: { family: 'ip', name: 'v' } } }, { frobnicate: { table: { family: 'ip', name: 'v' } } }] }, 'nftables[1].frobnicate'],
      [{ nftables: [{ add: { tabel: { family: 'ip', name: 'v' } } }] }, 'nftables[0].add.tabel'],
      [{ nftables: [{ add: { chain: { family: 'ip', table: 'v', name: 'c', hook: 'input', prio: 'filter', policy: 'maybe' } } }] }, 'nftables[0].add.chain.policy'],
      [{ nftables: [{ add: { rule: { family: 'ip', table: 'v', chain: 'c', expr: [{ frob: null }] } } }] }, 'nftables[0].add.rule.expr[0]'],
      [{ nftables: [], extra: 1 }, 'extra'],
    ];
    for (const [doc, field] of cases) {
      const err = await nft.apply(doc).catch((e) => e);
      expect(err, field).toBeInstanceOf(ValidationError);
      expect(err.field.startsWith(field), `${err.field} vs ${field}`).toBe(true);
    }
    await expect(nft.apply({ nftables: [] }, { generaton: 1 } as any)).rejects.toMatchObject({ field: 'options.generaton' });
    expect(await nft.generation()).toBe(gen);
    expect(nftCli(ns, '-j', 'list', 'ruleset')).toBe(before);
  });
});
