/**
 * Number → name lookups for decoders of big dumps, where a Map lookup and a fresh array per
 * field per object showed in profiles (100 000 routes, 50 000 neighbours).
 */
import type { Decoder } from '../../core/engine';
import { bitNames } from './names';

/**
 * A number → name lookup that remembers its last answer: within a dump, protocol, scope,
 * type and family are the same from one object to the next.
 */
export function lastName(table: { name(n: number): string }): (n: number) => string {
  let last = -1;
  let name = '';
  return (n) => {
    if (n !== last) {
      last = n;
      name = table.name(n);
    }
    return name;
  };
}

/**
 * bitNames for a flags or state word, as a fresh array per call (callers may change it),
 * remembered per value: a dump has a handful of distinct words. Each answer is a copy of an
 * array made as an array literal (through Function): V8 gives a literal's elements
 * copy-on-write storage that its copies share until one is written to, so each object's
 * array is one small allocation, not two.
 */
export function bitNamesCopier(table: readonly (readonly [number, string])[]): (bits: number) => string[] {
  const cache = new Map<number, readonly string[]>();
  let lastBits = -1;
  let last: readonly string[] = [];
  return (bits) => {
    if (bits !== lastBits) {
      let names = cache.get(bits);
      if (names === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        names = new Function(`return ${JSON.stringify(bitNames(table, bits))};`)() as readonly string[];
        if (cache.size < 256) cache.set(bits, names);
      }
      lastBits = bits;
      last = names;
    }
    return last.slice();
  };
}

/**
 * A list call's decoder that names links while it decodes. The call asks for the ifindex →
 * name map (one link dump) before its own dump; the engine runs one dump at a time, in order,
 * so the names are known by the time the objects arrive and each is named as it is made
 * (`decodeNamed` with the map), rather than 100 000 of them walked and reshaped in a second
 * pass. Messages decoded before the names came (none, in practice) are counted: the caller
 * then names every object in a pass at the end, as it always did.
 */
export function namingDecoder<T>(
  names: Promise<ReadonlyMap<number, string>>,
  type: number,
  decodeNamed: (buf: Buffer, off: number, len: number, names: ReadonlyMap<number, string> | undefined) => T,
): { decode: Decoder<T>; someUnnamed: () => boolean } {
  let known: ReadonlyMap<number, string> | undefined;
  let unnamed = 0;
  names.then((m) => (known = m), () => {});
  return {
    decode: (buf, off, len, t) => {
      if (t !== type) return undefined;
      if (known === undefined) unnamed++;
      return decodeNamed(buf, off, len, known);
    },
    someUnnamed: () => unnamed > 0,
  };
}
