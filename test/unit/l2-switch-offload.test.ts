/**
 * The switch and vnet_hdr without root: super-frames pass untouched between vnet ports,
 * plain frames get an empty header, partial checksums are completed and TCP super-frames
 * segmented for plain ports (checked against an independent checksum), tags pushed into
 * vnet frames shift the header's offsets. Also the vnet header codec and FrameBatch views.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { L2Switch } from '../../lib/switch/l2-switch';
import { buildFrame } from '../../lib/switch/ethernet';
import { FrameBatch } from '../../lib/tap/frame-batch';
import { encodeVnetHeader, readVnetHeader } from '../../lib/tap/vnet-header';
import { FakeDevice, MAC } from './l2-switch-fakes';

const switches: L2Switch[] = [];
afterEach(() => {
  for (const s of switches.splice(0)) s.close();
});
function newSwitch(): L2Switch {
  const sw = new L2Switch();
  switches.push(sw);
  return sw;
}

/** An independent one's-complement sum, 32-bit words folded at the end. */
function sum16(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) s += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  return s;
}
function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
/** True when the IPv4 header checksum and the TCP checksum of an Ethernet frame are right. */
function checksumsOk(f: Buffer, l3 = 14): { ip: boolean; tcp: boolean } {
  const ihl = (f[l3] & 15) * 4;
  const total = f.readUInt16BE(l3 + 2);
  const l4 = l3 + ihl;
  const tcpLen = total - ihl;
  const pseudo = sum16(f, l3 + 12, l3 + 20) + 6 + tcpLen;
  return { ip: fold(sum16(f, l3, l4)) === 0xffff, tcp: fold(pseudo + sum16(f, l4, l4 + tcpLen)) === 0xffff };
}

/** An Ethernet/IPv4/TCP frame with `payload` bytes; the TCP checksum holds the pseudo-header sum (partial). */
function tcpFrame(payloadLen: number, vid?: number): Buffer {
  const ipTcp = Buffer.alloc(40 + payloadLen);
  ipTcp[0] = 0x45;
  ipTcp.writeUInt16BE(Math.min(0xffff, 40 + payloadLen), 2);
  ipTcp.writeUInt16BE(0x1234, 4);
  ipTcp.writeUInt16BE(0x4000, 6);
  ipTcp[8] = 64;
  ipTcp[9] = 6;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(ipTcp, 12);
  ipTcp.writeUInt16BE(~fold(sum16(ipTcp, 0, 20)) & 0xffff, 10);
  ipTcp.writeUInt16BE(40000, 20);
  ipTcp.writeUInt16BE(80, 22);
  ipTcp.writeUInt32BE(0xfffff000, 24); // the sequence number wraps inside the super-frame
  ipTcp.writeUInt32BE(7, 28);
  ipTcp[32] = 5 << 4;
  ipTcp[33] = 0x19; // FIN PSH ACK
  ipTcp.writeUInt16BE(512, 34);
  for (let i = 0; i < payloadLen; i++) ipTcp[40 + i] = i & 0xff;
  ipTcp.writeUInt16BE(fold(sum16(ipTcp, 12, 20) + 6 + 20 + payloadLen), 36);
  return buildFrame(MAC.b, MAC.a, 0x0800, ipTcp, vid);
}

function withHeader(h: Parameters<typeof encodeVnetHeader>[0], f: Buffer): Buffer {
  return Buffer.concat([encodeVnetHeader(h, 12), f]);
}

