/**
 * The JSON ⇄ register-level compiler without root: linearize (compileRule) and delinearize
 * (decompileRule) on their own, ValidationErrors naming the path inside the document, the raw
 * form of what decompile does not recognize, and the data type codec (datatypes.ts).
 * The kernel/nft oracle for the same code is test/integration/nft-corpus.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { compileRule, type AnonSet, type NftFamily } from '../../lib/nfnetlink/nftables/compile';
import { decompileRule } from '../../lib/nfnetlink/nftables/decompile';
import {
  decodeKey, encodeInterval, encodeKey, encodeValue, formatInterval, fromKernelIntervals, resolveType, resolveTypeId,
  toKernelIntervals, typeByName,
} from '../../lib/nfnetlink/nftables/datatypes';

const PATH = 'nftables[3].add.rule.expr';

function compile(expr: unknown[], family: NftFamily = 'inet') {
  let id = 1;
  return compileRule(expr, { family, allocSetId: () => id++ }, PATH);
}

/** compile, then decompile with the anonymous sets the compile produced. */
function roundTrip(expr: unknown[], family: NftFamily = 'inet'): unknown[] {
  const { exprs, anonSets } = compile(expr, family);
  const byName = new Map<string, AnonSet>();
  // The kernel numbers anonymous sets; name them the way a listing would.
  let n = 0;
  const named = exprs.map((e) => {
    if (e.name !== 'lookup' || typeof e.setId !== 'number') return e;
    const s = anonSets.find((a) => a.id === e.setId)!;
    const name = `${s.name.replace('%d', '')}${n++}`;
    byName.set(name, s);
    return { ...e, set: name };
  });
  return decompileRule(named, { family, set: (name) => byName.get(name) });
}

function validationPath(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).field;
  }
  throw new Error('expected a ValidationError');
}

const m = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
const tcp = (field: string) => ({ payload: { protocol: 'tcp', field } });
const ip = (field: string) => ({ payload: { protocol: 'ip', field } });

