/**
 * Route requests and replies at the byte level, without root: what prepareRoute puts on the
 * wire for each RouteSpec field, how named links are patched in later, how extack offsets are
 * named, and how decodeRoute reads multipath, metrics and expiry.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { forEachAttr } from '../../lib/wire/attributes';
import { NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../lib/wire/constants';
import { RTM_DELROUTE, RTM_NEWROUTE } from '../../lib/rtnetlink/constants';
import { prepareRoute } from '../../lib/rtnetlink/route/route';
import { decodeRoute } from '../../lib/rtnetlink/route/route-decode';
import { RTA } from '../../lib/rtnetlink/route/route-schema';
import { attr, nlmsg } from '../helpers/fake-kernel';

/** Top-level attributes of a built route message: type → payload. */
function attrs(bytes: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  forEachAttr(bytes, 16 + 12, bytes.length, (type, off, len) => out.set(type, bytes.subarray(off, off + len)));
  return out;
}

const rtmsg = (b: Buffer) => ({
  family: b[16], dstLen: b[17], srcLen: b[18], tos: b[19], table: b[20], protocol: b[21], scope: b[22], type: b[23], flags: b.readUInt32LE(24),
});

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

describe('prepareRoute', () => {
  it('add: NEWROUTE with CREATE|EXCL, boot protocol, universe scope for a gateway route, main table', () => {
    const p = prepareRoute('add', { dst: '10.1.0.0/16', gateway: '10.0.0.2', metric: 5 });
    const b = p.msg.bytes;
    expect(b.readUInt16LE(4)).toBe(RTM_NEWROUTE);
    expect(b.readUInt16LE(6) & (NLM_F_CREATE | NLM_F_EXCL)).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(rtmsg(b)).toEqual({ family: 2, dstLen: 16, srcLen: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0 });
    const a = attrs(b);
    expect([...a.get(RTA.DST)!]).toEqual([10, 1, 0, 0]);
    expect([...a.get(RTA.GATEWAY)!]).toEqual([10, 0, 0, 2]);
    expect(a.get(RTA.PRIORITY)!.readUInt32LE(0)).toBe(5);
    expect(a.has(RTA.TABLE)).toBe(false);
    expect(p.links).toEqual([]);
    expect(p.operation).toBe('route.add');
  });

  it('replace/append/del use their flags; del leaves type, protocol and scope to match anything', () => {
    expect(prepareRoute('replace', { dst: '10.1.0.0/16', dev: 3 }).msg.bytes.readUInt16LE(6) & NLM_F_REPLACE).toBe(NLM_F_REPLACE);
    expect(prepareRoute('append', { dst: '10.1.0.0/16', dev: 3 }).msg.bytes.readUInt16LE(6) & NLM_F_APPEND).toBe(NLM_F_APPEND);
    const del = prepareRoute('del', { dst: '10.1.0.0/16' }).msg.bytes;
    expect(del.readUInt16LE(4)).toBe(RTM_DELROUTE);
    expect(rtmsg(del)).toMatchObject({ protocol: 0, scope: 255, type: 0, table: 254 });
  });

  it('dev-only routes get link scope; local ones host scope in the local table', () => {
    expect(rtmsg(prepareRoute('add', { dst: '10.1.0.0/16', dev: 2 }).msg.bytes).scope).toBe(253);
    expect(rtmsg(prepareRoute('add', { dst: '10.1.0.1', type: 'local', dev: 2 }).msg.bytes)).toMatchObject({ scope: 254, table: 255, type: 2, dstLen: 32 });
    expect(rtmsg(prepareRoute('add', { dst: '10.1.0.255', type: 'broadcast', dev: 2 }).msg.bytes)).toMatchObject({ scope: 253, table: 255 });
  });

  it('table ids above 255 go in RTA_TABLE with rtm_table 0', () => {
    const b = prepareRoute('add', { dst: '10.1.0.0/16', dev: 2, table: 70000 }).msg.bytes;
    expect(rtmsg(b).table).toBe(0);
    expect(attrs(b).get(RTA.TABLE)!.readUInt32LE(0)).toBe(70000);
  });

  it("'default' takes its family from the gateway; IPv6 pref, expires and from", () => {
    const d = prepareRoute('add', { dst: 'default', gateway: '2001:db8::1' }).msg.bytes;
    expect(rtmsg(d)).toMatchObject({ family: 10, dstLen: 0 });
    expect(attrs(d).has(RTA.DST)).toBe(false);
    const b = prepareRoute('add', { dst: '2001:db8:1::/48', from: '2001:db8:9::/56', gateway: '2001:db8::2', pref: 'low', expires: 30 }).msg.bytes;
    expect(rtmsg(b)).toMatchObject({ family: 10, dstLen: 48, srcLen: 56 });
    const a = attrs(b);
    expect(a.get(RTA.PREF)![0]).toBe(3);
    expect(a.get(RTA.EXPIRES)!.readUInt32LE(0)).toBe(30);
    expect(a.get(RTA.SRC)!.length).toBe(16);
  });

  it('metrics nest RTAX values, congctl as a string and lock as a bitmask', () => {
    const a = attrs(prepareRoute('add', { dst: '10.1.0.0/16', dev: 2, mtu: 1400, metrics: { advmss: 1300, congctl: 'cubic', lock: ['mtu', 'advmss'] } }).msg.bytes);
    const m = a.get(RTA.METRICS)!;
    const got = new Map<number, Buffer>();
    forEachAttr(m, 0, m.length, (t, o, l) => got.set(t, m.subarray(o, o + l)));
    expect(got.get(2)!.readUInt32LE(0)).toBe(1400); // RTAX_MTU
    expect(got.get(8)!.readUInt32LE(0)).toBe(1300); // RTAX_ADVMSS
    expect(got.get(16)!.toString('utf8', 0, 5)).toBe('cubic'); // RTAX_CC_ALGO
    expect(got.get(1)!.readUInt32LE(0)).toBe((1 << 2) | (1 << 8)); // RTAX_LOCK
  });

  it('multipath packs rtnexthop structs with weight-1 and a gateway each; named devs are patched later', () => {
    const p = prepareRoute('add', { dst: '10.1.0.0/16', multipath: [{ gateway: '10.0.0.2', dev: 'v0', weight: 3 }, { gateway: '10.0.1.2', dev: 7, onlink: true }] });
    const mp = attrs(p.msg.bytes).get(RTA.MULTIPATH)!;
    expect(mp.readUInt16LE(0)).toBe(16);
    expect(mp[3]).toBe(2); // rtnh_hops = weight - 1
    expect(mp.readInt32LE(4)).toBe(0); // to be filled
    expect([...mp.subarray(12, 16)]).toEqual([10, 0, 0, 2]);
    expect(mp.readUInt16LE(16)).toBe(16);
    expect(mp[18]).toBe(4); // RTNH_F_ONLINK
    expect(mp.readInt32LE(20)).toBe(7);
    expect(p.links).toEqual([{ field: 'multipath.0.dev', name: 'v0', at: expect.any(Number) }]);
    p.msg.bytes.writeUInt32LE(42, p.links[0]!.at);
    expect(attrs(p.msg.bytes).get(RTA.MULTIPATH)!.readInt32LE(4)).toBe(42);
  });

  it('a named dev becomes RTA_OIF 0 plus a patch entry; an ifindex is written at once', () => {
    const named = prepareRoute('add', { dst: '10.1.0.0/16', dev: 'eth0' });
    expect(named.links.map((l) => [l.field, l.name])).toEqual([['dev', 'eth0']]);
    named.msg.bytes.writeUInt32LE(9, named.links[0]!.at);
    expect(attrs(named.msg.bytes).get(RTA.OIF)!.readUInt32LE(0)).toBe(9);
    const byIndex = prepareRoute('add', { dst: '10.1.0.0/16', dev: { index: 5 } });
    expect(byIndex.links).toEqual([]);
    expect(attrs(byIndex.msg.bytes).get(RTA.OIF)!.readUInt32LE(0)).toBe(5);
  });

  it('carries a table of attribute names instead of a map per message', () => {
    const p = prepareRoute('add', { dst: '10.1.0.0/16', gateway: '10.0.0.2', dev: 3, metric: 1 });
    expect(p.msg.attrNames).toBeUndefined();
    expect(p.msg.attrTable!.headerSize).toBe(12);
    expect(Object.values(p.msg.attrTable!.fields)).toEqual(expect.arrayContaining(['dst', 'gateway', 'dev', 'metric']));
  });

  it('refuses bad input naming the field', () => {
    const cases: [any, string][] = [
      [{ dst: '10.0.0.300/24' }, 'dst'],
      [{ dst: '10.0.0.0/33' }, 'dst'],
      [{}, 'dst'],
      [{ dst: '10.0.0.0/8', gateway: '2001:db8::1' }, 'gateway'],
      [{ dst: 'default', family: 'inet6', gateway: '10.0.0.1' }, 'gateway'],
      [{ dst: '10.0.0.0/8', multipath: [] }, 'multipath'],
      [{ dst: '10.0.0.0/8', multipath: [{ weight: 2 }] }, 'multipath.0'],
      [{ dst: '10.0.0.0/8', multipath: [{ gateway: '10.0.0.1', weight: 257 }] }, 'multipath.0.weight'],
      [{ dst: '10.0.0.0/8', dev: 0 }, 'dev'],
      [{ dst: '10.0.0.0/8', dev: 2, metric: -1 }, 'metric'],
      [{ dst: '10.0.0.0/8', dev: 2, table: 'all' }, 'table'],
      [{ dst: '10.0.0.0/8', dev: 2, scope: 'galaxy' }, 'scope'],
      [{ dst: '10.0.0.0/8', dev: 2, protocol: 300 }, 'protocol'],
      [{ dst: '10.0.0.0/8', dev: 2, expires: 5 }, 'expires'],
      [{ dst: '10.0.0.0/8', dev: 2, mtu: 1.5 }, 'mtu'],
      [{ dst: '10.0.0.0/8', dev: 2, metrics: { lock: ['bogus'] } }, 'metrics.lock'],
      [null, 'route'],
    ];
    for (const [spec, field] of cases) {
      let err: unknown;
      try {
        prepareRoute('add', spec);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(spec)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field, JSON.stringify(spec)).toBe(field);
    }
  });
});

