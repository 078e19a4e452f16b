/**
 * The bulk paths of nft.apply must build exactly what the general ones build: the IPv4
 * interval elements laid out byte by byte against the per-attribute writer, rules encoded
 * without attribute names (named from the bytes on a kernel error), and MessageWriter's
 * byte-store shortcuts against Buffer's own writers.
 */
import { describe, expect, it } from 'vitest';
import { buildElementMessages, buildSet, encodeElements, encodeIpv4Intervals } from '../../lib/nfnetlink/nftables/objects/set';
import { buildRule, ruleAttrPath, ruleTarget } from '../../lib/nfnetlink/nftables/objects/rule';
import { MessageWriter } from '../../lib/wire/message-writer';
import { NFT_MSG, nftType } from '../../lib/nfnetlink/nftables/constants';

describe('nft bulk encoding', () => {
  it('the IPv4 interval fast path writes the same messages as the general element path', () => {
    const p = buildSet('set', 'add', { family: 'inet', table: 't', name: 'blocked', type: 'ipv4_addr', flags: ['interval'] }, 'p', 0, 1);
    const elems: unknown[] = ['192.0.2.1', { range: ['198.51.100.10', '198.51.100.20'] }, { prefix: { addr: '255.255.255.0', len: 24 } }];
    for (let i = 0; i < 9000; i++) elems.push({ prefix: { addr: `10.${(i * 8) >> 16}.${((i * 8) >> 8) & 255}.${(i * 8) & 255}`, len: 30 } });
    const fast = encodeIpv4Intervals(p.info, elems);
    expect(fast).toBeDefined();
    const general = encodeElements(p.info, elems, 'p.elem');
    const a = buildElementMessages('add', 1, p.info, fast!, 'p');
    const b = buildElementMessages('add', 1, p.info, general, 'p');
    expect(a.length).toBeGreaterThan(1); // split over several messages
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(Buffer.compare(a[i]!.bytes, b[i]!.bytes)).toBe(0);
  });

  it('rules are built unnamed, and an extack offset is named from the bytes', () => {
    const t = ruleTarget('add', { family: 'ip', table: 'tbl', chain: 'c', expr: [] }, 'nftables[3].add.rule');
    const exprs = [
      { name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
      { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([10, 0, 0, 1]) },
      { name: 'immediate', dreg: 0, data: { code: -3, chain: 'elsewhere' } },
    ];
    const m = buildRule('add', t, exprs, 'nftables[3].add.rule', 0);
    expect(m.attrNames).toBeUndefined();
    expect(m.bytes.readUInt16LE(4)).toBe(nftType(NFT_MSG.NEWRULE));
    // Walk the message as the kernel would point into it.
    const tops: [number, number][] = [];
    for (let at = 20; at < m.bytes.length; at += (m.bytes.readUInt16LE(at) + 3) & ~3) tops.push([at, m.bytes.readUInt16LE(at + 2) & 0x3fff]);
    expect(tops.map(([, type]) => type)).toEqual([1, 2, 4]);
    expect(ruleAttrPath(m.bytes, tops[0]![0])).toBe('table');
    expect(ruleAttrPath(m.bytes, tops[1]![0])).toBe('chain');
    const exprsAt = tops[2]![0];
    expect(ruleAttrPath(m.bytes, exprsAt)).toBe('expr');
    let e = exprsAt + 4;
    for (let i = 0; i < exprs.length; i++) {
      expect(ruleAttrPath(m.bytes, e)).toBe(`expr[${i}]`);
      expect(ruleAttrPath(m.bytes, e + 8)).toBe(`expr[${i}]`); // inside the expression
      e += (m.bytes.readUInt16LE(e) + 3) & ~3;
    }
    expect(ruleAttrPath(m.bytes, m.bytes.length + 4)).toBeUndefined();
  });

  it('MessageWriter shortcuts write what Buffer writes', () => {
    const w = new MessageWriter(16, 0);
    w.string(1, 'inet-filter');
    w.string(2, 'ünïcode');
    w.u32be(3, 0xdeadbeef);
    w.u64be(4, 2 ** 40 + 7);
    w.u64be(5, 0xffff_ffff_ffff_ffffn);
    w.raw(8, (b, at) => b.writeUInt32BE(0x01020304, at) && b.writeUInt32BE(0x05060708, at + 4));
    const bytes = w.finish().bytes;
    let at = 16;
    const next = (): [number, Buffer] => {
      const len = bytes.readUInt16LE(at);
      const out: [number, Buffer] = [bytes.readUInt16LE(at + 2), bytes.subarray(at + 4, at + len)];
      at += (len + 3) & ~3;
      return out;
    };
    expect(next()).toEqual([1, Buffer.from('inet-filter\0')]);
    expect(next()).toEqual([2, Buffer.from('ünïcode\0')]);
    expect(next()).toEqual([3, Buffer.from([0xde, 0xad, 0xbe, 0xef])]);
    const be = Buffer.alloc(8);
    be.writeBigUInt64BE(2n ** 40n + 7n);
    expect(next()).toEqual([4, be]);
    expect(next()).toEqual([5, Buffer.alloc(8, 0xff)]);
    expect(bytes.subarray(at, at + 8)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(() => new MessageWriter(16, 0).u64be(1, -1)).toThrow();
    expect(() => new MessageWriter(16, 0).raw(3, () => {})).toThrow(RangeError);
  });
});
