/**
 * The schema-generated decoders (decodeAttrs) against the generic reference loop, on random and
 * mutated attribute streams for the big-dump schemas: same objects, same raw leftovers, same
 * ParseErrors.
 */
import { describe, expect, it } from 'vitest';
import { decodeAttrs, decodeAttrsGeneric, defineSchema, type Schema } from '../../lib/wire/attributes';
import { linkSchema } from '../../lib/rtnetlink/link/link-schema';
import { routeSchema } from '../../lib/rtnetlink/route/route-schema';
import { neighSchema } from '../../lib/rtnetlink/neigh/neigh-schema';
import { nexthopSchema } from '../../lib/rtnetlink/nexthop/nexthop-schema';
import { statsSchema } from '../../lib/rtnetlink/stats/stats-schema';

/** A deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** A stream of TLVs using the schema's types (and some unknown ones), with plausible sizes. */
function stream(schema: Schema, rand: () => number): Buffer {
  const parts: Buffer[] = [];
  const types = [...schema.attrs.keys()];
  const n = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) {
    const type = rand() < 0.85 ? types[Math.floor(rand() * types.length)]! : Math.floor(rand() * 120);
    const size = [0, 1, 2, 4, 6, 8, 16, 23 * 8, 25 * 8, Math.floor(rand() * 40)][Math.floor(rand() * 10)]!;
    const payload = Buffer.alloc(size);
    for (let j = 0; j < size; j++) payload[j] = rand() < 0.3 ? 0 : Math.floor(rand() * 256);
    const tlv = Buffer.alloc(4 + ((size + 3) & ~3));
    tlv.writeUInt16LE(4 + size, 0);
    tlv.writeUInt16LE(type, 2);
    payload.copy(tlv, 4);
    parts.push(tlv);
  }
  return Buffer.concat(parts);
}

function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

describe('generated decoders match the generic loop', () => {
  const schemas: [string, Schema][] = [
    ['link', linkSchema], ['route', routeSchema], ['neigh', neighSchema], ['nexthop', nexthopSchema], ['stats', statsSchema],
    ['flags and multi', defineSchema('t', { 1: { name: 'f', type: 'flag' }, 2: { name: 'm', type: 'u32', multi: true }, 3: { name: 's', type: 'skip' }, 4: { name: 'b', type: 'u32be' }, 5: { name: 'i', type: 's32' }, 6: { name: 'h', type: 'u16be' } })],
  ];
  for (const [name, schema] of schemas) {
    it(`${name}: 2 000 random streams, truncated and intact`, () => {
      const rand = rng(name.length * 7919);
      for (let i = 0; i < 2000; i++) {
        const buf = stream(schema, rand);
        const end = rand() < 0.2 ? Math.floor(rand() * buf.length) : buf.length;
        const compiled = outcome(() => decodeAttrs(schema, buf, 0, end, { seed: i }));
        const generic = outcome(() => decodeAttrsGeneric(schema, buf, 0, end, { seed: i }));
        expect(compiled).toEqual(generic);
      }
    });
  }
});
