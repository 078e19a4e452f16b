/**
 * The fast paths of nft.list and nft.apply against the general ones they stand in for:
 * - IPv4 interval elements read word by word (aligned replies), byte by byte (unaligned) and by
 *   the general element decoder print the same list;
 * - a dump the engine restarts after NLM_F_DUMP_INTR lists each element and rule once
 *   (through Nft.list on a fake kernel);
 * - rules listed through shape templates print exactly what the full decompiler prints, and
 *   rules that differ outside the values a template fills in (a dependency's protocol, a
 *   prefix length, an interface wildcard) are never merged;
 * - rules applied through shapes are byte for byte the rules the compiler builds, and values
 *   that would compile differently (a set name, a wildcard, an invalid address) are compiled.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../lib/core/engine';
import { ValidationError } from '../../lib/errors';
import { NLM_F_DUMP_INTR, NLM_F_MULTI } from '../../lib/wire/constants';
import { Nft } from '../../lib/nfnetlink/nftables/nft';
import { NFT_MSG, nftType } from '../../lib/nfnetlink/nftables/constants';
import { buildTable } from '../../lib/nfnetlink/nftables/objects/table';
import { buildChain } from '../../lib/nfnetlink/nftables/objects/chain';
import { buildRule, ruleTarget } from '../../lib/nfnetlink/nftables/objects/rule';
import {
  buildElementMessages, buildSet, decodeElementMessage, decodeIpv4ElementMessage, encodeElements, encodeIpv4Intervals, formatElements, formatIpv4Intervals,
  type KernelElement,
} from '../../lib/nfnetlink/nftables/objects/set';
import { compileRuleForApply } from '../../lib/nfnetlink/nftables/rule-bridge';
import { RuleDumpDecoder, type ListedRule } from '../../lib/nfnetlink/nftables/rule-templates';
import { RuleShapes } from '../../lib/nfnetlink/nftables/apply-templates';
import { decompileRule, type DecompileContext } from '../../lib/nfnetlink/nftables/decompile';
import { decodeExprs } from '../../lib/nfnetlink/nftables/expr/codec';
import type { NftFamily } from '../../lib/nfnetlink/nftables/compile';
import { FakeTransport, ack, attr, done, tick } from '../helpers/fake-kernel';

const blocked = buildSet('set', 'add', { family: 'inet', table: 't', name: 'blocked', type: 'ipv4_addr', flags: ['interval'] }, 'p', 0, 1);

/** Element JSON: /30s, single addresses, ranges, and the end of the address space. */
function someElements(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const a = `10.${(i * 8) >> 16}.${((i * 8) >> 8) & 255}.${(i * 8) & 255}`;
    out.push(i % 7 === 3 ? a : i % 11 === 5 ? { range: [a, `10.${(i * 8) >> 16}.${((i * 8) >> 8) & 255}.${((i * 8) & 255) + 2}`] } : { prefix: { addr: a, len: 30 } });
  }
  out.push({ prefix: { addr: '192.168.0.0', len: 16 } }, '255.255.255.255');
  return out;
}

/** NEWSETELEM dump parts holding `elems` (the kernel's layout), newest-first as the kernel walks its tree. */
function elementParts(elems: unknown[]): Buffer[] {
  const fast = encodeIpv4Intervals(blocked.info, elems)!;
  // Reverse into the kernel's (descending) order.
  const keys = Uint32Array.from(fast.keys.subarray(0, fast.count)).reverse();
  const ends = Uint8Array.from(fast.ends.subarray(0, fast.count)).reverse();
  return buildElementMessages('add', 1, blocked.info, { keys, ends, count: fast.count }, 'p').map((m) => Buffer.from(m.bytes));
}

/** A copy of `b` at an odd byte offset (the byte-by-byte path). */
function unaligned(b: Buffer): Buffer {
  const big = Buffer.alloc(b.length + 1);
  b.copy(big, 1);
  return big.subarray(1);
}

