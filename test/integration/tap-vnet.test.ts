/**
 * vnet_hdr and offloads: a TCP stream between two namespaces through the JS switch shows up
 * as GSO super-frames with their gso type and size, passes through untouched between two
 * vnet_hdr ports, and is segmented (with checksums the kernel accepts) towards a port
 * without vnet_hdr.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ip, isRoot } from '../helpers/netns';
import * as tap from '../../lib/tap/tap';
import type { FrameBatch } from '../../lib/tap/frame-batch';
import type { L2Switch } from '../../lib/switch/l2-switch';
import { nsRun, TapBed } from './tap-helpers';

const bed = new TapBed();
afterEach(() => bed.cleanup());

const BYTES = 8 << 20;

// Server: counts bytes until the client ends, prints the count.
const SERVER = `
const net = require('node:net');
const srv = net.createServer((s) => { let n = 0; s.on('data', (d) => (n += d.length)); s.on('end', () => { console.log(n); s.end(); srv.close(); }); });
srv.listen(5001, '10.205.0.2', () => console.error('listening'));`;

const CLIENT = `
const net = require('node:net');
const c = net.connect(5001, '10.205.0.2', () => { c.end(Buffer.alloc(${BYTES}, 7)); });
c.on('close', () => process.exit(0));`;

interface GsoSeen {
  tcpv4: number;
  maxFrame: number;
  maxGsoSize: number;
  needsCsum: number;
}

async function transfer(vnetA: boolean, vnetB: boolean): Promise<{ received: number; seen: GsoSeen; sw: L2Switch }> {
  const a = bed.pool.add('vneta');
  const b = bed.pool.add('vnetb');
  const offloaded: tap.TapOptions = { vnetHdr: true, offloads: ['csum', 'tso4', 'tso6'] };
  const ta = await bed.openUp(a, 'nlv0', '10.205.0.1/24', vnetA ? offloaded : {});
  const tb = await bed.openUp(b, 'nlv0', '10.205.0.2/24', vnetB ? offloaded : {});
  const sw = bed.switch();
  sw.addPort(ta, { name: 'a' });
  sw.addPort(tb, { name: 'b' });
  const seen: GsoSeen = { tcpv4: 0, maxFrame: 0, maxGsoSize: 0, needsCsum: 0 };
  ta.on('frames', (batch: FrameBatch) => {
    for (let i = 0; i < batch.count; i++) {
      seen.maxFrame = Math.max(seen.maxFrame, batch.length(i));
      if (batch.gsoType(i) === 'tcpv4') {
        seen.tcpv4++;
        seen.maxGsoSize = Math.max(seen.maxGsoSize, batch.gsoSize(i));
        const h = batch.vnetHeader(i)!;
        expect(h.gsoType).toBe('tcpv4');
        expect(h.csumStart).toBe(14 + 20); // Ethernet + IPv4 without options: the TCP header
        expect(h.csumOffset).toBe(16); // the TCP checksum field
      }
      if (batch.needsCsum(i)) seen.needsCsum++;
    }
  });
  const server = nsRun(b, process.execPath, ['-e', SERVER], 60_000);
  // Wait until the server listens (ss is the oracle), then send.
  for (;;) {
    const ss = await nsRun(b, 'ss', ['-Hltn', 'sport', '=', ':5001']);
    if (ss.stdout.includes('5001')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const client = await nsRun(a, process.execPath, ['-e', CLIENT], 60_000);
  expect(client.code).toBe(0);
  const out = await server;
  return { received: Number(out.stdout.trim()), seen, sw };
}

// Generous: the VM tier runs this under emulation. No timing is asserted.
describe.skipIf(!isRoot)('vnet_hdr offloads', { timeout: 120_000 }, () => {
  it('reports GSO info for a TCP stream and passes super-frames through untouched', async () => {
    const { received, seen, sw } = await transfer(true, true);
    expect(received).toBe(BYTES);
    expect(seen.tcpv4).toBeGreaterThan(0);
    expect(seen.maxGsoSize).toBeGreaterThan(0);
    expect(seen.maxGsoSize).toBeLessThanOrEqual(1500 - 40);
    expect(seen.maxFrame).toBeGreaterThan(1514); // a super-frame: more than one MTU in one read
    expect(seen.needsCsum).toBeGreaterThan(0);
    expect(sw.stats.drops.gso).toBe(0);
  });

  it('segments super-frames in software for a port without vnet_hdr', async () => {
    const { received, seen, sw } = await transfer(true, false);
    expect(received).toBe(BYTES); // the kernel in b accepted every segment and its checksums
    expect(seen.tcpv4).toBeGreaterThan(0);
    expect(sw.stats.drops.gso).toBe(0);
  });

  it('encodes and decodes vnet headers for writes', async () => {
    const ns = bed.pool.add('vnethdr');
    const t = await bed.open({ netns: ns, name: 'nlvh0', vnetHdr: 10 });
    expect(t.vnetHdrSize).toBe(10);
    expect(t.prefixBytes).toBe(10);
    ip('-n', ns, 'link', 'set', 'nlvh0', 'up');
    const frame = Buffer.alloc(60);
    Buffer.from([0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x01]).copy(frame);
    frame.writeUInt16BE(0x88b5, 12);
    expect(t.write(frame)).toBe(true); // an empty header is written in front
    expect(t.write(frame, { gsoType: 'none' })).toBe(true);
    // A header claiming a checksum position outside the frame: the kernel refuses it (EINVAL).
    expect(t.write(frame, { needsCsum: true, csumStart: 200, csumOffset: 6 })).toBe(true);
    expect(() => t.write(frame, Buffer.alloc(4))).toThrow(expect.objectContaining({ field: 'header' }));
    expect(() => t.write('frame' as unknown as Buffer)).toThrow(expect.objectContaining({ field: 'frame' }));
    expect(() => t.writeBatch([frame, 7 as unknown as Buffer])).toThrow(expect.objectContaining({ field: 'frames' }));
    const s = t.stats;
    expect(s.txFrames).toBe(2);
    expect(s.drops).toBe(1);
    expect(s.lastError).toBe('EINVAL');
  });
});
