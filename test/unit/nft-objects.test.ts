import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { buildTable, decodeTable } from '../../lib/nfnetlink/nftables/objects/table';
import { buildChain, decodeChain, parsePriority } from '../../lib/nfnetlink/nftables/objects/chain';
import { buildSet, buildElementMessages, decodeElementMessage, decodeSet, encodeElements, formatElements } from '../../lib/nfnetlink/nftables/objects/set';
import { buildStateful, decodeStateful } from '../../lib/nfnetlink/nftables/objects/stateful';
import { buildFlowtable, decodeFlowtable } from '../../lib/nfnetlink/nftables/objects/flowtable';
import { NFT_MSG, nftType } from '../../lib/nfnetlink/nftables/constants';
import { NLM_F_APPEND, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL } from '../../lib/wire/constants';

// A request and a dump reply of the same object carry the same attributes: decode what we built.
const rt = <T>(m: { bytes: Buffer }, decode: (b: Buffer, o: number, l: number) => T): T => decode(m.bytes, 0, m.bytes.length);
const throwsAt = (fn: () => unknown, field: string) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).field).toBe(field);
    return;
  }
  throw new Error(`expected a ValidationError at ${field}`);
};

describe('nft tables', () => {
  it('add/create differ by NLM_F_EXCL; flags and comment survive a round trip', () => {
    const add = buildTable('add', { family: 'inet', name: 't', flags: ['dormant'], comment: 'hello' }, 'p', NLM_F_ECHO);
    expect(add.bytes.readUInt16LE(4)).toBe(nftType(NFT_MSG.NEWTABLE));
    expect(add.bytes.readUInt16LE(6) & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO)).toBe(NLM_F_CREATE | NLM_F_ECHO);
    expect(add.bytes[16]).toBe(1); // NFPROTO_INET
    expect(rt(add, decodeTable)).toEqual({ family: 'inet', name: 't', handle: undefined, flags: 'dormant', comment: 'hello' });
    const create = buildTable('create', { family: 'ip', name: 't' }, 'p', 0);
    expect(create.bytes.readUInt16LE(6) & NLM_F_EXCL).toBe(NLM_F_EXCL);
  });

  it('flush table is a DELRULE naming only the table; delete takes a name or handle', () => {
    expect(buildTable('flush', { family: 'ip', name: 't' }, 'p', 0).bytes.readUInt16LE(4)).toBe(nftType(NFT_MSG.DELRULE));
    expect(buildTable('delete', { family: 'ip', handle: 7 }, 'p', 0).bytes.readUInt16LE(4)).toBe(nftType(NFT_MSG.DELTABLE));
    throwsAt(() => buildTable('delete', { family: 'ip' }, 'p', 0), 'p.name');
  });

  it('rejects unknown keys, families and flags naming the path', () => {
    throwsAt(() => buildTable('add', { family: 'inet', name: 't', nmae: 'x' }, 'nftables[0].add.table', 0), 'nftables[0].add.table.nmae');
    throwsAt(() => buildTable('add', { family: 'ipv4', name: 't' }, 'x', 0), 'x.family');
    throwsAt(() => buildTable('add', { family: 'ip', name: 't', flags: ['dorm'] }, 'x', 0), 'x.flags[0]');
    throwsAt(() => buildTable('add', { family: 'ip', name: '' }, 'x', 0), 'x.name');
  });
});

