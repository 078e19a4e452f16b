/**
 * The fast paths of big dumps against the straightforward code they replaced, on random
 * input: the engine's per-run decode loop, the route / neighbour / nexthop decoders (objects
 * made by constructors, names filled in while decoding, cached flag arrays; and FDB), the IPv4
 * formatter's prefix cache, and the joining of per-family dump results. Each must give the
 * same objects, with the same keys in the same order, as the reference.
 */
import { describe, expect, it } from 'vitest';
import { Engine, DumpInterruptedError } from '../../lib/core/engine';
import { ParseError } from '../../lib/errors';
import { MessageWriter } from '../../lib/wire/message-writer';
import { decodeAttrsGeneric, defineSchema, type AttrSpec } from '../../lib/wire/attributes';
import { familyName, formatIPv4, formatIp, formatPrefix } from '../../lib/wire/address';
import { NLMSG_NOOP, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI } from '../../lib/wire/constants';
import { RTM_GETROUTE, RTM_NEWNEIGH, RTM_NEWNEXTHOP, RTM_NEWROUTE } from '../../lib/rtnetlink/constants';
import { decodeRoute, decodeRouteNamed, nameDevs } from '../../lib/rtnetlink/route/route-decode';
import { RTA, RTM_F, RTNH_F, routeSchema } from '../../lib/rtnetlink/route/route-schema';
import { decodeNeighbour, decodeNeighbourNamed } from '../../lib/rtnetlink/neigh/neigh-decode';
import { NDA, neighSchema, NTF, NTF_EXT, NUD } from '../../lib/rtnetlink/neigh/neigh-schema';
import { decodeFdb, decodeFdbNamed } from '../../lib/rtnetlink/neigh/fdb';
import { readNdMsg } from '../../lib/rtnetlink/structs';
import { decodeNexthop, decodeNexthopNamed } from '../../lib/rtnetlink/nexthop/nexthop';
import { NHA, nexthopSchema } from '../../lib/rtnetlink/nexthop/nexthop-schema';
import { bitNames, routeProtocols, routeTables, routeTypes, scopes } from '../../lib/rtnetlink/request/names';
import { bitNamesCopier, lastName, namingDecoder } from '../../lib/rtnetlink/request/dump-names';
import { joinLists } from '../../lib/rtnetlink/request/join-lists';
import { FakeTransport, ack, attr, done, nlmsg, tick } from '../helpers/fake-kernel';

// Deterministic PRNG so failures reproduce.
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const bytes = (r: () => number, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));

/**
 * A message of `type` with a `headerSize`-byte family header of random bytes (`header` may fix
 * some) and random attributes: mostly the schema's own types with payloads of the size they
 * expect, some of odd sizes, some of types the schema does not know.
 */
function randomMessage(r: () => number, type: number, headerSize: number, known: number[], sizes: Record<number, number[]>, header?: (h: Buffer) => void): Buffer {
  const h = bytes(r, headerSize);
  header?.(h);
  const attrs: Buffer[] = [];
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const pick = r();
    const t = pick < 0.85 ? known[Math.floor(r() * known.length)]! : pick < 0.95 ? 200 + Math.floor(r() * 20) : 0;
    const good = sizes[t] ?? [4];
    const len = r() < 0.85 ? good[Math.floor(r() * good.length)]! : Math.floor(r() * 20);
    attrs.push(attr(t, bytes(r, len)));
  }
  return nlmsg(type, NLM_F_MULTI, 1, Buffer.concat([h, ...attrs]));
}

/** The same object: same values, same keys in the same order, plain all the way down. */
function expectSame(got: unknown, want: unknown): void {
  expect(got).toStrictEqual(want);
  expect(JSON.stringify(got)).toBe(JSON.stringify(want));
}

const NAMES = new Map([[1, 'lo'], [2, 'eth0'], [3, 'v0']]);

