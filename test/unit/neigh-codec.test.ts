/**
 * Neighbour and FDB requests and replies at the byte level, without root: ndmsg state and
 * flags for each NeighSpec/FdbSpec option, the VXLAN attributes, decoding of both families,
 * and that random bytes never make the decoders throw anything but ParseError.
 */
import { describe, expect, it } from 'vitest';
import { ParseError, ValidationError } from '../../lib/errors';
import { forEachAttr } from '../../lib/wire/attributes';
import { NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../lib/wire/constants';
import { RTM_DELNEIGH, RTM_NEWNEIGH } from '../../lib/rtnetlink/constants';
import { prepareNeigh } from '../../lib/rtnetlink/neigh/neigh';
import { decodeNeighbour } from '../../lib/rtnetlink/neigh/neigh-decode';
import { decodeFdb, prepareFdb } from '../../lib/rtnetlink/neigh/fdb';
import { decodeRule } from '../../lib/rtnetlink/rule/rule-decode';
import { NDA } from '../../lib/rtnetlink/neigh/neigh-schema';
import { attr, nlmsg } from '../helpers/fake-kernel';

const ndmsg = (b: Buffer) => ({ family: b[16], index: b.readInt32LE(20), state: b.readUInt16LE(24), flags: b[26], type: b[27] });

function attrs(bytes: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  forEachAttr(bytes, 28, bytes.length, (type, off, len) => out.set(type, bytes.subarray(off, off + len)));
  return out;
}

describe('prepareNeigh', () => {
  it('add: permanent by default, NDA_DST and NDA_LLADDR, flags for router/extern_learn/proxy', () => {
    const b = prepareNeigh('add', { dev: 3, address: '10.0.0.2', lladdr: '02:00:00:00:00:02' }).msg.bytes;
    expect(b.readUInt16LE(4)).toBe(RTM_NEWNEIGH);
    expect(b.readUInt16LE(6) & (NLM_F_CREATE | NLM_F_EXCL)).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(ndmsg(b)).toEqual({ family: 2, index: 3, state: 0x80, flags: 0, type: 0 });
    expect([...attrs(b).get(NDA.DST)!]).toEqual([10, 0, 0, 2]);
    expect(attrs(b).get(NDA.LLADDR)!.toString('hex')).toBe('020000000002');
    const r = prepareNeigh('replace', { dev: 3, address: '2001:db8::2', lladdr: '02:00:00:00:00:02', state: 'stale', router: true, externLearn: true }).msg.bytes;
    expect(r.readUInt16LE(6) & NLM_F_REPLACE).toBe(NLM_F_REPLACE);
    expect(ndmsg(r)).toMatchObject({ family: 10, state: 0x04, flags: 0x80 | 0x10 });
    const p = prepareNeigh('add', { dev: 3, address: '10.0.0.9', proxy: true }).msg.bytes;
    expect(ndmsg(p).flags).toBe(0x08);
    expect(attrs(p).has(NDA.LLADDR)).toBe(false);
  });

  it('del sends no state; managed goes in NDA_FLAGS_EXT; protocol by name', () => {
    expect(ndmsg(prepareNeigh('del', { dev: 3, address: '10.0.0.2' }).msg.bytes).state).toBe(0);
    expect(prepareNeigh('del', { dev: 3, address: '10.0.0.2' }).msg.bytes.readUInt16LE(4)).toBe(RTM_DELNEIGH);
    const m = attrs(prepareNeigh('add', { dev: 3, address: '10.0.0.2', managed: true, protocol: 'zebra', state: ['reachable', 'noarp'] }).msg.bytes);
    expect(m.get(NDA.FLAGS_EXT)!.readUInt32LE(0)).toBe(1);
    expect(m.get(NDA.PROTOCOL)![0]).toBe(11);
  });

  it('a named dev is patched in later', () => {
    const p = prepareNeigh('add', { dev: 'v0', address: '10.0.0.2', lladdr: '02:00:00:00:00:02' });
    expect(p.links).toEqual([{ field: 'dev', name: 'v0', at: 20 }]);
  });

  it('refuses bad input naming the field', () => {
    const cases: [any, string][] = [
      [{ dev: 3, address: 'x' }, 'address'],
      [{ address: '10.0.0.1' }, 'dev'],
      [{ dev: 3, address: '10.0.0.1', lladdr: 'zz' }, 'lladdr'],
      [{ dev: 3, address: '10.0.0.1', state: 'sleepy' }, 'state'],
      [{ dev: 3, address: '10.0.0.1', lladdr: '02:00:00:00:00:01', proxy: true }, 'lladdr'],
      [{ dev: 3, address: '10.0.0.1', protocol: 999 }, 'protocol'],
    ];
    for (const [spec, field] of cases) {
      expect(() => prepareNeigh('add', spec), JSON.stringify(spec)).toThrow(ValidationError);
      try {
        prepareNeigh('add', spec);
      } catch (e) {
        expect((e as ValidationError).field).toBe(field);
      }
    }
  });
});

describe('prepareFdb', () => {
  it('self by default, permanent|noarp by default; static and dynamic as bridge fdb sets them', () => {
    const b = prepareFdb('add', { dev: 5, lladdr: '02:00:00:00:00:01' }).msg.bytes;
    expect(ndmsg(b)).toEqual({ family: 7, index: 5, state: 0x80 | 0x40, flags: 0x02, type: 0 });
    expect(ndmsg(prepareFdb('add', { dev: 5, lladdr: '02:00:00:00:00:01', master: true, state: 'static', sticky: true }).msg.bytes))
      .toMatchObject({ state: 0x40 | 0x02, flags: 0x04 | 0x40 });
    expect(ndmsg(prepareFdb('add', { dev: 5, lladdr: '02:00:00:00:00:01', master: true, self: true, state: 'dynamic' }).msg.bytes))
      .toMatchObject({ state: 0x02, flags: 0x04 | 0x02 });
  });

  it('append carries the VXLAN remote: dst, vni, port (big-endian), via, vlan', () => {
    const p = prepareFdb('append', { dev: 5, lladdr: '00:00:00:00:00:00', dst: '192.0.2.7', vni: 4242, port: 4789, via: 9, vlan: 10, srcVni: 7 });
    const b = p.msg.bytes;
    expect(b.readUInt16LE(6) & NLM_F_APPEND).toBe(NLM_F_APPEND);
    const a = attrs(b);
    expect([...a.get(NDA.DST)!]).toEqual([192, 0, 2, 7]);
    expect(a.get(NDA.VNI)!.readUInt32LE(0)).toBe(4242);
    expect(a.get(NDA.PORT)!.readUInt16BE(0)).toBe(4789);
    expect(a.get(NDA.IFINDEX)!.readUInt32LE(0)).toBe(9);
    expect(a.get(NDA.VLAN)!.readUInt16LE(0)).toBe(10);
    expect(a.get(NDA.SRC_VNI)!.readUInt32LE(0)).toBe(7);
    const named = prepareFdb('add', { dev: 'vx0', lladdr: '00:00:00:00:00:00', via: 'u0' });
    expect(named.links.map((l) => l.field)).toEqual(['dev', 'via']);
  });

  it('refuses bad input naming the field', () => {
    const cases: [any, string][] = [
      [{ dev: 5, lladdr: '02:00:00:00:00' }, 'lladdr'],
      [{ lladdr: '02:00:00:00:00:01' }, 'dev'],
      [{ dev: 5, lladdr: '02:00:00:00:00:01', vlan: 0 }, 'vlan'],
      [{ dev: 5, lladdr: '02:00:00:00:00:01', vni: 1 << 24 }, 'vni'],
      [{ dev: 5, lladdr: '02:00:00:00:00:01', dst: 'nowhere' }, 'dst'],
      [{ dev: 5, lladdr: '02:00:00:00:00:01', state: 'local' }, 'state'],
    ];
    for (const [spec, field] of cases) {
      let err: any;
      try {
        prepareFdb('add', spec);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(spec)).toBeInstanceOf(ValidationError);
      expect(err.field).toBe(field);
    }
  });
});

describe('decoding neighbours and FDB entries', () => {
  const nd = (family: number, index: number, state: number, flags: number) => {
    const b = Buffer.alloc(12);
    b[0] = family;
    b.writeInt32LE(index, 4);
    b.writeUInt16LE(state, 8);
    b[10] = flags;
    b[11] = 1;
    return b;
  };

  it('an NDP router entry', () => {
    const m = nlmsg(RTM_NEWNEIGH, 0, 0, Buffer.concat([
      nd(10, 3, 0x02, 0x80),
      attr(NDA.DST, Buffer.from('20010db8000000000000000000000002', 'hex')),
      attr(NDA.LLADDR, Buffer.from('020000000002', 'hex')),
      attr(NDA.PROTOCOL, Buffer.from([4])),
    ]));
    expect(decodeNeighbour(m, 0, m.readUInt32LE(0))).toEqual({
      family: 'inet6', index: 3, address: '2001:db8::2', lladdr: '02:00:00:00:00:02', state: ['reachable'], flags: ['router'], type: 'unicast', protocol: 'static',
    });
  });

  it('a VXLAN FDB entry with its remote', () => {
    const port = Buffer.alloc(2);
    port.writeUInt16BE(4789);
    const m = nlmsg(RTM_NEWNEIGH, 0, 0, Buffer.concat([
      nd(7, 5, 0xc0, 0x02),
      attr(NDA.LLADDR, Buffer.alloc(6)),
      attr(NDA.DST, Buffer.from([192, 0, 2, 7])),
      attr(NDA.PORT, port),
      attr(NDA.VNI, Buffer.from([0x92, 0x10, 0, 0])),
    ]));
    expect(decodeFdb(m, 0, m.readUInt32LE(0))).toEqual({
      index: 5, lladdr: '00:00:00:00:00:00', state: 'permanent', flags: ['self'], dst: '192.0.2.7', port: 4789, vni: 4242,
    });
  });

  it('random bytes make the decoders throw nothing but ParseError', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256)));
      const m = nlmsg(RTM_NEWNEIGH, 0, 0, body);
      for (const decode of [decodeNeighbour, decodeFdb, decodeRule]) {
        try {
          decode(m, 0, m.readUInt32LE(0));
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
        }
      }
    }
  });
});