describe('nft chains', () => {
  it('resolves named priorities with offsets as nft does, per family', () => {
    expect(parsePriority('srcnat', 'ip', 'p')).toBe(100);
    expect(parsePriority('srcnat + 10', 'inet', 'p')).toBe(110);
    expect(parsePriority('filter - 5', 'inet', 'p')).toBe(-5);
    expect(parsePriority('dstnat', 'ip', 'p')).toBe(-100);
    expect(parsePriority('raw', 'ip', 'p')).toBe(-300);
    expect(parsePriority('mangle', 'ip', 'p')).toBe(-150);
    expect(parsePriority('security', 'ip', 'p')).toBe(50);
    expect(parsePriority('filter', 'bridge', 'p')).toBe(-200);
    expect(parsePriority('dstnat', 'bridge', 'p')).toBe(-300);
    expect(parsePriority('-500', 'netdev', 'p')).toBe(-500);
    expect(parsePriority(-7, 'ip', 'p')).toBe(-7);
    throwsAt(() => parsePriority('nonsense', 'ip', 'c.prio'), 'c.prio');
    throwsAt(() => parsePriority('out', 'ip', 'c.prio'), 'c.prio');
  });

  it('base chains carry hook, priority, type, policy and devices; decode as nft prints them', () => {
    const m = buildChain('add', { family: 'inet', table: 't', name: 'post', type: 'nat', hook: 'postrouting', prio: 'srcnat + 10', policy: 'accept' }, 'p', 0);
    expect(rt(m, decodeChain)).toEqual({ family: 'inet', table: 't', name: 'post', handle: undefined, type: 'nat', hook: 'postrouting', prio: 110, policy: 'accept' });
    const d = buildChain('add', { family: 'netdev', table: 'n', name: 'ing', type: 'filter', hook: 'ingress', prio: -500, dev: ['lo', 'eth9'], policy: 'drop' }, 'p', 0);
    expect(rt(d, decodeChain)).toMatchObject({ hook: 'ingress', prio: -500, dev: ['eth9', 'lo'], policy: 'drop' }); // sorted, as nft prints them
    const one = buildChain('add', { family: 'netdev', table: 'n', name: 'ing', hook: 'ingress', prio: 0, dev: 'lo' }, 'p', 0);
    expect(rt(one, decodeChain)).toMatchObject({ type: 'filter', dev: 'lo' });
    const regular = buildChain('add', { family: 'ip', table: 't', name: 'c', comment: 'x' }, 'p', 0);
    expect(rt(regular, decodeChain)).toEqual({ family: 'ip', table: 't', name: 'c', handle: undefined, comment: 'x' });
  });

  it('validates hooks, types, policies and devices per family', () => {
    throwsAt(() => buildChain('add', { family: 'ip', table: 't', name: 'c', hook: 'ingres', prio: 0 }, 'c', 0), 'c.hook');
    throwsAt(() => buildChain('add', { family: 'arp', table: 't', name: 'c', hook: 'prerouting', prio: 0 }, 'c', 0), 'c.hook');
    throwsAt(() => buildChain('add', { family: 'ip', table: 't', name: 'c', hook: 'input', prio: 0, type: 'nta' }, 'c', 0), 'c.type');
    throwsAt(() => buildChain('add', { family: 'ip', table: 't', name: 'c', hook: 'input', prio: 0, policy: 'reject' }, 'c', 0), 'c.policy');
    throwsAt(() => buildChain('add', { family: 'ip', table: 't', name: 'c', hook: 'input' }, 'c', 0), 'c.prio');
    throwsAt(() => buildChain('add', { family: 'netdev', table: 't', name: 'c', hook: 'ingress', prio: 0 }, 'c', 0), 'c.dev');
    throwsAt(() => buildChain('add', { family: 'ip', table: 't', name: 'c', policy: 'drop' }, 'c', 0), 'c.policy');
  });
});