describe('L2Switch with vnet_hdr ports', () => {
  it('passes super-frames untouched between vnet ports and adds empty headers for plain frames', () => {
    const sw = newSwitch();
    const v1 = new FakeDevice('v1', 12);
    const v2 = new FakeDevice('v2', 12);
    const plain = new FakeDevice('plain');
    sw.addPort(v1);
    sw.addPort(v2);
    const superFrame = withHeader({ needsCsum: true, gsoType: 'tcpv4', gsoSize: 1448, hdrLen: 54, csumStart: 34, csumOffset: 16 }, tcpFrame(30000));
    v1.feed([superFrame]);
    expect(v2.take()).toEqual([superFrame]);
    sw.addPort(plain);
    plain.feed([tcpFrame(100)]);
    const got = v1.take();
    expect(got).toEqual([Buffer.concat([Buffer.alloc(12), tcpFrame(100)])]);
    expect(sw.stats.drops.gso).toBe(0);
  });

  it('completes partial checksums for a plain port', () => {
    const sw = newSwitch();
    const v = new FakeDevice('v', 12);
    const plain = new FakeDevice('plain');
    sw.addPort(v);
    sw.addPort(plain);
    const f = tcpFrame(333);
    expect(checksumsOk(f).tcp).toBe(false); // partial as sent
    v.feed([withHeader({ needsCsum: true, csumStart: 34, csumOffset: 16 }, f)]);
    const [out] = plain.take();
    expect(out.length).toBe(f.length);
    expect(checksumsOk(out)).toEqual({ ip: true, tcp: true });
  });

  it.each([undefined, 10])('segments TCP super-frames for a plain port (vlan %s)', (vid) => {
    const sw = newSwitch();
    const v = new FakeDevice('v', 12);
    const plain = new FakeDevice('plain');
    const other = new FakeDevice('other', 12);
    sw.addPort(v, vid === undefined ? {} : { trunk: [vid] });
    sw.addPort(plain, vid === undefined ? {} : { vlan: vid });
    sw.addPort(other, vid === undefined ? {} : { vlan: vid });
    const tag = vid === undefined ? 0 : 4;
    const payload = 4000;
    const sup = tcpFrame(payload, vid);
    v.feed([withHeader({ needsCsum: true, gsoType: 'tcpv4', gsoSize: 1448, hdrLen: 54 + tag, csumStart: 34 + tag, csumOffset: 16 }, sup)]);
    const segs = plain.take();
    expect(segs.map((s) => s.length)).toEqual([54 + 1448, 54 + 1448, 54 + 1104]);
    let data = Buffer.alloc(0);
    segs.forEach((s, i) => {
      expect(s.readUInt16BE(12)).toBe(0x0800); // untagged on the access port
      expect(checksumsOk(s)).toEqual({ ip: true, tcp: true });
      expect(s.readUInt16BE(14 + 2)).toBe(s.length - 14); // IPv4 total length
      expect(s.readUInt16BE(14 + 4)).toBe(0x1234 + i); // IP id advances
      expect(s.readUInt32BE(14 + 24)).toBe((0xfffff000 + i * 1448) >>> 0);
      expect(s[14 + 33]).toBe(i === 2 ? 0x19 : 0x10); // FIN and PSH only on the last
      data = Buffer.concat([data, s.subarray(54)]);
    });
    expect(data).toEqual(sup.subarray(54 + tag));
    // The vnet access port got the super-frame itself, tag popped and offsets shifted back.
    const [whole] = other.take();
    const h = readVnetHeader(whole, 0, 12);
    expect(h).toMatchObject({ gsoType: 'tcpv4', gsoSize: 1448, hdrLen: 54, csumStart: 34, csumOffset: 16, needsCsum: true });
    expect(whole.subarray(12)).toEqual(tcpFrame(payload));
  });

  it('shifts csumStart and hdrLen when a tag is pushed into a vnet frame', () => {
    const sw = newSwitch();
    const v = new FakeDevice('v', 12);
    const t = new FakeDevice('t', 12);
    sw.addPort(v, { vlan: 7 });
    sw.addPort(t, { trunk: [7] });
    v.feed([withHeader({ needsCsum: true, gsoType: 'tcpv4', gsoSize: 1000, hdrLen: 54, csumStart: 34, csumOffset: 16 }, tcpFrame(3000))]);
    const [out] = t.take();
    expect(readVnetHeader(out, 0, 12)).toMatchObject({ hdrLen: 58, csumStart: 38, csumOffset: 16, gsoSize: 1000 });
    expect(out.subarray(12)).toEqual(tcpFrame(3000, 7));
  });

  it('drops super-frames it cannot segment (UFO) for plain ports, and counts them', () => {
    const sw = newSwitch();
    const v = new FakeDevice('v', 12);
    const plain = new FakeDevice('plain');
    sw.addPort(v);
    sw.addPort(plain);
    v.feed([withHeader({ gsoType: 'udp', gsoSize: 1000 }, buildFrame(MAC.b, MAC.a, 0x0800, Buffer.alloc(3000)))]);
    expect(plain.take()).toHaveLength(0);
    expect(sw.stats.drops.gso).toBe(1);
  });
});

describe('vnet headers and frame batches', () => {
  it('encodes and decodes virtio-net headers', () => {
    const h = { needsCsum: true, dataValid: false, gsoType: 'tcpv6' as const, ecn: true, hdrLen: 74, gsoSize: 1428, csumStart: 54, csumOffset: 16 };
    const b = encodeVnetHeader(h, 12);
    expect([...b]).toEqual([1, 0x84, 74, 0, 0x94, 5, 54, 0, 16, 0, 0, 0]);
    expect(readVnetHeader(b, 0, 12)).toEqual(h);
    expect(encodeVnetHeader({}, 10)).toEqual(Buffer.alloc(10));
    expect(() => encodeVnetHeader({ gsoSize: 70000 }, 10)).toThrow(/gsoSize/);
  });

  it('gives views without the prefix, raw bytes, copies and header fields', () => {
    const arena = Buffer.alloc(256);
    const meta = new Uint32Array([0, 26, 32, 22]);
    encodeVnetHeader({ gsoType: 'tcpv4', gsoSize: 1400, needsCsum: true }, 12).copy(arena, 0);
    arena.fill(0xaa, 12, 26);
    arena.fill(0xbb, 44, 54);
    const batch = new FrameBatch(arena, meta, 0, 12);
    batch.count = 2;
    expect(batch.frame(0)).toEqual(Buffer.alloc(14, 0xaa));
    expect(batch.raw(0).length).toBe(26);
    expect(batch.length(1)).toBe(10);
    expect(batch.offset(1)).toBe(44);
    expect(batch.gsoType(0)).toBe('tcpv4');
    expect(batch.gsoSize(0)).toBe(1400);
    expect(batch.needsCsum(0)).toBe(true);
    expect(batch.gsoType(1)).toBe('none');
    const copy = batch.copy(1);
    expect([...batch].map((f) => f.length)).toEqual([14, 10]);
    arena.fill(0);
    expect(copy).toEqual(Buffer.alloc(10, 0xbb)); // copies outlive the arena's reuse
    expect(() => batch.frame(2)).toThrow(RangeError);
  });
});