describe('nft.list IPv4 interval elements', () => {
  it('word, byte and general decoders print the same elements, as formatElements does', () => {
    const elems = someElements(3000);
    const parts = elementParts(elems);
    expect(parts.length).toBeGreaterThan(1);
    const words = formatIpv4Intervals(parts.map((p) => decodeIpv4ElementMessage(p, 0, p.length)));
    const bytes = formatIpv4Intervals(parts.map((p) => decodeIpv4ElementMessage(unaligned(p), 0, p.length)));
    const general: KernelElement[] = [];
    for (const p of parts) decodeElementMessage(p, 0, p.length, general);
    expect(words).toEqual(formatElements(blocked.info, general));
    expect(bytes).toEqual(words);
    expect(words.length).toBe(elems.length);
    expect(words).toContainEqual('255.255.255.255');
    expect(words).toContainEqual({ prefix: { addr: '192.168.0.0', len: 16 } });
    // In ascending order too (as another kernel might walk).
    const asc = buildElementMessages('add', 1, blocked.info, encodeIpv4Intervals(blocked.info, elems)!, 'p').map((m) => m.bytes);
    expect(formatIpv4Intervals(asc.map((p) => decodeIpv4ElementMessage(p, 0, p.length)))).toEqual(words);
  });

  it('an element with more than key and flags sends the set to the general decoder', () => {
    const info = buildSet('set', 'add', { family: 'inet', table: 't', name: 's', type: 'ipv4_addr', flags: ['interval'] }, 'p', 0, 1).info;
    const [m] = buildElementMessages('add', 1, info, encodeElements(info, [{ elem: { val: { prefix: { addr: '10.0.0.0', len: 8 } }, comment: 'x' } }], 'p'), 'p');
    expect(decodeIpv4ElementMessage(m!.bytes, 0, m!.bytes.length).complex).toBe(true);
  });
});

// ---------------------------------------------------------------- a fake kernel for Nft.list

const RULES: unknown[][] = [];
for (let i = 0; i < 12; i++) {
  RULES.push([
    { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: `10.1.0.${i}` } },
    { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 1000 + i } },
    { counter: { packets: i, bytes: 100 * i } },
    { accept: null },
  ]);
}

/** A NEWRULE reply (the attributes buildRule writes, which are the ones the kernel dumps). */
function ruleMessage(family: string, table: string, chain: string, expr: unknown[], ifindexes?: Map<string, number>): Buffer {
  const t = ruleTarget('add', { family, table, chain, expr }, 'r');
  let id = 100;
  const c = compileRuleForApply(t, 'r.expr', () => id++, () => undefined, ifindexes);
  return Buffer.from(buildRule('add', t, c.exprs, 'r', 0).bytes);
}

/** Sets `seq` and flags in a copy of message `m`. */
function reply(m: Buffer, seq: number, flags = NLM_F_MULTI): Buffer {
  const b = Buffer.from(m);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  return b;
}

/** Answers what Nft.list asks; the first element dump and the first rule dump are interrupted. */
async function listWithFakeKernel(interrupt: boolean): Promise<{ doc: Record<string, unknown>[]; elementDumps: number; ruleDumps: number }> {
  const t = new FakeTransport();
  const engine = new Engine(t);
  const nft = new Nft({ engine, sock: undefined as never, portId: 1 }, {});
  const parts = elementParts(someElements(6000));
  const table = buildTable('add', { family: 'inet', name: 't' }, 'p', 0).bytes;
  const chain = buildChain('add', { family: 'inet', table: 't', name: 'c' }, 'p', 0).bytes;
  const rules = RULES.map((r) => ruleMessage('inet', 't', 'c', r));
  let elementDumps = 0;
  let ruleDumps = 0;
  const p = nft.list();
  let seen = 0;
  for (let round = 0; round < 40; round++) {
    await tick();
    const msgs = t.messages().slice(seen);
    seen += msgs.length;
    for (const m of msgs) {
      const type = m.type & 0xff;
      const out: Buffer[] = [];
      if (type === NFT_MSG.GETGEN) {
        const id = Buffer.alloc(4);
        id.writeUInt32BE(7);
        const payload = Buffer.concat([Buffer.from([1, 0, 0, 0]), attr(1, id)]);
        const g = Buffer.alloc(16 + payload.length);
        g.writeUInt32LE(g.length, 0);
        g.writeUInt16LE(nftType(NFT_MSG.NEWGEN), 4);
        g.writeUInt32LE(m.seq, 8);
        payload.copy(g, 16);
        out.push(g, ack(m.seq));
      } else if (type === NFT_MSG.GETTABLE) out.push(reply(table, m.seq), done(m.seq));
      else if (type === NFT_MSG.GETCHAIN) out.push(reply(chain, m.seq), done(m.seq));
      else if (type === NFT_MSG.GETSET) out.push(reply(blocked.msg!.bytes, m.seq), done(m.seq));
      else if (type === NFT_MSG.GETRULE) {
        // An interrupted attempt ends after part of the rules, its last part flagged.
        const n = interrupt && ++ruleDumps === 1 ? 5 : rules.length;
        rules.slice(0, n).forEach((r, i) => out.push(reply(r, m.seq, NLM_F_MULTI | (n < rules.length && i === n - 1 ? NLM_F_DUMP_INTR : 0))));
        out.push(done(m.seq));
      } else if (type === NFT_MSG.GETSETELEM) {
        const n = ++elementDumps === 1 && interrupt ? 1 : parts.length;
        parts.slice(0, n).forEach((e, i) => out.push(reply(e, m.seq, NLM_F_MULTI | (n < parts.length && i === n - 1 ? NLM_F_DUMP_INTR : 0))));
        out.push(done(m.seq));
      } else out.push(done(m.seq));
      engine.receive(Buffer.concat(out));
    }
    const settled = await Promise.race([p.then(() => true), tick().then(() => false)]);
    if (settled) break;
  }
  const doc = (await p).nftables;
  return { doc, elementDumps, ruleDumps };
}

