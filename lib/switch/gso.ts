/**
 * Software fallbacks for frames a vnet_hdr port hands the switch that a port without vnet_hdr
 * cannot take as they are: partial checksums (NEEDS_CSUM) are completed, and GSO
 * super-frames (TCP over IPv4/IPv6, UDP_L4 = USO) are cut into `gsoSize` segments with
 * their IP and L4 headers and checksums rewritten — what the kernel's
 * skb_checksum_help() and skb_segment() would do for a NIC without offloads.
 * Ethernet frames may carry one 802.1Q tag.
 */
import { ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6 } from '../wire/constants';
import { ETH_HLEN, VLAN_HLEN } from './ethernet';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** One's-complement sum of [start, end) added to `sum` (not folded). */
export function onesSum(buf: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds a sum to 16 bits and complements it: the Internet checksum (RFC 1071). */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * Completes a partial checksum in place: sums [csumStart, end) — the field already holds the
 * pseudo-header sum — and stores the result at csumStart + csumOffset (all absolute).
 */
export function completeChecksum(buf: Uint8Array, csumStart: number, csumOffset: number, end: number): void {
  let c = foldChecksum(onesSum(buf, csumStart, end));
  if (c === 0) c = 0xffff; // UDP sends 0 as 0xffff; for TCP both mean zero
  buf[csumStart + csumOffset] = c >> 8;
  buf[csumStart + csumOffset + 1] = c & 0xff;
}

/** Where the layers of an Ethernet frame start, or undefined when it is not IPv4/IPv6 TCP/UDP we can segment. */
interface Layers {
  l3: number;
  l4: number;
  v6: boolean;
  proto: number;
  /** End of the L4 header = start of the payload. */
  payload: number;
}

function parseLayers(buf: Uint8Array, eth: number, end: number): Layers | undefined {
  let l3 = eth + ETH_HLEN;
  let type = (buf[eth + 12] << 8) | buf[eth + 13];
  if (type === ETH_P_8021Q) {
    type = (buf[eth + 16] << 8) | buf[eth + 17];
    l3 += VLAN_HLEN;
  }
  let l4: number;
  let proto: number;
  let v6: boolean;
  if (type === ETH_P_IP && l3 + 20 <= end) {
    v6 = false;
    l4 = l3 + (buf[l3] & 0x0f) * 4;
    proto = buf[l3 + 9];
  } else if (type === ETH_P_IPV6 && l3 + 40 <= end) {
    v6 = true;
    l4 = l3 + 40;
    proto = buf[l3 + 6]; // extension headers are not segmented here
  } else {
    return undefined;
  }
  let payload: number;
  if (proto === IPPROTO_TCP && l4 + 20 <= end) payload = l4 + (buf[l4 + 12] >> 4) * 4;
  else if (proto === IPPROTO_UDP && l4 + 8 <= end) payload = l4 + 8;
  else return undefined;
  if (payload > end) return undefined;
  return { l3, l4, v6, proto, payload };
}

// The L4 checksum's pseudo-header: the addresses of the IP header at l3, protocol, L4 length.
function pseudoHeaderSum(buf: Uint8Array, l3: number, v6: boolean, proto: number, l4Len: number): number {
  let sum = v6 ? onesSum(buf, l3 + 8, l3 + 40) : onesSum(buf, l3 + 12, l3 + 20);
  sum += proto + (l4Len & 0xffff) + Math.floor(l4Len / 0x10000);
  return sum;
}

function put16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = (v >> 8) & 0xff;
  buf[at + 1] = v & 0xff;
}

/**
 * Cuts the super-frame [eth, eth+len) of `src` into segments of at most `gsoSize` payload
 * bytes, written one after another into `out` from `pos`. Appends [offset, length] of each
 * segment to `spans` and returns the position after the last one, or -1 when the frame is
 * not TCP/UDP over IPv4/IPv6 (the caller drops it). `out` must have room for
 * len + (segments - 1) × headers.
 */
export function segmentFrame(src: Uint8Array, eth: number, len: number, gsoSize: number, out: Uint8Array, pos: number, spans: number[]): number {
  const end = eth + len;
  const ly = parseLayers(src, eth, end);
  if (ly === undefined || gsoSize <= 0) return -1;
  const hdrLen = ly.payload - eth;
  const total = end - ly.payload;
  const segments = Math.max(1, Math.ceil(total / gsoSize));
  const ipId = ly.v6 ? 0 : (src[ly.l3 + 4] << 8) | src[ly.l3 + 5];
  const seq = ly.proto === IPPROTO_TCP ? ((src[ly.l4 + 4] << 24) | (src[ly.l4 + 5] << 16) | (src[ly.l4 + 6] << 8) | src[ly.l4 + 7]) >>> 0 : 0;
  const tcpFlags = ly.proto === IPPROTO_TCP ? src[ly.l4 + 13] : 0;
  const l3Rel = ly.l3 - eth;
  const l4Rel = ly.l4 - eth;
  for (let s = 0; s < segments; s++) {
    const from = ly.payload + s * gsoSize;
    const chunk = Math.min(gsoSize, end - from);
    const o = pos;
    out.set(src.subarray(eth, ly.payload), o);
    out.set(src.subarray(from, from + chunk), o + hdrLen);
    const l3 = o + l3Rel;
    const l4 = o + l4Rel;
    const l4Len = hdrLen - l4Rel + chunk;
    if (ly.v6) {
      put16(out, l3 + 4, l4Len);
    } else {
      put16(out, l3 + 2, hdrLen - l3Rel + chunk);
      put16(out, l3 + 4, (ipId + s) & 0xffff);
      put16(out, l3 + 10, 0);
      put16(out, l3 + 10, foldChecksum(onesSum(out, l3, l4)));
    }
    let csumAt: number;
    if (ly.proto === IPPROTO_TCP) {
      const sq = (seq + s * gsoSize) >>> 0;
      out[l4 + 4] = sq >>> 24;
      out[l4 + 5] = (sq >>> 16) & 0xff;
      out[l4 + 6] = (sq >>> 8) & 0xff;
      out[l4 + 7] = sq & 0xff;
      let flags = tcpFlags;
      if (s < segments - 1) flags &= ~0x09; // FIN and PSH only on the last segment
      if (s > 0) flags &= ~0x80; // CWR only on the first
      out[l4 + 13] = flags;
      csumAt = l4 + 16;
    } else {
      put16(out, l4 + 4, l4Len);
      csumAt = l4 + 6;
    }
    put16(out, csumAt, 0);
    let c = foldChecksum(onesSum(out, l4, l4 + l4Len, pseudoHeaderSum(out, l3, ly.v6, ly.proto, l4Len)));
    if (c === 0 && ly.proto === IPPROTO_UDP) c = 0xffff;
    put16(out, csumAt, c);
    spans.push(o, hdrLen + chunk);
    pos = o + hdrLen + chunk;
  }
  return pos;
}

/** Bytes {@link segmentFrame} needs in `out` for a frame of `len` bytes (an upper bound). */
export function segmentedSize(len: number, gsoSize: number): number {
  const segments = Math.max(1, Math.ceil(len / Math.max(1, gsoSize)));
  return len + segments * 160;
}