describe('route decoder', () => {
  const ROUTE_FLAGS = [...RTNH_F, ...RTM_F];
  /** decodeRoute as it was: a literal, the generic attribute loop, plain lookups. */
  function reference(buf: Buffer, off: number, len: number): any {
    const at = off + 16;
    const family = buf[at]!;
    const dstLen = buf[at + 1]!;
    const srcLen = buf[at + 2]!;
    const rtmFlags = buf.readUInt32LE(at + 8);
    const route: any = {
      family: familyName(family), dst: '', dstLen, table: buf[at + 4]!, tableName: '',
      protocol: routeProtocols.name(buf[at + 5]!), scope: scopes.name(buf[at + 6]!), type: routeTypes.name(buf[at + 7]!),
      tos: buf[at + 3]!, flags: rtmFlags === 0 ? [] : bitNames(ROUTE_FLAGS, rtmFlags),
    };
    decodeAttrsGeneric(routeSchema, buf, at + 12, off + len, route);
    route.dst = formatPrefix(route.dst || undefined, dstLen, family) ?? 'default';
    if (srcLen || route.from !== undefined) {
      route.from = formatPrefix(route.from, srcLen, family);
      route.fromLen = srcLen;
    }
    route.tableName = routeTables.name(route.table);
    if (route.expires === undefined && route.cacheInfo?.expires > 0) route.expires = Math.trunc(route.cacheInfo.expires / 100);
    return route;
  }

  const known = [RTA.DST, RTA.SRC, RTA.IIF, RTA.OIF, RTA.GATEWAY, RTA.PRIORITY, RTA.PREFSRC, RTA.TABLE, RTA.MARK, RTA.PREF, RTA.EXPIRES, RTA.CACHEINFO, RTA.NH_ID, RTA.UID, RTA.SPORT];
  const sizes = { [RTA.DST]: [4, 16], [RTA.SRC]: [4, 16], [RTA.GATEWAY]: [4, 4, 16], [RTA.PREFSRC]: [4, 16], [RTA.PREF]: [1], [RTA.CACHEINFO]: [32], [RTA.SPORT]: [2] };
  const header = (r: () => number) => (h: Buffer) => {
    h[0] = [2, 10, 2, 0, 7][Math.floor(r() * 5)]!;
    h[1] = [32, 24, 0, 128, 64][Math.floor(r() * 5)]!;
    h[2] = r() < 0.8 ? 0 : h[2]!;
    if (r() < 0.7) h.writeUInt32LE(0, 8); // most routes have no flags
    if (r() < 0.5) { h[5] = 3; h[6] = 0; h[7] = 1; } // boot, global, unicast, as a dump repeats them
  };

  it('gives what the straightforward decoder gave, on random routes', () => {
    const r = rng(11);
    let compared = 0;
    for (let i = 0; i < 4000; i++) {
      const m = randomMessage(r, RTM_NEWROUTE, 12, known, sizes, header(r));
      let want: unknown;
      try {
        want = reference(m, 0, m.readUInt32LE(0));
      } catch (err) {
        expect(err).toBeInstanceOf(ParseError);
        expect(() => decodeRoute(m, 0, m.readUInt32LE(0))).toThrow(ParseError);
        continue;
      }
      expectSame(decodeRoute(m, 0, m.readUInt32LE(0)), want);
      // Named while decoding = named in a pass afterwards.
      const named = reference(m, 0, m.readUInt32LE(0));
      nameDevs(named, NAMES);
      expectSame(decodeRouteNamed(m, 0, m.readUInt32LE(0), NAMES), named);
      compared++;
    }
    expect(compared).toBeGreaterThan(3000);
  });

  it('gives each route arrays of its own', () => {
    const m = randomMessage(rng(3), RTM_NEWROUTE, 12, [], {}, (h) => h.writeUInt32LE(0x104, 8));
    const a = decodeRoute(m, 0, m.length);
    const b = decodeRoute(m, 0, m.length);
    expect(a.flags).toEqual(['onlink', 'notify']);
    a.flags.push('mine');
    expect(b.flags).toEqual(['onlink', 'notify']);
    expect(decodeRoute(m, 0, m.length).flags).toEqual(['onlink', 'notify']);
  });
});