describe('nft.list on a dump restarted after NLM_F_DUMP_INTR', () => {
  it('lists every element and rule once, as an undisturbed listing does', async () => {
    const calm = await listWithFakeKernel(false);
    const bumpy = await listWithFakeKernel(true);
    expect(bumpy.elementDumps).toBe(2);
    expect(bumpy.ruleDumps).toBe(2);
    expect(calm.elementDumps).toBe(1);
    expect(bumpy.doc).toEqual(calm.doc);
    const set = bumpy.doc.find((o) => 'set' in o)!.set as { elem: unknown[] };
    expect(set.elem.length).toBe(someElements(6000).length);
    const rules = bumpy.doc.filter((o) => 'rule' in o);
    expect(rules.length).toBe(RULES.length);
    expect((rules[11]!.rule as { expr: unknown[] }).expr).toEqual(RULES[11]);
  });
});

// ---------------------------------------------------------------- templates

/** Each shape with values that vary (three of each, so templates are made, compiled and used). */
function shapes(): { family: NftFamily; expr: unknown[] }[] {
  const out: { family: NftFamily; expr: unknown[] }[] = [];
  const m = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
  const pl = (protocol: string, field: string) => ({ payload: { protocol, field } });
  for (let i = 1; i <= 3; i++) {
    // `meta l4proto X th dport` prints as `X dport`: the protocol is no leaf.
    out.push({ family: 'inet', expr: [m({ meta: { key: 'l4proto' } }, 'tcp'), m(pl('th', 'dport'), 20 + i), { accept: null }] });
    out.push({ family: 'inet', expr: [m({ meta: { key: 'l4proto' } }, 'udp'), m(pl('th', 'dport'), 20 + i), { accept: null }] });
    out.push({ family: 'inet', expr: [m(pl('ip', 'saddr'), `10.0.${i}.0`), m(pl('tcp', 'dport'), 1000 + i), { counter: { packets: i * 3, bytes: i * 1500 } }, { drop: null }] });
    // Prefix lengths differ in the mask, which is no leaf.
    out.push({ family: 'ip', expr: [m(pl('ip', 'daddr'), { prefix: { addr: `192.168.${i}.0`, len: 24 } }), { accept: null }] });
    out.push({ family: 'ip', expr: [m(pl('ip', 'daddr'), { prefix: { addr: `172.${16 + i}.0.0`, len: 16 } }), { accept: null }] });
    out.push({ family: 'inet', expr: [m(pl('tcp', 'dport'), { range: [1000 * i, 1000 * i + 99] }), { accept: null }] });
    out.push({ family: 'inet', expr: [m({ meta: { key: 'iifname' } }, `eth${i}`), { accept: null }] });
    out.push({ family: 'inet', expr: [m({ meta: { key: 'iifname' } }, `veth${i}*`), { accept: null }] });
    out.push({ family: 'inet', expr: [m({ meta: { key: 'mark' } }, 0x100 * i), m({ ct: { key: 'state' } }, ['established', 'related'], 'in'), { accept: null }] });
    out.push({ family: 'bridge', expr: [m(pl('ether', 'type'), 'ip'), m(pl('ip', 'saddr'), `10.9.9.${i}`), { drop: null }] });
    out.push({ family: 'bridge', expr: [m(pl('ether', 'type'), 'ip6'), m(pl('ip6', 'saddr'), `fe80::${i}`), { drop: null }] });
    // A flag test compares with zero; the same bytes with another value are a masked compare.
    out.push({ family: 'inet', expr: [m({ '&': [{ ct: { key: 'state' } }, 'established'] }, i === 2 ? 0 : 'new', '!='), { accept: null }] });
    // Need the rest of the listing: an anonymous set's elements, an interface name.
    out.push({ family: 'inet', expr: [m(pl('tcp', 'dport'), { set: [22, 80 + i] }), { accept: null }] });
    out.push({ family: 'inet', expr: [m({ meta: { key: 'iif' } }, 'lo'), { accept: null }] });
  }
  return out;
}

