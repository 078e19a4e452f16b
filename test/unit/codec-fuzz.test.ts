/**
 * Random and truncated bytes through every decoder and the engine's framing: the only
 * exception allowed is our own ParseError, and nothing may hang.
 */
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../lib/errors';
import { decodeLink } from '../../lib/rtnetlink/link/link-decode';
import { decodeAddress } from '../../lib/rtnetlink/address/address-decode';
import { decodeRoute } from '../../lib/rtnetlink/route/route-decode';
import { Engine } from '../../lib/core/engine';
import { FakeTransport, attr, cstr, nlmsg } from '../helpers/fake-kernel';

// Deterministic PRNG so failures reproduce.
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function validLink(): Buffer {
  const ifi = Buffer.alloc(16);
  ifi.writeInt32LE(3, 4);
  const mtu = Buffer.alloc(4);
  mtu.writeUInt32LE(1500);
  const linkinfo = attr(18 | 0x8000, Buffer.concat([attr(1, cstr('vxlan')), attr(2 | 0x8000, attr(1, Buffer.from([42, 0, 0, 0])))]));
  return nlmsg(16, 0, 0, Buffer.concat([ifi, attr(3, cstr('vx0')), attr(4, mtu), attr(1, Buffer.from([2, 0, 0, 0, 0, 1])), linkinfo, attr(23, Buffer.alloc(200))]));
}

describe('codec fuzz', () => {
  const decoders = [decodeLink, decodeAddress, decodeRoute];

  it('decodes a valid message', () => {
    const m = validLink();
    expect(decodeLink(m, 0, m.readUInt32LE(0))).toMatchObject({ name: 'vx0', mtu: 1500, kind: 'vxlan', index: 3 });
  });

  it('never throws anything but ParseError on random, truncated or mutated bytes', () => {
    const r = rng(42);
    const base = validLink();
    let parsed = 0;
    for (let i = 0; i < 6000; i++) {
      let buf: Buffer;
      const mode = i % 3;
      if (mode === 0) {
        buf = Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)));
      } else if (mode === 1) {
        buf = Buffer.from(base.subarray(0, Math.floor(r() * base.length)));
      } else {
        buf = Buffer.from(base);
        for (let k = 0; k < 1 + Math.floor(r() * 6); k++) buf[Math.floor(r() * buf.length)] = Math.floor(r() * 256);
      }
      for (const decode of decoders) {
        try {
          decode(buf, 0, Math.min(buf.length, Math.max(16, buf.length >= 4 ? buf.readUInt32LE(0) : 0)));
          parsed++;
        } catch (err) {
          if (!(err instanceof ParseError)) throw new Error(`case ${i}: ${(err as Error).stack}`);
        }
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });

  it('frames random datagrams without throwing or hanging', () => {
    const r = rng(7);
    const e = new Engine(new FakeTransport());
    let warnings = 0;
    e.onParseError = () => warnings++;
    e.onNotification = () => {};
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.from(Array.from({ length: 16 + Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
      if (i % 2) buf.writeUInt32LE(Math.floor(r() * 64), 0); // plausible but wrong lengths, including 0
      e.receive(buf, [buf.length]);
    }
    expect(warnings).toBeGreaterThan(0);
  });
});