describe('neighbour decoder', () => {
  // The schema as decodeNeighbour ran it before (its own copy, so the test does not follow changes).
  const schema = defineSchema('neigh', Object.fromEntries([...neighSchema.attrs].map(([type, spec]): [number, AttrSpec] => {
    switch (type) {
      case NDA.DST: return [type, { ...spec, name: 'address' }];
      case NDA.LLADDR: case NDA.CACHEINFO: case NDA.PROBES: return [type, spec];
      case NDA.PROTOCOL: return [type, { ...spec, decode: (b, o, l) => (l >= 1 ? routeProtocols.name(b[o]!) : undefined) }];
      case NDA.FLAGS_EXT:
        return [type, { ...spec, decodeInto: (out: any, b: Buffer, o: number, l: number) => {
          if (l < 4) return false;
          const ext = b.readUInt32LE(o);
          if (ext) out.flags.push(...bitNames(NTF_EXT, ext));
          return true;
        } }];
      default: return [type, { ...spec, type: 'skip', decode: undefined }];
    }
  })));
  function reference(buf: Buffer, off: number, len: number): any {
    const at = off + 16;
    if (len - 16 < 12) throw new ParseError('short');
    const out = {
      family: familyName(buf[at]!), index: buf.readInt32LE(at + 4), address: '',
      state: bitNames(NUD, buf.readUInt16LE(at + 8)), flags: bitNames(NTF, buf[at + 10]!), type: routeTypes.name(buf[at + 11]!),
    };
    return decodeAttrsGeneric(schema, buf, at + 12, off + len, out);
  }
  const known = [NDA.DST, NDA.LLADDR, NDA.CACHEINFO, NDA.PROBES, NDA.PROTOCOL, NDA.FLAGS_EXT, NDA.VLAN, NDA.MASTER];
  const sizes = { [NDA.DST]: [4, 16], [NDA.LLADDR]: [6, 6, 20], [NDA.CACHEINFO]: [16], [NDA.PROTOCOL]: [1], [NDA.VLAN]: [2] };

  it('gives what the straightforward decoder gave, on random entries', () => {
    const r = rng(5);
    let compared = 0;
    for (let i = 0; i < 4000; i++) {
      const m = randomMessage(r, RTM_NEWNEIGH, 12, known, sizes, (h) => {
        h[0] = [2, 10, 7][Math.floor(r() * 3)]!;
        h.writeInt32LE(1 + Math.floor(r() * 4), 4);
        if (r() < 0.6) h.writeUInt16LE(1 << Math.floor(r() * 8), 8); // one state, as most entries
        if (r() < 0.6) h[10] = 0;
      });
      let want: any;
      try {
        want = reference(m, 0, m.readUInt32LE(0));
      } catch (err) {
        expect(err).toBeInstanceOf(ParseError);
        expect(() => decodeNeighbour(m, 0, m.readUInt32LE(0))).toThrow(ParseError);
        continue;
      }
      expectSame(decodeNeighbour(m, 0, m.readUInt32LE(0)), want);
      const named = reference(m, 0, m.readUInt32LE(0));
      if (NAMES.has(named.index)) named.dev = NAMES.get(named.index);
      expectSame(decodeNeighbourNamed(m, 0, m.readUInt32LE(0), NAMES), named);
      compared++;
    }
    expect(compared).toBeGreaterThan(3000);
  });

  it('gives each entry state and flag arrays of its own', () => {
    const m = nlmsg(RTM_NEWNEIGH, 0, 1, Buffer.concat([Buffer.from([2, 0, 0, 0, 3, 0, 0, 0, 0x80, 0, 0, 1]), attr(NDA.DST, Buffer.from([10, 0, 0, 1]))]));
    const a = decodeNeighbour(m, 0, m.length);
    a.state.push('mine');
    a.flags.push('mine');
    const b = decodeNeighbour(m, 0, m.length);
    expect(b.state).toEqual(['permanent']);
    expect(b.flags).toEqual([]);
  });
});