describe('compileRule', () => {
  it('tcp dport in an inet table: meta l4proto dependency, 2-byte load, network-order compare', () => {
    const { exprs, anonSets } = compile([m(tcp('dport'), 22), { accept: null }]);
    expect(anonSets).toEqual([]);
    expect(exprs).toEqual([
      { name: 'meta', dreg: 1, key: 16 },
      { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([6]) },
      { name: 'payload', dreg: 1, base: 2, offset: 2, len: 2 },
      { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([0, 22]) },
      { name: 'immediate', dreg: 0, data: { code: 1 } },
    ]);
  });

  it('ip saddr in inet needs meta nfproto; in bridge meta protocol; in ip nothing', () => {
    expect(compile([m(ip('saddr'), '1.2.3.4')], 'inet').exprs.slice(0, 2)).toEqual([
      { name: 'meta', dreg: 1, key: 15 }, { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([2]) },
    ]);
    expect(compile([m(ip('saddr'), '1.2.3.4')], 'bridge').exprs.slice(0, 2)).toEqual([
      { name: 'meta', dreg: 1, key: 1 }, { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([8, 0]) },
    ]);
    expect(compile([m(ip('saddr'), '1.2.3.4')], 'ip').exprs[0]).toEqual({ name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 });
  });

  it('a dependency the user matched already is not repeated', () => {
    const { exprs } = compile([m({ meta: { key: 'l4proto' } }, 'tcp'), m(tcp('dport'), 22)]);
    expect(exprs.filter((e) => e.name === 'meta')).toHaveLength(1);
  });

  it('byte-aligned prefixes load only their bytes; others mask the whole field', () => {
    expect(compile([m(ip('saddr'), { prefix: { addr: '10.0.0.0', len: 8 } })], 'ip').exprs).toEqual([
      { name: 'payload', dreg: 1, base: 1, offset: 12, len: 1 },
      { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([10]) },
    ]);
    expect(compile([m(ip('saddr'), { prefix: { addr: '10.1.2.0', len: 23 } })], 'ip').exprs).toEqual([
      { name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
      { name: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: Buffer.from([255, 255, 254, 0]), xor: Buffer.alloc(4) },
      { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([10, 1, 2, 0]) },
    ]);
  });

  it('ranges: two comparisons for ==, a range expression for !=, byteorder first for host-order keys', () => {
    expect(compile([m(tcp('dport'), { range: [1000, 2000] })], 'ip').exprs.slice(2)).toEqual([
      { name: 'payload', dreg: 1, base: 2, offset: 2, len: 2 },
      { name: 'cmp', sreg: 1, op: 5, data: Buffer.from([0x03, 0xe8]) },
      { name: 'cmp', sreg: 1, op: 3, data: Buffer.from([0x07, 0xd0]) },
    ]);
    expect(compile([m(tcp('dport'), { range: [1, 100] }, '!=')], 'ip').exprs[3]).toEqual(
      { name: 'range', sreg: 1, op: 1, from: Buffer.from([0, 1]), to: Buffer.from([0, 100]) },
    );
    expect(compile([m({ meta: { key: 'mark' } }, { range: [16, 32] })]).exprs.slice(0, 2)).toEqual([
      { name: 'meta', dreg: 1, key: 3 },
      { name: 'byteorder', sreg: 1, dreg: 1, op: 1, len: 4, size: 4 },
    ]);
  });

  it('ct state flag test (op "in") and explicit equality', () => {
    expect(compile([m({ ct: { key: 'state' } }, ['established', 'related'], 'in')]).exprs).toEqual([
      { name: 'ct', dreg: 1, key: 0 },
      { name: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: Buffer.from([6, 0, 0, 0]), xor: Buffer.alloc(4) },
      { name: 'cmp', sreg: 1, op: 1, data: Buffer.alloc(4) },
    ]);
    expect(compile([m({ ct: { key: 'state' } }, 'established')]).exprs[1]).toEqual({ name: 'cmp', sreg: 1, op: 0, data: Buffer.from([2, 0, 0, 0]) });
  });

  it('anonymous sets: one per lookup, set id from the context, interval sets with end markers', () => {
    const { exprs, anonSets } = compile([m(ip('saddr'), { set: [{ prefix: { addr: '10.0.0.0', len: 8 } }, '192.168.0.1'] })], 'ip');
    expect(exprs[1]).toEqual({ name: 'lookup', sreg: 1, set: '__set%d', setId: 1 });
    expect(anonSets).toHaveLength(1);
    const s = anonSets[0]!;
    expect(s).toMatchObject({ name: '__set%d', id: 1, flags: 0x1 | 0x2 | 0x4, keyType: 7, keyLen: 4 });
    expect(s.elements.map((e) => [e.key.toString('hex'), e.flags])).toEqual([
      ['00000000', 1], ['0a000000', 0], ['0b000000', 1], ['c0a80001', 0], ['c0a80002', 1],
    ]);
  });

  it('a one-element set compiles to a plain comparison, as nft does', () => {
    const { exprs, anonSets } = compile([m(tcp('dport'), { set: [22] })], 'ip');
    expect(anonSets).toEqual([]);
    expect(exprs[3]).toEqual({ name: 'cmp', sreg: 1, op: 0, data: Buffer.from([0, 22]) });
  });

  it('concatenations fill consecutive 32-bit registers and key a concatenated set', () => {
    const left = { concat: [ip('saddr'), tcp('dport')] };
    const { exprs, anonSets } = compile([m(left, { set: [{ concat: ['10.0.0.1', 22] }, { concat: ['10.0.0.2', 80] }] })], 'ip');
    expect(exprs.filter((e) => e.name === 'payload').map((e) => e.dreg)).toEqual([1, 9]);
    expect(anonSets[0]).toMatchObject({ keyType: (7 << 6) | 13, keyLen: 8 });
    expect(anonSets[0]!.elements.map((e) => e.key.toString('hex'))).toEqual(['0a00000100160000', '0a00000200500000']);
  });

  it('verdict maps: lookup into the verdict register, map data are verdicts', () => {
    const { exprs, anonSets } = compile([{ vmap: { key: tcp('dport'), data: { set: [[22, { accept: null }], [80, { jump: { target: 'web' } }]] } } }], 'ip');
    expect(exprs.at(-1)).toEqual({ name: 'lookup', sreg: 1, dreg: 0, set: '__map%d', setId: 1 });
    expect(anonSets[0]).toMatchObject({ flags: 0x1 | 0x2 | 0x8, dataType: 0xffffff00 });
    expect(anonSets[0]!.elements.map((e) => e.data)).toEqual([{ code: 1 }, { code: -3, chain: 'web' }]);
  });

  it('NAT with address and port ranges uses four registers', () => {
    const { exprs } = compile([{ dnat: { addr: { range: ['10.0.0.2', '10.0.0.5'] }, port: { range: [80, 90] } } }], 'ip');
    expect(exprs.at(-1)).toEqual({ name: 'nat', type: 1, family: 2, regAddrMin: 1, regAddrMax: 2, regProtoMin: 3, regProtoMax: 4, flags: 3 });
  });

  it('payload writes keep checksums right; narrow fields are merged in with a mask', () => {
    const { exprs } = compile([{ mangle: { key: ip('ttl'), value: 9 } }], 'ip');
    expect(exprs).toEqual([
      { name: 'payload', dreg: 1, base: 1, offset: 8, len: 2 },
      { name: 'bitwise', sreg: 1, dreg: 1, len: 2, mask: Buffer.from([0, 255]), xor: Buffer.from([9, 0]) },
      { name: 'payload', sreg: 1, base: 1, offset: 8, len: 2, csumType: 1, csumOffset: 10, csumFlags: 0 },
    ]);
  });

  it('adjacent header equalities share one load (nft payload merge)', () => {
    const { exprs } = compile([m({ payload: { protocol: 'icmp', field: 'type' } }, 'echo-request'), m({ payload: { protocol: 'icmp', field: 'code' } }, 0)], 'ip');
    expect(exprs.slice(2)).toEqual([
      { name: 'payload', dreg: 1, base: 2, offset: 0, len: 2 },
      { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([8, 0]) },
    ]);
  });

  it('statements: counter, named counter, limit, quota, log, reject, notrack, flow offload', () => {
    const { exprs } = compile([
      { counter: null }, { counter: 'c1' }, { limit: { rate: 10, per: 'second' } },
      { quota: { val: 100, val_unit: 'mbytes', inv: true } }, { log: { prefix: 'x', level: 'info' } },
      { reject: { type: 'icmpx', expr: 'admin-prohibited' } }, { notrack: null }, { flow: { op: 'add', flowtable: '@ft' } },
    ]);
    expect(exprs).toEqual([
      { name: 'counter' },
      { name: 'objref', immType: 1, immName: 'c1' },
      { name: 'limit', rate: 10, unit: 1, burst: 5, type: 0, flags: 0 },
      { name: 'quota', bytes: 100 * 1024 * 1024, flags: 1 },
      { name: 'log', prefix: 'x', level: 6 },
      { name: 'reject', type: 2, icmpCode: 3 },
      { name: 'notrack' },
      { name: 'flow_offload', table: 'ft' },
    ]);
  });
});

describe('compileRule errors name the path inside the document', () => {
  const cases: [string, unknown[], string][] = [
    ['unknown statement', [{ accept: null }, { frobnicate: {} }], `${PATH}[1]`],
    ['wrong type for the right side', [{ accept: null }, m(tcp('dport'), 'not-a-port')], `${PATH}[1].match.right`],
    ['bad address', [m(ip('saddr'), '10.0.0.300')], `${PATH}[0].match.right`],
    ['bad operator', [{ match: { op: '=~', left: tcp('dport'), right: 1 } }], `${PATH}[0].match.op`],
    ['unknown field', [m({ payload: { protocol: 'tcp', field: 'colour' } }, 1)], `${PATH}[0].match.left.payload.field`],
    ['unknown protocol', [m({ payload: { protocol: 'quic', field: 'x' } }, 1)], `${PATH}[0].match.left.payload.protocol`],
    ['unknown meta key', [m({ meta: { key: 'colour' } }, 1)], `${PATH}[0].match.left.meta.key`],
    ['ct address without a direction', [m({ ct: { key: 'ip saddr' } }, '1.2.3.4')], `${PATH}[0].match.left.ct.dir`],
    ['set element of the wrong type', [m(tcp('dport'), { set: [22, 'x'] })], `${PATH}[0].match.right.set[1]`],
    ['prefix too long', [m(ip('saddr'), { prefix: { addr: '10.0.0.0', len: 33 } })], `${PATH}[0].match.right.prefix.len`],
    ['port out of range', [m(tcp('dport'), 70000)], `${PATH}[0].match.right`],
    ['verdict map value', [{ vmap: { key: tcp('dport'), data: { set: [[22, { allow: null }]] } } }], `${PATH}[0].vmap.data.set[0][1]`],
    ['jump without target', [{ jump: {} }], `${PATH}[0].jump.target`],
    ['unknown log level', [{ log: { level: 'loud' } }], `${PATH}[0].log.level`],
    ['unknown nat flag', [{ snat: { addr: '1.2.3.4', flags: ['sticky'] } }], `${PATH}[0].snat.flags[0]`],
    ['extra key in a match', [{ match: { op: '==', left: tcp('dport'), right: 1, extra: 1 } }], `${PATH}[0].match.extra`],
    ['ip field in an ip6 table', [m(ip('saddr'), '1.2.3.4')], `${PATH}[0].match.left.payload`],
    ['interface name without a resolver', [m({ meta: { key: 'iif' } }, 'lo')], `${PATH}[0].match.right`],
    ['statement list not a list', 'nope' as unknown as unknown[], PATH],
    ['a raw statement from a listing', [{ accept: null }, { raw: { exprs: [{ name: 'queue' }] } }], `${PATH}[1]`],
  ];
  for (const [what, expr, path] of cases) {
    it(what, () => {
      expect(validationPath(() => compile(expr, what === 'ip field in an ip6 table' ? 'ip6' : 'inet'))).toBe(path);
    });
  }

  it('converts host-order keys before a lookup in a named interval set', () => {
    const ctx = { family: 'ip' as const, allocSetId: () => 1, namedSet: (n: string) => ({ key: [typeByName('mark')!], interval: n === 'ranges' }) };
    expect(compileRule([m({ meta: { key: 'mark' } }, '@ranges')], ctx, PATH).exprs.map((e) => e.name)).toEqual(['meta', 'byteorder', 'lookup']);
    expect(compileRule([m({ meta: { key: 'mark' } }, '@plain')], ctx, PATH).exprs.map((e) => e.name)).toEqual(['meta', 'lookup']);
  });

  it('resolves interface names through the context', () => {
    const { exprs } = compileRule([m({ meta: { key: 'iif' } }, 'lo')], { family: 'inet', allocSetId: () => 1, ifindex: (n) => (n === 'lo' ? 1 : undefined) }, PATH);
    expect(exprs[1]).toEqual({ name: 'cmp', sreg: 1, op: 0, data: Buffer.from([1, 0, 0, 0]) });
  });
});

describe('decompileRule prints nft normal forms', () => {
  const same: [string, unknown[], NftFamily?][] = [
    ['port match with its dependency hidden', [m(tcp('dport'), 22), { accept: null }]],
    ['every comparison operator', ['!=', '<', '<=', '>', '>='].map((op) => m(tcp('sport'), 1024, op))],
    ['prefixes (aligned and not)', [m(ip('saddr'), { prefix: { addr: '10.0.0.0', len: 8 } }), m(ip('daddr'), { prefix: { addr: '10.1.2.0', len: 23 } }, '!=')]],
    ['ranges', [m(tcp('dport'), { range: [1000, 2000] }), m({ meta: { key: 'mark' } }, { range: [16, 32] }), m(tcp('sport'), { range: [1, 9] }, '!=')]],
    ['flag tests and bitwise', [m({ ct: { key: 'state' } }, ['established', 'related'], 'in'), m({ '&': [{ meta: { key: 'mark' } }, 255] }, 3), m({ '|': [{ meta: { key: 'mark' } }, 1] }, 3)]],
    ['anonymous sets, sorted', [m(tcp('dport'), { set: [22, 80, 443] }), m({ ct: { key: 'state' } }, { set: ['established', 'new'] })]],
    ['interval set', [m(ip('saddr'), { set: [{ prefix: { addr: '10.0.0.0', len: 8 } }, '172.16.0.1', { range: ['192.168.0.1', '192.168.0.9'] }] })]],
    ['concatenation', [m({ concat: [ip('saddr'), tcp('dport')] }, { set: [{ concat: ['10.0.0.1', 22] }] })]],
    ['verdict map', [{ vmap: { key: tcp('dport'), data: { set: [[22, { accept: null }], [23, { goto: { target: 'x' } }]] } } }]],
    ['map in NAT', [{ dnat: { family: 'ip', addr: { map: { key: tcp('dport'), data: { set: [[1, '10.0.0.1'], [2, '10.0.0.2']] } } } } }]],
    ['sub-byte fields', [m({ payload: { protocol: 'ip', field: 'dscp' } }, 'cs1'), m({ payload: { protocol: 'ip6', field: 'flowlabel' } }, 1234)]],
    ['mangle', [{ mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 16] } } }, { mangle: { key: ip('ttl'), value: 9 } }, { mangle: { key: tcp('dport'), value: 22 } }]],
    ['nat', [{ snat: { family: 'ip', addr: { prefix: { addr: '1.2.3.0', len: 24 } } } }, { masquerade: { port: { range: [1024, 2000] }, flags: ['random', 'persistent'] } }, { redirect: null }]],
    ['stateful', [{ counter: { packets: 0, bytes: 0 } }, { counter: 'c' }, { limit: { rate: 10, burst: 5, per: 'minute' } }, { quota: { val: 5, val_unit: 'mbytes' } }, { log: { prefix: 'p', level: 'debug' } }]],
    ['reject', [{ reject: { type: 'icmpx', expr: 'host-unreachable' } }, { reject: { type: 'icmp', expr: 'admin-prohibited' } }]],
    ['fib', [m({ fib: { result: 'type', flags: ['daddr'] } }, 'local'), m({ fib: { result: 'oif', flags: ['saddr', 'iif'] } }, false)]],
    ['ct keys', [m({ ct: { key: 'ip saddr', dir: 'original' } }, '10.0.0.1'), m({ ct: { key: 'expiration' } }, 30), m({ ct: { key: 'status' } }, 'dnat', 'in')]],
    ['interface name wildcard', [m({ meta: { key: 'iifname' } }, 'eth*'), m({ meta: { key: 'oifname' } }, 'lo', '!=')]],
    ['bridge vlan', [m({ payload: { protocol: 'vlan', field: 'id' } }, 10), m({ payload: { protocol: 'ether', field: 'saddr' } }, '00:11:22:33:44:55')], 'bridge'],
    ['set statements (dynset)', [
      { set: { op: 'add', elem: ip('saddr'), set: '@seen' } },
      { set: { op: 'update', elem: { elem: { val: ip('saddr'), timeout: 30 } }, set: '@seen', stmt: [{ counter: null }] } },
      { map: { op: 'update', elem: ip('saddr'), data: { meta: { key: 'mark' } }, map: '@m' } },
    ], 'ip'],
    ['tcp options', [
      m({ 'tcp option': { name: 'maxseg', field: 'size' } }, 1460),
      { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: 1360 } },
      m({ 'tcp option': { name: 'sack-perm' } }, true),
    ]],
    ['ct label and helper', [m({ ct: { key: 'label' } }, 1, 'in'), m({ ct: { key: 'helper' } }, 'ftp')]],
  ];
  for (const [what, expr, family] of same) {
    it(what, () => {
      expect(roundTrip(expr, family ?? 'inet')).toEqual(expr);
    });
  }

  it('a one-element set comes back as its element (nft compiles it to a comparison)', () => {
    expect(roundTrip([m(tcp('dport'), { set: [22] })])).toEqual([m(tcp('dport'), 22)]);
    expect(roundTrip([m({ ct: { key: 'state' } }, { set: ['new'] })])).toEqual([m({ ct: { key: 'state' } }, 'new', 'in')]);
  });

  it('adjacent equalities merged into one load are printed field by field', () => {
    const expr = [m({ payload: { protocol: 'icmp', field: 'type' } }, 'echo-request'), m({ payload: { protocol: 'icmp', field: 'code' } }, 'net-unreachable')];
    expect(roundTrip(expr, 'ip')).toEqual(expr);
  });

  it('keeps what it does not recognize as a raw statement, after the statements it did', () => {
    const out = decompileRule([
      { name: 'counter', bytes: 0, packets: 0 },
      { name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
      { name: 'frobnicate', raw: Buffer.from('08000100', 'hex') },
      { name: 'immediate', dreg: 0, data: { code: 1 } },
    ], { family: 'ip' });
    expect(out).toEqual([
      { counter: { packets: 0, bytes: 0 } },
      { raw: { exprs: [
        { name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
        { name: 'frobnicate', raw: '0x08000100' },
        { name: 'immediate', dreg: 0, data: { code: 1 } },
      ] } },
    ]);
  });

  it('reads the older prefix pattern (whole-field load + mask) as a prefix too', () => {
    const out = decompileRule([
      { name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
      { name: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: Buffer.from([255, 255, 255, 0]), xor: Buffer.alloc(4) },
      { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([192, 168, 1, 0]) },
    ], { family: 'ip' });
    expect(out).toEqual([m(ip('saddr'), { prefix: { addr: '192.168.1.0', len: 24 } })]);
  });

  it('a load never used is not silently dropped', () => {
    const out = decompileRule([{ name: 'meta', dreg: 1, key: 3 }], { family: 'ip' });
    expect(out).toEqual([{ raw: { exprs: [{ name: 'meta', dreg: 1, key: 3 }] } }]);
  });

  it('never throws on scrambled expression lists (every rule lists, raw where needed)', () => {
    const sources = same.map(([, expr, family]) => compile(expr, family ?? 'inet').exprs);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 400; round++) {
      const src = sources[rand(sources.length)]!;
      const list = src.filter(() => rand(4) !== 0);
      if (list.length > 1 && rand(2)) {
        const a = rand(list.length);
        const b = rand(list.length);
        [list[a], list[b]] = [list[b]!, list[a]!];
      }
      const out = decompileRule(list, { family: 'inet', set: () => undefined });
      expect(Array.isArray(out)).toBe(true);
    }
  });

  it('names interfaces through the context', () => {
    const out = decompileRule([
      { name: 'meta', dreg: 1, key: 4 }, { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([1, 0, 0, 0]) },
    ], { family: 'ip', ifname: (i) => (i === 1 ? 'lo' : undefined) });
    expect(out).toEqual([m({ meta: { key: 'iif' } }, 'lo')]);
  });
});

