/**
 * Ethernet and 802.1Q frame helpers for the userspace switch: classifying addresses, and
 * building or re-tagging frames.
 * All offsets are absolute positions in the buffer handed in.
 */
import { ValidationError } from '../errors';
import { parseMac } from '../wire/address';
import { ETH_P_8021Q } from '../wire/constants';

/** Bytes of an untagged Ethernet header (dst, src, EtherType). */
export const ETH_HLEN = 14;
/** Bytes an 802.1Q tag adds. */
export const VLAN_HLEN = 4;

/** 01:80:c2:00:00:00–0f: IEEE 802.1D link-local groups (STP, LACP, LLDP …) a bridge must not forward. */
export function isLinkLocalMac(buf: Uint8Array, off: number): boolean {
  return (
    buf[off] === 0x01 && buf[off + 1] === 0x80 && buf[off + 2] === 0xc2 && buf[off + 3] === 0 && buf[off + 4] === 0 && (buf[off + 5] & 0xf0) === 0
  );
}

/** Validates a VLAN id (1–4094). */
export function checkVlanId(vid: unknown, field: string): number {
  if (typeof vid !== 'number' || !Number.isInteger(vid) || vid < 1 || vid > 4094) throw new ValidationError(field, 'VLAN id must be an integer 1–4094');
  return vid;
}

/**
 * Copies the Ethernet frame at [src, src+len) into `out` at `pos`, adding an 802.1Q tag with
 * `vid` (tagOp +1), removing the tag (-1) or as is (0). Returns the new frame's length.
 */
export function copyRetagged(buf: Uint8Array, src: number, len: number, out: Uint8Array, pos: number, tagOp: -1 | 0 | 1, vid: number): number {
  if (tagOp === 0) {
    out.set(buf.subarray(src, src + len), pos);
    return len;
  }
  out.set(buf.subarray(src, src + 12), pos);
  if (tagOp > 0) {
    out[pos + 12] = ETH_P_8021Q >> 8;
    out[pos + 13] = ETH_P_8021Q & 0xff;
    out[pos + 14] = (vid >> 8) & 0x0f;
    out[pos + 15] = vid & 0xff;
    out.set(buf.subarray(src + 12, src + len), pos + 16);
    return len + VLAN_HLEN;
  }
  out.set(buf.subarray(src + 16, src + len), pos + 12);
  return len - VLAN_HLEN;
}

/** Builds an Ethernet frame: dst, src (strings), EtherType, optional 802.1Q vid, payload. */
export function buildFrame(dst: string, src: string, etherType: number, payload: Uint8Array, vid?: number): Buffer {
  const tag = vid === undefined ? 0 : VLAN_HLEN;
  const b = Buffer.alloc(ETH_HLEN + tag + payload.length);
  parseMac(dst, 'dst').copy(b, 0);
  parseMac(src, 'src').copy(b, 6);
  if (vid !== undefined) {
    b.writeUInt16BE(ETH_P_8021Q, 12);
    b.writeUInt16BE(checkVlanId(vid, 'vid'), 14);
  }
  b.writeUInt16BE(etherType, 12 + tag);
  b.set(payload, ETH_HLEN + tag);
  return b;
}