describe('FDB decoder', () => {
  /** decodeFdb as it was: the header and attributes decoded apart, then copied in a fixed order. */
  function reference(buf: Buffer, off: number, len: number): any {
    const hdr = readNdMsg(buf, off + 16, len - 16);
    const raw: any = decodeAttrsGeneric(neighSchema, buf, off + 16 + 12, off + len, {});
    const st = hdr.state;
    const out: any = {
      index: hdr.index, lladdr: raw.lladdr ?? '',
      state: st & 0x80 ? 'permanent' : st & 0x40 ? 'static' : st & 0x04 ? 'stale' : 'dynamic',
      flags: bitNames(NTF, hdr.flags),
    };
    for (const k of ['master', 'vlan', 'dst', 'vni', 'srcVni', 'port', 'via', 'nhid', 'linkNetnsId', 'cacheInfo', 'unknown']) {
      if (raw[k] !== undefined) out[k] = raw[k];
    }
    return out;
  }
  const known = [NDA.DST, NDA.LLADDR, NDA.CACHEINFO, NDA.VLAN, NDA.PORT, NDA.VNI, NDA.IFINDEX, NDA.MASTER, NDA.LINK_NETNSID, NDA.SRC_VNI, NDA.NH_ID, NDA.FLAGS_EXT];
  const sizes = { [NDA.DST]: [4, 16], [NDA.LLADDR]: [6], [NDA.CACHEINFO]: [16], [NDA.VLAN]: [2], [NDA.PORT]: [2] };

  it('gives what the straightforward decoder gave, on random entries', () => {
    const r = rng(13);
    let compared = 0;
    for (let i = 0; i < 4000; i++) {
      const m = randomMessage(r, RTM_NEWNEIGH, 12, known, sizes, (h) => {
        h[0] = 7;
        h.writeInt32LE(1 + Math.floor(r() * 4), 4);
        if (r() < 0.6) h[10] = [2, 4, 6][Math.floor(r() * 3)]!;
      });
      let want: any;
      try {
        want = reference(m, 0, m.readUInt32LE(0));
      } catch (err) {
        expect(err).toBeInstanceOf(ParseError);
        expect(() => decodeFdb(m, 0, m.readUInt32LE(0))).toThrow(ParseError);
        continue;
      }
      expectSame(decodeFdb(m, 0, m.readUInt32LE(0)), want);
      const named = reference(m, 0, m.readUInt32LE(0));
      if (NAMES.has(named.index)) named.dev = NAMES.get(named.index);
      if (named.master !== undefined && NAMES.has(named.master)) named.masterName = NAMES.get(named.master);
      if (named.via !== undefined && NAMES.has(named.via)) named.viaName = NAMES.get(named.via);
      expectSame(decodeFdbNamed(m, 0, m.readUInt32LE(0), NAMES), named);
      compared++;
    }
    expect(compared).toBeGreaterThan(3000);
  });
});

describe('nexthop decoder', () => {
  function reference(buf: Buffer, off: number, len: number): any {
    const at = off + 16;
    if (len - 16 < 8) throw new ParseError('short');
    const nh: any = {
      id: 0, family: familyName(buf[at]!), scope: scopes.name(buf[at + 1]!), protocol: routeProtocols.name(buf[at + 2]!),
      flags: bitNames(RTNH_F, buf.readUInt32LE(at + 4)),
    };
    decodeAttrsGeneric(nexthopSchema, buf, at + 8, off + len, nh);
    if (nh.groupType !== undefined) {
      nh.type = nh.groupType;
      delete nh.groupType;
    } else if (nh.group) nh.type = 'mpath';
    return nh;
  }
  const known = [NHA.ID, NHA.GROUP, NHA.GROUP_TYPE, NHA.BLACKHOLE, NHA.OIF, NHA.GATEWAY, NHA.FDB, NHA.ENCAP_TYPE];
  const sizes = { [NHA.GROUP]: [8, 16, 24], [NHA.GROUP_TYPE]: [2], [NHA.BLACKHOLE]: [0], [NHA.FDB]: [0], [NHA.GATEWAY]: [4, 16], [NHA.ENCAP_TYPE]: [2] };

  it('gives what the straightforward decoder gave, on random objects', () => {
    const r = rng(9);
    let compared = 0;
    for (let i = 0; i < 4000; i++) {
      const m = randomMessage(r, RTM_NEWNEXTHOP, 8, known, sizes, (h) => {
        h[0] = [2, 10, 0][Math.floor(r() * 3)]!;
        if (r() < 0.7) h.writeUInt32LE(0, 4);
        if (r() < 0.5) { h[1] = 253; h[2] = 0; }
      });
      let want: any;
      try {
        want = reference(m, 0, m.readUInt32LE(0));
      } catch (err) {
        expect(err).toBeInstanceOf(ParseError);
        expect(() => decodeNexthop(m, 0, m.readUInt32LE(0))).toThrow(ParseError);
        continue;
      }
      expectSame(decodeNexthop(m, 0, m.readUInt32LE(0)), want);
      const named = reference(m, 0, m.readUInt32LE(0));
      if (named.oif !== undefined && NAMES.has(named.oif)) named.dev = NAMES.get(named.oif);
      expectSame(decodeNexthopNamed(m, 0, m.readUInt32LE(0), NAMES), named);
      compared++;
    }
    expect(compared).toBeGreaterThan(3000);
  });
});

