import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, formatMac, parseCidr, parseIp, parseLladdr, parseMac } from '../../lib/wire/address';
import { ValidationError } from '../../lib/errors';

describe('IP, CIDR and MAC text', () => {
  it('round-trips IPv4 and IPv6 as iproute2 prints them', () => {
    for (const [text, want] of [
      ['10.1.2.3', '10.1.2.3'],
      ['2001:db8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ]) {
      const ip = parseIp(text, 'x');
      const back = ip.bytes.length === 4 ? [...ip.bytes].join('.') : formatIPv6(ip.bytes);
      expect(back).toBe(want);
    }
  });

  it('rejects bad addresses naming the field', () => {
    for (const bad of ['10.0.0.300', '10.0.0', '1.2.3.4.5', '01.2.3.4', ':::', '1::2::3', 'g::1', '', '1:2:3:4:5:6:7:8:9']) {
      const err = (() => { try { parseIp(bad, 'route.gateway'); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('route.gateway');
    }
  });

  it('parses CIDRs and rejects bad prefix lengths', () => {
    expect(parseCidr('10.0.0.0/8', 'dst')).toMatchObject({ family: 2, prefixLen: 8 });
    expect(parseCidr('2001:db8::/64', 'dst')).toMatchObject({ family: 10, prefixLen: 64 });
    expect(parseCidr('10.0.0.1', 'dst').prefixLen).toBe(32);
    expect(() => parseCidr('10.0.0.300/24', 'dst')).toThrow(ValidationError);
    expect(() => parseCidr('10.0.0.0/33', 'dst')).toThrow(/prefix length/);
    expect(() => parseCidr('/33', 'dst')).toThrow(ValidationError);
    expect(() => parseCidr('::/129', 'dst')).toThrow(ValidationError);
  });

  it('enforces a family when asked', () => {
    expect(() => parseIp('2001:db8::1', 'gateway', 2)).toThrow(/IPv6, expected IPv4/);
    expect(() => parseIp('10.0.0.1', 'gateway', 10)).toThrow(/IPv4, expected IPv6/);
  });

  it('parses and formats MACs', () => {
    expect(formatMac(parseMac('2:0:0:a:BB:ff', 'address'))).toBe('02:00:00:0a:bb:ff');
    for (const bad of ['02:00:00:00:00', '02:00:00:00:00:00:00', 'zz:00:00:00:00:00', '0200.0000.0001', 42]) {
      expect(() => parseMac(bad, 'address')).toThrow(ValidationError);
    }
  });

  it('formats IPv4 right through its cache of recent addresses, in any order', () => {
    const bytes = Buffer.alloc(4);
    const seq = [0x0a000002, 0x0a640000, 0x0a000002, 0x0a640001, 0x0a000002, 0xffffffff, 0, 0x0a640001, 0xc0a80101, 0, 0x0a000002];
    for (let i = 0; i < 2000; i++) seq.push(i % 3 === 0 ? 0x0a000002 : (Math.random() * 0x1_0000_0000) >>> 0);
    for (const v of seq) {
      bytes.writeUInt32BE(v);
      expect(formatIPv4(bytes)).toBe([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.'));
    }
    expect(formatIPv4(Buffer.from([0, 0, 10, 1, 2, 3, 4]), 3)).toBe('1.2.3.4');
  });

  it('parses link-layer addresses of any length, strictly', () => {
    expect(parseMac('2:0:0:A:bC:ff', 'lladdr')).toEqual(Buffer.from([2, 0, 0, 10, 0xbc, 0xff]));
    expect(parseLladdr('aa', 'lladdr')).toEqual(Buffer.from([0xaa]));
    const long = Array.from({ length: 32 }, (_, i) => i.toString(16)).join(':');
    expect(parseLladdr(long, 'lladdr')).toEqual(Buffer.from(Array.from({ length: 32 }, (_, i) => i)));
    for (const bad of [`${long}:1`, 'aa::bb', 'aa:', ':aa', 'aaa:bb', 'g0', '', 'aa-bb', 7]) {
      expect(() => parseLladdr(bad, 'lladdr')).toThrow(ValidationError);
    }
  });
});