describe('decodeRoute', () => {
  const header = (o: Partial<Record<'family' | 'dstLen' | 'srcLen' | 'table' | 'protocol' | 'scope' | 'type', number>> & { flags?: number }) => {
    const b = Buffer.alloc(12);
    b[0] = o.family ?? 2;
    b[1] = o.dstLen ?? 0;
    b[2] = o.srcLen ?? 0;
    b[4] = o.table ?? 254;
    b[5] = o.protocol ?? 3;
    b[6] = o.scope ?? 0;
    b[7] = o.type ?? 1;
    b.writeUInt32LE(o.flags ?? 0, 8);
    return b;
  };

  it('reads multipath next hops, metrics with locks, RTA_TABLE and prefsrc', () => {
    const hop = (gw: number[], oif: number, hops: number, flags = 0) => {
      const a = attr(RTA.GATEWAY, Buffer.from(gw));
      const h = Buffer.alloc(8);
      h.writeUInt16LE(8 + a.length, 0);
      h[2] = flags;
      h[3] = hops;
      h.writeInt32LE(oif, 4);
      return Buffer.concat([h, a]);
    };
    const metrics = Buffer.concat([attr(2, u32(1400)), attr(1, u32(1 << 2))]);
    const m = nlmsg(RTM_NEWROUTE, 0, 0, Buffer.concat([
      header({ dstLen: 16, table: 0 }),
      attr(RTA.TABLE, u32(1000)),
      attr(RTA.DST, Buffer.from([10, 1, 0, 0])),
      attr(RTA.PREFSRC, Buffer.from([10, 0, 0, 1])),
      attr(RTA.METRICS, metrics),
      attr(RTA.MULTIPATH, Buffer.concat([hop([10, 0, 0, 2], 3, 1), hop([10, 0, 0, 3], 4, 0, 4)])),
    ]));
    const r = decodeRoute(m, 0, m.readUInt32LE(0));
    expect(r).toMatchObject({ family: 'inet', dst: '10.1.0.0/16', table: 1000, tableName: '1000', src: '10.0.0.1', metrics: { mtu: 1400, lock: ['mtu'] } });
    expect(r.multipath).toEqual([
      { oif: 3, weight: 2, flags: [], gateway: '10.0.0.2' },
      { oif: 4, weight: 1, flags: ['onlink'], gateway: '10.0.0.3' },
    ]);
  });

  it('turns RTA_CACHEINFO expiry (clock ticks) into seconds, and names rtm_flags', () => {
    const ci = Buffer.alloc(32);
    ci.writeInt32LE(29_950, 8);
    const m = nlmsg(RTM_NEWROUTE, 0, 0, Buffer.concat([
      header({ family: 10, dstLen: 48, flags: 0x200 }),
      attr(RTA.DST, Buffer.from('20010db8000100000000000000000000', 'hex')),
      attr(RTA.CACHEINFO, ci),
    ]));
    const r = decodeRoute(m, 0, m.readUInt32LE(0));
    expect(r).toMatchObject({ family: 'inet6', dst: '2001:db8:1::/48', expires: 299, flags: ['cloned'] });
  });

  it("prints a default route as 'default' and a host route without its length", () => {
    const d = nlmsg(RTM_NEWROUTE, 0, 0, header({}));
    expect(decodeRoute(d, 0, d.readUInt32LE(0)).dst).toBe('default');
    const h = nlmsg(RTM_NEWROUTE, 0, 0, Buffer.concat([header({ dstLen: 32 }), attr(RTA.DST, Buffer.from([10, 0, 0, 9]))]));
    expect(decodeRoute(h, 0, h.readUInt32LE(0)).dst).toBe('10.0.0.9');
  });
});
