/**
 * MessageWriter builds messages in a shared slab: messages built at the same time, one that
 * outgrows its claim, and one whose writer was abandoned must never corrupt another.
 */
import { describe, expect, it } from 'vitest';
import { MessageWriter } from '../../lib/wire/message-writer';
import { forEachAttr } from '../../lib/wire/attributes';

const attrs = (bytes: Buffer) => {
  const out: [number, string][] = [];
  forEachAttr(bytes, 16 + 4, bytes.length, (type, off, len) => out.push([type, bytes.toString('hex', off, off + len)]));
  return out;
};

function build(tag: number, n: number): MessageWriter {
  const w = new MessageWriter(100 + tag, 0, 64);
  w.struct(4, (b, at) => b.writeUInt32LE(tag, at));
  for (let i = 0; i < n; i++) w.u32(i + 1, tag * 1000 + i);
  return w;
}

describe('MessageWriter', () => {
  it('keeps interleaved writers, a grown message and an abandoned writer apart', () => {
    const a = build(1, 2);
    const b = build(2, 40); // outgrows its 64-byte claim
    build(3, 1); // abandoned: never finished
    const c = build(4, 3);
    a.u32(99, 7);
    const [ma, mb, mc] = [a.finish(), b.finish(), c.finish()];
    const later = Array.from({ length: 2000 }, (_, i) => build(5, i % 7).finish()); // fills and replaces slabs
    expect(ma.bytes.readUInt32LE(0)).toBe(ma.bytes.length);
    expect(ma.bytes.readUInt16LE(4)).toBe(101);
    expect(attrs(ma.bytes).map(([t]) => t)).toEqual([1, 2, 99]);
    expect(mb.bytes.readUInt32LE(0)).toBe(mb.bytes.length);
    expect(attrs(mb.bytes).length).toBe(40);
    expect(attrs(mb.bytes)[39]![1]).toBe(Buffer.from([2039 & 255, 2039 >> 8, 0, 0]).toString('hex'));
    expect(mc.bytes.readUInt16LE(4)).toBe(104);
    expect(attrs(mc.bytes).map(([t]) => t)).toEqual([1, 2, 3]);
    expect(later.every((m, i) => attrs(m.bytes).length === i % 7 && m.bytes.readUInt16LE(4) === 105)).toBe(true);
  });

  it('reports offsets relative to the message, also after growing', () => {
    const w = new MessageWriter(100, 0, 32);
    w.struct(4, () => {});
    expect(w.offset).toBe(20);
    w.nestStart(7, 'outer');
    for (let i = 0; i < 20; i++) w.u32(1, i);
    w.nestEnd();
    const at = w.offset;
    w.u32(8, 5, 'after');
    const m = w.finish();
    expect(m.bytes.readUInt16LE(20)).toBe(4 + 20 * 8);
    expect(m.bytes.readUInt16LE(at + 2)).toBe(8);
    expect([...m.attrNames!]).toEqual([[20, 'outer'], [at, 'after']]);
  });
});