describe('nft sets and elements', () => {
  it('an interval set: header round trip, elements as start/end pairs, listed back in nft form', () => {
    const p = buildSet('set', 'add', { family: 'inet', table: 't', name: 's', type: 'ipv4_addr', flags: ['interval'], comment: 'c', size: 100,
      elem: ['192.168.1.1', { prefix: { addr: '10.0.0.0', len: 8 } }, { range: ['172.16.0.1', '172.16.0.9'] }] }, 'p', 0, 7);
    const d = rt(p.msg!, decodeSet);
    expect(d.json).toMatchObject({ family: 'inet', table: 't', name: 's', type: 'ipv4_addr', flags: ['interval'], comment: 'c', size: 100 });
    expect(d.info.flags & 0x4).toBe(0x4);
    const kernel = encodeElements(p.info, p.elems!, 'p.elem');
    expect(kernel.length).toBe(6);
    const msgs = buildElementMessages('add', 1, p.info, kernel, 'p');
    const back = decodeElementMessage(msgs[0]!.bytes, 0, msgs[0]!.bytes.length);
    expect(back.table).toBe('t');
    expect(back.set).toBe('s');
    expect(formatElements(d.info, back.elems)).toEqual([{ prefix: { addr: '10.0.0.0', len: 8 } }, { range: ['172.16.0.1', '172.16.0.9'] }, '192.168.1.1']);
  });

  it('concatenated keys, element timeouts, comments and counters; maps with verdicts and values', () => {
    const s = buildSet('set', 'add', { family: 'ip', table: 't', name: 's2', type: ['ipv4_addr', 'inet_service'], flags: ['timeout'], timeout: 3600, 'gc-interval': 10, stmt: [{ counter: null }] }, 'p', 0, 1);
    const d = rt(s.msg!, decodeSet);
    expect(d.json).toMatchObject({ type: ['ipv4_addr', 'inet_service'], flags: ['timeout'], timeout: 3600, 'gc-interval': 10, stmt: [{ counter: null }] });
    const k = encodeElements(s.info, [{ elem: { val: { concat: ['1.2.3.4', 80] }, timeout: 30, comment: 'x' } }, { concat: ['1.2.3.5', 22] }], 'e');
    const m = buildElementMessages('add', 2, s.info, k, 'e')[0]!;
    const back = decodeElementMessage(m.bytes, 0, m.bytes.length).elems;
    // nft's print order: concatenations sort as one little-endian number (22 < 80 decides)
    expect(formatElements(d.info, back)).toEqual([{ concat: ['1.2.3.5', 22] }, { elem: { val: { concat: ['1.2.3.4', 80] }, timeout: 30, comment: 'x' } }]);

    const vm = buildSet('map', 'add', { family: 'inet', table: 't', name: 'm', type: 'ipv4_addr', map: 'verdict' }, 'p', 0, 2);
    const vk = encodeElements(vm.info, [['1.1.1.1', { drop: null }], ['2.2.2.2', { jump: { target: 'c' } }]], 'e');
    const vmsg = buildElementMessages('add', 1, vm.info, vk, 'e')[0]!;
    expect(formatElements(rt(vm.msg!, decodeSet).info, decodeElementMessage(vmsg.bytes, 0, vmsg.bytes.length).elems)).toEqual([['1.1.1.1', { drop: null }], ['2.2.2.2', { jump: { target: 'c' } }]]);
    const dm = buildSet('map', 'add', { family: 'ip', table: 't', name: 'm2', type: 'ipv4_addr', map: 'ipv4_addr', flags: ['interval'] }, 'p', 0, 3);
    const dk = encodeElements(dm.info, [[{ prefix: { addr: '10.0.0.0', len: 24 } }, '1.1.1.1']], 'e');
    const dmsg = buildElementMessages('add', 2, dm.info, dk, 'e')[0]!;
    expect(formatElements(rt(dm.msg!, decodeSet).info, decodeElementMessage(dmsg.bytes, 0, dmsg.bytes.length).elems)).toEqual([[{ prefix: { addr: '10.0.0.0', len: 24 } }, '1.1.1.1']]);
  });

  it('splits large element lists over messages whose element nest fits a 16-bit length', () => {
    const s = buildSet('set', 'add', { family: 'ip', table: 't', name: 'big', type: 'ipv4_addr', flags: ['interval'] }, 'p', 0, 1);
    const elems = Array.from({ length: 20000 }, (_, i) => ({ prefix: { addr: `10.${i >> 8}.${i & 255}.0`, len: 24 } }));
    const k = encodeElements(s.info, elems, 'e');
    const msgs = buildElementMessages('add', 2, s.info, k, 'e');
    expect(msgs.length).toBeGreaterThan(4);
    let total = 0;
    for (const m of msgs) {
      expect(m.bytes.length).toBeLessThan(65535);
      total += decodeElementMessage(m.bytes, 0, m.bytes.length).elems.length;
    }
    expect(total).toBe(k.length);
  });

  it('rejects bad types, flags, elements and map shapes naming the path', () => {
    throwsAt(() => buildSet('set', 'add', { family: 'ip', table: 't', name: 's', type: 'ipv4_adr' }, 'x', 0, 1), 'x.type');
    throwsAt(() => buildSet('set', 'add', { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', flags: ['intervl'] }, 'x', 0, 1), 'x.flags[0]');
    throwsAt(() => buildSet('map', 'add', { family: 'ip', table: 't', name: 's', type: 'ipv4_addr' }, 'x', 0, 1), 'x.map');
    const s = buildSet('set', 'add', { family: 'ip', table: 't', name: 's', type: 'ipv4_addr' }, 'x', 0, 1);
    throwsAt(() => encodeElements(s.info, ['1.2.3.4', '1.2.3.400'], 'x.elem'), 'x.elem[1]');
    throwsAt(() => encodeElements(s.info, [{ elem: { val: '1.2.3.4', timeout: 5 } }], 'x.elem'), 'x.elem[0]');
    const m = buildSet('map', 'add', { family: 'ip', table: 't', name: 'm', type: 'ipv4_addr', map: 'verdict' }, 'x', 0, 1);
    throwsAt(() => encodeElements(m.info, ['1.2.3.4'], 'x.elem'), 'x.elem[0]');
    throwsAt(() => encodeElements(m.info, [['1.2.3.4', { jump: {} }]], 'x.elem'), 'x.elem[0][1].jump.target');
  });
});

describe('nft stateful objects and flowtables', () => {
  it('counter, quota and limit round trip as nft -j prints them', () => {
    const c = buildStateful('counter', 'add', { family: 'inet', table: 't', name: 'c1', packets: 1, bytes: 2 }, 'p', 0);
    expect(rt(c, decodeStateful)).toEqual({ kind: 'counter', json: { family: 'inet', name: 'c1', table: 't', handle: undefined, packets: 1, bytes: 2 } });
    const q = buildStateful('quota', 'add', { family: 'inet', table: 't', name: 'q1', bytes: 104857600, used: 5, inv: true }, 'p', 0);
    expect(rt(q, decodeStateful).json).toMatchObject({ bytes: 104857600, used: 5, inv: true });
    const l = buildStateful('limit', 'add', { family: 'inet', table: 't', name: 'l1', rate: 10, per: 'second', burst: 5 }, 'p', 0);
    expect(rt(l, decodeStateful).json).toMatchObject({ rate: 10, per: 'second', burst: 5 });
    const lb = buildStateful('limit', 'add', { family: 'inet', table: 't', name: 'l2', rate: 1, per: 'second', rate_unit: 'mbytes', inv: true }, 'p', 0);
    expect(rt(lb, decodeStateful).json).toMatchObject({ rate: 1, per: 'second', rate_unit: 'mbytes', inv: true });
    throwsAt(() => buildStateful('limit', 'add', { family: 'inet', table: 't', name: 'l', rate: 1, per: 'fortnight' }, 'x', 0), 'x.per');
    throwsAt(() => buildStateful('quota', 'add', { family: 'inet', table: 't', name: 'q' }, 'x', 0), 'x.bytes');
  });

  it('flowtables carry hook priority and devices', () => {
    const f = buildFlowtable('add', { family: 'inet', table: 't', name: 'f', hook: 'ingress', prio: 'filter + 1', dev: ['v0', 'lo'] }, 'p', 0);
    // nft prints devices sorted by name, whatever order the kernel keeps them in
    expect(rt(f, decodeFlowtable)).toEqual({ family: 'inet', name: 'f', table: 't', handle: undefined, hook: 'ingress', prio: 1, dev: ['lo', 'v0'] });
  });
});

void NLM_F_APPEND;

describe('nft monitor events', () => {
  it('decodes object messages into typed events, element keys by the set types it has seen', async () => {
    const { decodeNftEvent } = await import('../../lib/nfnetlink/nftables/nft');
    const t = buildTable('add', { family: 'ip', name: 'mon' }, 'p', 0);
    expect(decodeNftEvent(t.bytes, 0, t.bytes.length, t.bytes.readUInt16LE(4))).toEqual({ op: 'add', kind: 'table', object: { family: 'ip', name: 'mon', handle: undefined } });
    const del = buildTable('delete', { family: 'ip', name: 'mon' }, 'p', 0);
    expect(decodeNftEvent(del.bytes, 0, del.bytes.length, del.bytes.readUInt16LE(4))).toMatchObject({ op: 'delete', kind: 'table' });
    const sets = new Map();
    const s = buildSet('set', 'add', { family: 'ip', table: 'mon', name: 's', type: 'ipv4_addr' }, 'p', 0, 1);
    expect(decodeNftEvent(s.msg!.bytes, 0, s.msg!.bytes.length, s.msg!.bytes.readUInt16LE(4), sets)).toMatchObject({ op: 'add', kind: 'set', object: { name: 's', type: 'ipv4_addr' } });
    const e = buildElementMessages('add', 2, s.info, encodeElements(s.info, ['1.2.3.4'], 'e'), 'e')[0]!;
    expect(decodeNftEvent(e.bytes, 0, e.bytes.length, e.bytes.readUInt16LE(4), sets)).toEqual({ op: 'add', kind: 'element', object: { family: 'ip', table: 'mon', name: 's', elem: ['1.2.3.4'] } });
    // unknown set: keys stay hex
    expect(decodeNftEvent(e.bytes, 0, e.bytes.length, e.bytes.readUInt16LE(4), new Map())).toMatchObject({ object: { elem: [{ key: '0x01020304' }] } });
    // not nf_tables: ignored
    expect(decodeNftEvent(e.bytes, 0, e.bytes.length, 0x0100)).toBeUndefined();
  });
});