describe('datatypes', () => {
  it('names and numbers as nft has them', () => {
    expect(['verdict', 'ipv4_addr', 'ipv6_addr', 'ether_addr', 'inet_proto', 'inet_service', 'mark', 'ct_state', 'ifname'].map((n) => typeByName(n)!.id))
      .toEqual([1, 7, 8, 9, 12, 13, 19, 26, 41]);
  });

  it('concatenated types: ids shifted 6 bits per member, members padded to 4 bytes', () => {
    const t = resolveType(['ipv4_addr', 'inet_service'], 'type');
    expect(t).toMatchObject({ id: (7 << 6) | 13, len: 8, concat: true });
    expect(resolveTypeId(t.id, t.len)!.json).toEqual(['ipv4_addr', 'inet_service']);
    const key = encodeKey(t, { concat: ['10.0.0.1', 22] }, 'elem');
    expect(key.toString('hex')).toBe('0a00000100160000');
    expect(decodeKey(t, key)).toEqual({ concat: ['10.0.0.1', 22] });
    expect(validationPath(() => resolveType(['ipv4_addr', 'nope'], 'set.type'))).toBe('set.type[1]');
  });

  it('values in their byte order; symbols both ways', () => {
    expect(encodeValue(typeByName('mark')!, 0x10, 'v').toString('hex')).toBe('10000000');
    expect(encodeValue(typeByName('inet_service')!, 'ssh', 'v').toString('hex')).toBe('0016');
    expect(encodeValue(typeByName('ct_state')!, ['established', 'related'], 'v').toString('hex')).toBe('06000000');
    expect(decodeKey(resolveType('inet_proto', 't'), Buffer.from([6]))).toBe('tcp');
    expect(validationPath(() => encodeValue(typeByName('ifname')!, 'x'.repeat(16), 'elem[2]'))).toBe('elem[2]');
  });

  it('interval elements: start / end pairs, read back and printed as nft prints them', () => {
    const t = resolveType('ipv4_addr', 't');
    const ranges = [
      encodeInterval(t, { prefix: { addr: '10.0.0.0', len: 8 } }, 'e[0]'),
      encodeInterval(t, { range: ['192.168.1.1', '192.168.1.5'] }, 'e[1]'),
      encodeInterval(t, '255.255.255.255', 'e[2]'),
    ];
    const elems = toKernelIntervals(ranges, 'e');
    expect(elems.map((e) => [e.key.toString('hex'), e.flags])).toEqual([
      ['0a000000', 0], ['0b000000', 1], ['c0a80101', 0], ['c0a80106', 1], ['ffffffff', 0],
    ]);
    const back = fromKernelIntervals(elems).map(({ interval }) => formatInterval(t, interval.from, interval.to));
    expect(back).toEqual([{ prefix: { addr: '10.0.0.0', len: 8 } }, { range: ['192.168.1.1', '192.168.1.5'] }, '255.255.255.255']);
    expect(validationPath(() => toKernelIntervals([ranges[0]!, encodeInterval(t, '10.1.1.1', 'x')], 'elem'))).toBe('elem[1]');
  });
});