describe('dump name helpers', () => {
  it('bitNamesCopier answers bitNames, a fresh array every time', () => {
    const copy = bitNamesCopier(NUD);
    const r = rng(1);
    for (let i = 0; i < 2000; i++) {
      const bits = r() < 0.5 ? 1 << Math.floor(r() * 8) : Math.floor(r() * 256);
      const a = copy(bits);
      expect(a).toEqual(bitNames(NUD, bits));
      a.push('changed');
      expect(copy(bits)).toEqual(bitNames(NUD, bits));
    }
  });

  it('namingDecoder names what it decodes once the names are in, and counts what it decoded before', async () => {
    let give!: (m: ReadonlyMap<number, string>) => void;
    const names = new Promise<ReadonlyMap<number, string>>((r) => (give = r));
    const seen: (ReadonlyMap<number, string> | undefined)[] = [];
    const n = namingDecoder(names, RTM_NEWROUTE, (_b, off, _l, m) => {
      seen.push(m);
      return off;
    });
    const b = Buffer.alloc(0);
    expect(n.decode(b, 1, 0, RTM_NEWNEIGH, 0)).toBeUndefined();
    expect(n.someUnnamed()).toBe(false);
    expect(n.decode(b, 2, 0, RTM_NEWROUTE, 0)).toBe(2);
    expect(n.someUnnamed()).toBe(true);
    give(NAMES);
    await names;
    expect(n.decode(b, 3, 0, RTM_NEWROUTE, 0)).toBe(3);
    expect(seen).toEqual([undefined, NAMES]);
    const failed = namingDecoder(Promise.reject(new Error('no links')), RTM_NEWROUTE, () => 1);
    await tick();
    expect(failed.decode(b, 0, 0, RTM_NEWROUTE, 0)).toBe(1);
    expect(failed.someUnnamed()).toBe(true);
  });

  it('lastName answers the table', () => {
    const name = lastName(routeProtocols);
    for (const n of [3, 3, 4, 3, 250, 250, 0]) expect(name(n)).toBe(routeProtocols.name(n));
  });
});

describe('formatIPv4 with its caches', () => {
  it('formats the extremes, before and after anything is cached', () => {
    for (const q of [[0, 0, 0, 0], [255, 255, 255, 255], [128, 0, 0, 1], [0, 0, 0, 0], [255, 255, 255, 255], [127, 255, 255, 255]]) {
      expect(formatIPv4(Buffer.from(q))).toBe(q.join('.'));
    }
  });

  it('formats every address as the dotted quad, whatever shares a prefix or a cache slot', () => {
    const r = rng(21);
    // Few /24s (prefix hits), many (slot collisions), repeats (the last-two cache).
    const prefixes = Array.from({ length: 3000 }, () => [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)]);
    for (let i = 0; i < 50_000; i++) {
      const p = prefixes[Math.floor(r() * (i % 2 ? 5 : prefixes.length))]!;
      const b = Buffer.from([p[0]!, p[1]!, p[2]!, Math.floor(r() * 256)]);
      const want = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
      expect(formatIPv4(b)).toBe(want);
      if (i % 7 === 0) expect(formatIPv4(b)).toBe(want);
      expect(formatIp(b, 0, 4)).toBe(want);
    }
  });
});

describe('joinLists', () => {
  it('is the lists concatenated in order, whichever is long', () => {
    const r = rng(4);
    for (let i = 0; i < 500; i++) {
      const lists = Array.from({ length: Math.floor(r() * 4) }, (_, k) => Array.from({ length: Math.floor(r() * (r() < 0.3 ? 50 : 4)) }, (_, j) => `${k}.${j}`));
      const want = lists.flat();
      expect(joinLists(lists.map((l) => [...l]))).toEqual(want);
    }
  });
});