describe('nft.list rule templates', () => {
  it('print every rule as the full decompiler does; shapes that differ outside leaves are not merged', () => {
    const ifindexes = new Map([['lo', 1]]);
    const decoder = new RuleDumpDecoder();
    const listed: { r: ListedRule; bytes: Buffer; family: NftFamily; anonSet?: { flags: number; elements: KernelElement[] } }[] = [];
    for (const s of shapes()) {
      const t = ruleTarget('add', { family: s.family, table: 't', chain: 'c', expr: s.expr }, 'r');
      const c = compileRuleForApply(t, 'r.expr', () => 1, () => undefined, ifindexes);
      const msg = Buffer.from(buildRule('add', t, c.exprs, 'r', 0).bytes);
      const anon = c.anonymousSets[0];
      listed.push({ r: decoder.decode(msg, 0, msg.length), bytes: msg, family: s.family, ...(anon ? { anonSet: { flags: anon.info.flags, elements: anon.elems } } : {}) });
    }
    const ctxOf = (x: (typeof listed)[number]): DecompileContext => ({ family: x.family, ifname: (i) => (i === 1 ? 'lo' : undefined), set: () => x.anonSet });
    decoder.finish(listed.map((x) => x.r), (r) => ctxOf(listed.find((x) => x.r === r)!));
    expect(decoder.ifindex).toBe(true);
    expect(decoder.deferred.size).toBe(6); // the anonymous-set and iif rules
    for (const x of listed) {
      // The full decompiler on the rule's expressions (after the 20-byte header, table and chain).
      const at = x.bytes.indexOf(Buffer.from([0x04, 0x80]), 20) - 2; // NFTA_RULE_EXPRESSIONS | NLA_F_NESTED
      const len = x.bytes.readUInt16LE(at);
      const full = decompileRule(decodeExprs(x.bytes, at + 4, at + len), ctxOf(x));
      expect(x.r.expr).toEqual(full);
    }
    const printed = listed.map((x) => JSON.stringify(x.r.expr));
    expect(printed.filter((p) => p.includes('"protocol":"tcp","field":"dport"}},"right":22')).length).toBe(1);
    expect(printed.filter((p) => p.includes('"protocol":"udp","field":"dport"}},"right":22')).length).toBe(1);
    expect(printed.filter((p) => p.includes('"len":16')).length).toBe(3);
    expect(printed.filter((p) => p.includes('"veth2*"')).length).toBe(1);
    expect(printed.filter((p) => p.includes('"right":"eth3"')).length).toBe(1);
    expect(printed.filter((p) => p.includes('"packets":9,"bytes":4500')).length).toBe(1);
    expect(printed.filter((p) => p.includes('"fe80::3"')).length).toBe(1);
    expect(printed.filter((p) => p.includes('"iif"}},"right":"lo"')).length).toBe(3);
    expect(printed.filter((p) => p.includes('"op":"in","left":{"ct":{"key":"state"}},"right":"established"')).length).toBe(1);
  });

  it('rules read from an unaligned buffer print the same', () => {
    const msgs = RULES.map((r) => ruleMessage('inet', 't', 'c', r));
    const aligned = new RuleDumpDecoder();
    const odd = new RuleDumpDecoder();
    const want = msgs.map((m) => aligned.decode(m, 0, m.length).expr);
    expect(msgs.map((m) => odd.decode(unaligned(m), 0, m.length).expr)).toEqual(want);
    expect(want[7]).toEqual(RULES[7]);
  });

  it('rules from one template are separate objects', () => {
    const decoder = new RuleDumpDecoder();
    const rs = RULES.map((r) => ruleMessage('inet', 't', 'c', r)).map((m) => decoder.decode(m, 0, m.length));
    (rs[5]!.expr![0] as { match: { left: { payload: { field: string } } } }).match.left.payload.field = 'daddr';
    expect(rs[6]!.expr).toEqual(RULES[6]);
    expect(rs[5]!.expr![0]).not.toBe(rs[6]!.expr![0]);
  });
});

