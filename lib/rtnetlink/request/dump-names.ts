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
 * remembered per value: a dump has a handful of distinct words. Each answer is an array
 * literal evaluated anew (a function made per word through Function): V8 gives a literal's
 * elements copy-on-write storage that the arrays share until one is written to, so each
 * object's array is one small allocation.
 */
export function bitNamesCopier(table: readonly (readonly [number, string])[]): (bits: number) => string[] {
  // Evaluating the literal beats Array#slice of a kept copy 3x before the JIT has warmed up
  // (a fresh process listing 50 000 neighbours makes 100 000 of these).
  const cache = new Map<number, () => string[]>();
  let lastBits = -1;
  let last: () => string[] = () => [];
  return (bits) => {
    if (bits !== lastBits) {
      let make = cache.get(bits);
      if (make === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        make = new Function(`return ${JSON.stringify(bitNames(table, bits))};`) as () => string[];
        if (cache.size < 256) cache.set(bits, make);
      }
      lastBits = bits;
      last = make;
    }
    return last();
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