describe('engine decode runs', () => {
  const dumpReq = () => {
    const w = new MessageWriter(RTM_GETROUTE, NLM_F_DUMP);
    w.struct(12, () => {});
    return w.finish();
  };
  const part = (seq: number, n: number, flags = NLM_F_MULTI) => {
    const p = Buffer.alloc(4);
    p.writeUInt32LE(n);
    return nlmsg(RTM_NEWROUTE, flags, seq, p);
  };
  const decodeN = (buf: Buffer, off: number, len: number) => {
    const n = buf.readUInt32LE(off + 16);
    if (n === 666) throw new ParseError('bad part');
    return n === 999 ? undefined : n;
  };

  it('keeps every message of a datagram in order across requests, notifications, skipped and bad parts', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const notes: number[] = [];
    const warnings: string[] = [];
    e.onNotification = (b, o) => notes.push(b.readUInt32LE(o + 16));
    e.onParseError = (err) => warnings.push(err.message);
    const a = e.request(dumpReq(), { operation: 'route.list', dump: true, decode: decodeN });
    await tick();
    const seqA = t.messages()[0]!.seq;
    // One datagram: parts, a notification (seq 0) in the middle, a part the decoder skips, a
    // part it cannot parse, a message for nobody, a NOOP, more parts.
    const dgram = Buffer.concat([
      part(seqA, 1), part(seqA, 2), part(0, 100), part(seqA, 3), part(seqA, 999), part(seqA, 666), part(seqA, 4),
      part(seqA + 1000, 5), nlmsg(NLMSG_NOOP, 0, seqA), part(seqA, 6),
    ]);
    e.receive(dgram, [dgram.length]);
    // A second datagram with the rest and the DONE.
    const tail = Buffer.concat([part(seqA, 7), done(seqA)]);
    e.receive(tail, [tail.length]);
    expect(await a).toEqual([1, 2, 3, 4, 6, 7]);
    expect(notes).toEqual([100, 5]);
    expect(warnings).toEqual(['route.list: bad part']);
  });

  it('restarts a dump flagged NLM_F_DUMP_INTR in the middle of a run', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const a = e.request(dumpReq(), { operation: 'route.list', dump: true, decode: decodeN });
    await tick();
    const seq1 = t.messages()[0]!.seq;
    const d1 = Buffer.concat([part(seq1, 1), part(seq1, 2, NLM_F_MULTI | NLM_F_DUMP_INTR), part(seq1, 3), done(seq1)]);
    e.receive(d1, [d1.length]);
    await tick();
    const seq2 = t.messages()[1]!.seq;
    expect(seq2).not.toBe(seq1);
    const d2 = Buffer.concat([part(seq2, 10), part(seq2, 11), done(seq2)]);
    e.receive(d2, [d2.length]);
    expect(await a).toEqual([10, 11]);
  });

  it('fails with DumpInterruptedError when every attempt is interrupted', async () => {
    const t = new FakeTransport();
    const e = new Engine(t, { dumpRetries: 1 });
    const a = e.request(dumpReq(), { operation: 'route.list', dump: true, decode: decodeN });
    for (let i = 0; i < 2; i++) {
      await tick();
      const seq = t.messages().at(-1)!.seq;
      const d = Buffer.concat([part(seq, 1), part(seq, 2, NLM_F_MULTI | NLM_F_DUMP_INTR), done(seq)]);
      e.receive(d, [d.length]);
    }
    await expect(a).rejects.toBeInstanceOf(DumpInterruptedError);
  });

  it('decodes two requests whose replies alternate within one datagram', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const w = () => {
      const m = new MessageWriter(RTM_NEWROUTE, 0);
      m.struct(12, () => {});
      return m.finish();
    };
    const a = e.request(w(), { operation: 'route.get', decode: decodeN });
    const b = e.request(w(), { operation: 'route.get', decode: decodeN });
    await tick();
    const [ma, mb] = t.messages();
    const d = Buffer.concat([part(ma!.seq, 1, 0), part(mb!.seq, 2, 0), part(ma!.seq, 3, 0), part(mb!.seq, 4, 0)]);
    e.receive(d, [d.length]);
    // Requests that expect replies complete on their own acks.
    const d2 = Buffer.concat([ack(ma!.seq), ack(mb!.seq)]);
    e.receive(d2, [d2.length]);
    expect(await a).toEqual([1, 3]);
    expect(await b).toEqual([2, 4]);
  });
});