describe('nft.apply rule shapes', () => {
  it('rules built from a shape are the bytes the compiler builds; other values are compiled', () => {
    const shapesOf = new RuleShapes();
    const ifindexes = new Map([['lo', 1]]);
    let fromShapes = 0;
    const exprs = shapes().map((s) => s);
    // Values a shape must not take: a set name, a wildcard, another JSON type.
    exprs.push({ family: 'inet', expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth9*' } }, { accept: null }] });
    exprs.push({ family: 'inet', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@blocked' } }, { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 1 } }, { counter: { packets: 0, bytes: 0 } }, { drop: null }] });
    exprs.forEach((s, i) => {
      const path = `nftables[${i}].add.rule`;
      const t = ruleTarget('add', { family: s.family, table: 't', chain: 'c', expr: s.expr }, path);
      const sets = (_f: string, _t: string, n: string) => (n === 'blocked' ? blocked.info : undefined);
      const compiled = compileRuleForApply(t, `${path}.expr`, () => 1, sets, ifindexes);
      const want = buildRule('add', t, compiled.exprs, path, 0).bytes;
      const fromShape = compiled.anonymousSets.length ? undefined : shapesOf.build(t.family, t.table, t.expr!);
      if (fromShape) {
        fromShapes++;
        expect(Buffer.from(buildRule('add', t, fromShape, path, 0).bytes).equals(Buffer.from(want))).toBe(true);
      } else if (!compiled.anonymousSets.length) {
        const rec = shapesOf.recorder(`${path}.expr`);
        const again = compileRuleForApply(t, `${path}.expr`, () => 1, sets, ifindexes, rec);
        shapesOf.learn(t.family, t.table, t.expr!, again.exprs, rec);
      }
    });
    expect(fromShapes).toBeGreaterThan(15);
    // An address that does not encode: no shape; the compiler names it.
    const bad = [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '10.0.0.300' } }, { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 5 } }, { counter: { packets: 0, bytes: 0 } }, { drop: null }];
    expect(shapesOf.build('inet', 't', bad)).toBeUndefined();
    // Neither an address the parser refuses nor a port past 16 bits, nor a counter below zero.
    const like = (addr: unknown, port: unknown, packets: unknown) => [bad[0], bad[1], bad[2], bad[3]].map((x, k) => (k === 0 ? { match: { ...x!.match, right: addr } } : k === 1 ? { match: { ...(x as { match: object }).match, right: port } } : k === 2 ? { counter: { packets, bytes: 0 } } : x));
    expect(shapesOf.build('inet', 't', like('10.0.0.1', 5, 0))).toBeDefined();
    expect(shapesOf.build('inet', 't', like('010.0.0.1', 5, 0))).toBeUndefined();
    expect(shapesOf.build('inet', 't', like('10.0.0.1', 70000, 0))).toBeUndefined();
    expect(shapesOf.build('inet', 't', like('10.0.0.1', 5, -1))).toBeUndefined();
    const t = ruleTarget('add', { family: 'inet', table: 't', chain: 'c', expr: bad }, 'nftables[9].add.rule');
    expect(() => compileRuleForApply(t, 'nftables[9].add.rule.expr', () => 1, () => undefined)).toThrow(ValidationError);
    try {
      compileRuleForApply(t, 'nftables[9].add.rule.expr', () => 1, () => undefined);
    } catch (e) {
      expect((e as ValidationError).field).toBe('nftables[9].add.rule.expr[0].match.right');
    }
  });
});
