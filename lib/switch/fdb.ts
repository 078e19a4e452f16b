/**
 * The switch's forwarding database: (VLAN, MAC) → port, learned from source addresses and
 * aged out. A MAC is handled as two 24-bit halves (OUI and NIC part): both are small integers
 * that V8 keeps unboxed, so learning and lookups on the per-frame path allocate nothing. Per
 * VLAN a Map is keyed by the NIC half; the rare stations sharing one are chained.
 */
import { formatMac } from '../wire/address';

/** One learned (or static) station. */
export interface FdbRecord<P> {
  /** The OUI half of the MAC (the key holds the other half). */
  readonly hi: number;
  readonly lo: number;
  port: P;
  /** Date.now() of the last frame from this station. */
  seen: number;
  isStatic: boolean;
  /** Next station with the same low half. */
  next: FdbRecord<P> | undefined;
}

/** A snapshot entry, as `L2Switch.fdb` lists them. */
export interface FdbEntry {
  mac: string;
  vlan: number;
  /** Name of the port the station is behind. */
  port: string;
  /** Milliseconds since the station was last heard (0 for static entries). */
  ageMs: number;
  static: boolean;
}

/** The upper 24 bits of the MAC at `off`. */
export function macHi(buf: Uint8Array, off: number): number {
  return (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2];
}

/** The lower 24 bits of the MAC at `off`. */
export function macLo(buf: Uint8Array, off: number): number {
  return (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5];
}

function macString(hi: number, lo: number): string {
  const b = Buffer.alloc(6);
  b.writeUIntBE(hi, 0, 3);
  b.writeUIntBE(lo, 3, 3);
  return formatMac(b);
}

/** MAC table with ageing. `P` is the port type. */
export class Fdb<P extends { readonly name: string }> {
  readonly #byVid: (Map<number, FdbRecord<P>> | undefined)[] = new Array(4096);
  #size = 0;
  /** Entries older than this are forgotten (0 = never). */
  ageingMs: number;
  readonly maxEntries: number;

  constructor(ageingMs: number, maxEntries: number) {
    this.ageingMs = ageingMs;
    this.maxEntries = maxEntries;
  }

  /** Number of entries (including any not yet swept). */
  get size(): number {
    return this.#size;
  }

  #find(vid: number, hi: number, lo: number): FdbRecord<P> | undefined {
    let r = this.#byVid[vid]?.get(lo);
    while (r !== undefined && r.hi !== hi) r = r.next;
    return r;
  }

  #insert(vid: number, rec: FdbRecord<P>): void {
    let m = this.#byVid[vid];
    if (m === undefined) m = this.#byVid[vid] = new Map();
    rec.next = m.get(rec.lo);
    m.set(rec.lo, rec);
    this.#size++;
  }

  #remove(vid: number, rec: FdbRecord<P>): void {
    const m = this.#byVid[vid];
    if (m === undefined) return;
    const head = m.get(rec.lo);
    if (head === rec) {
      if (rec.next === undefined) m.delete(rec.lo);
      else m.set(rec.lo, rec.next);
    } else {
      let r = head;
      while (r !== undefined && r.next !== rec) r = r.next;
      if (r === undefined) return;
      r.next = rec.next;
    }
    this.#size--;
  }

  /**
   * Records that the station (hi, lo) on `vid` was heard on `port` at `now`. Returns false when
   * the table is full and the station is new (it is then not learned: frames to it are flooded).
   */
  learn(vid: number, hi: number, lo: number, port: P, now: number): boolean {
    const rec = this.#find(vid, hi, lo);
    if (rec !== undefined) {
      if (!rec.isStatic) {
        rec.port = port; // a station that moved is simply re-pointed
        rec.seen = now;
      }
      return true;
    }
    if (this.#size >= this.maxEntries) return false;
    this.#insert(vid, { hi, lo, port, seen: now, isStatic: false, next: undefined });
    return true;
  }

  /** The port for station (hi, lo) on `vid`, or undefined when unknown or aged out. */
  lookup(vid: number, hi: number, lo: number, now: number): P | undefined {
    const rec = this.#find(vid, hi, lo);
    if (rec === undefined) return undefined;
    if (!rec.isStatic && this.ageingMs > 0 && now - rec.seen > this.ageingMs) {
      this.#remove(vid, rec);
      return undefined;
    }
    return rec.port;
  }

  /** Adds a static entry for the MAC in `mac` (6 bytes): never aged, never moved by learning. */
  addStatic(vid: number, mac: Uint8Array, port: P): void {
    const hi = macHi(mac, 0);
    const lo = macLo(mac, 0);
    const rec = this.#find(vid, hi, lo);
    if (rec !== undefined) this.#remove(vid, rec);
    this.#insert(vid, { hi, lo, port, seen: 0, isStatic: true, next: undefined });
  }

  /** Removes the entry for the MAC in `mac` (6 bytes); true if it was there. */
  delete(vid: number, mac: Uint8Array): boolean {
    const rec = this.#find(vid, macHi(mac, 0), macLo(mac, 0));
    if (rec === undefined) return false;
    this.#remove(vid, rec);
    return true;
  }

  #forEach(fn: (vid: number, rec: FdbRecord<P>) => void): void {
    for (let vid = 0; vid < this.#byVid.length; vid++) {
      const m = this.#byVid[vid];
      if (m === undefined) continue;
      for (const head of [...m.values()]) {
        for (let r: FdbRecord<P> | undefined = head; r !== undefined; ) {
          const next: FdbRecord<P> | undefined = r.next;
          fn(vid, r);
          r = next;
        }
      }
    }
  }

  /** Forgets every entry pointing at `port` (the port went away). */
  flushPort(port: P): void {
    this.#forEach((vid, r) => {
      if (r.port === port) this.#remove(vid, r);
    });
  }

  /** Drops aged entries; called from a timer so an idle switch does not hold stale stations. */
  sweep(now: number): void {
    if (this.ageingMs <= 0) return;
    this.#forEach((vid, r) => {
      if (!r.isStatic && now - r.seen > this.ageingMs) this.#remove(vid, r);
    });
  }

  /** Every live entry, sorted by VLAN then MAC. */
  entries(now: number): FdbEntry[] {
    const out: (FdbEntry & { key: number })[] = [];
    this.#forEach((vid, r) => {
      const age = r.isStatic ? 0 : now - r.seen;
      if (!r.isStatic && this.ageingMs > 0 && age > this.ageingMs) return;
      out.push({ mac: macString(r.hi, r.lo), vlan: vid, port: r.port.name, ageMs: age, static: r.isStatic, key: vid * 2 ** 48 + r.hi * 2 ** 24 + r.lo });
    });
    out.sort((a, b) => a.key - b.key);
    return out.map(({ key: _key, ...e }) => e);
  }

  /** Forgets everything. */
  clear(): void {
    this.#byVid.fill(undefined);
    this.#size = 0;
  }
}
