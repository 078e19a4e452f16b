/**
 * The virtio-net header a TAP with IFF_VNET_HDR puts in front of every frame
 * (struct virtio_net_hdr, linux/virtio_net.h; little-endian on every Linux host we target,
 * since tun uses the legacy host-endian layout and x86/arm64 are little-endian).
 *
 * It tells the reader that a frame is a GSO super-frame (up to 64 KiB, to be cut into
 * `gsoSize`-byte segments) and/or that its L4 checksum is still to be filled in
 * (`needsCsum`: sum from `csumStart`, store at `csumStart + csumOffset`).
 */
import { ValidationError } from '../errors';

/** Size of struct virtio_net_hdr. */
export const VNET_HDR_MIN = 10;
/** Size of struct virtio_net_hdr_mrg_rxbuf (adds num_buffers): what virtio 1.0 uses. */
export const VNET_HDR_MRG = 12;

/** flags bits. */
export const VNET_HDR_F_NEEDS_CSUM = 1;
export const VNET_HDR_F_DATA_VALID = 2;

/** gso_type values (the ECN bit is separate). */
export const VNET_GSO = { NONE: 0, TCPV4: 1, UDP: 3, TCPV6: 4, UDP_L4: 5, ECN: 0x80 } as const;

/** A GSO type by name. */
export type GsoType = 'none' | 'tcpv4' | 'udp' | 'tcpv6' | 'udp_l4' | `unknown-${number}`;

/** A decoded virtio-net header. */
export interface VnetHeader {
  /** The L4 checksum is partial: sum from csumStart, store at csumStart + csumOffset. */
  needsCsum: boolean;
  /** The sender vouches for the checksum. */
  dataValid: boolean;
  gsoType: GsoType;
  /** TCP with ECN (VIRTIO_NET_HDR_GSO_ECN). */
  ecn: boolean;
  /** Length of the headers (Ethernet + IP + L4): a hint, 0 when unknown. */
  hdrLen: number;
  /** Payload bytes per segment (the MSS for TCP); 0 when not GSO. */
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

// gso_type by name and back, from VNET_GSO (ECN is a flag, not a type).
const GSO_VALUES = new Map<string, number>(
  Object.entries(VNET_GSO)
    .filter(([name]) => name !== 'ECN')
    .map(([name, value]) => [name.toLowerCase(), value]),
);
const GSO_NAMES = new Map<number, GsoType>([...GSO_VALUES].map(([name, value]) => [value, name as GsoType]));

/** Names a raw gso_type (without the ECN bit). */
export function gsoTypeName(raw: number): GsoType {
  return GSO_NAMES.get(raw & 0x7f) ?? `unknown-${raw & 0x7f}`;
}

/**
 * Decodes the header at `off` in `buf`. Bytes past the first 10 (num_buffers of the 12-byte
 * header, and any larger size) are neither written by tun/macvtap nor read by them, so they
 * are not decoded; `size` is accepted for symmetry with {@link encodeVnetHeader}.
 */
export function readVnetHeader(buf: Uint8Array, off: number, _size?: number): VnetHeader {
  const flags = buf[off];
  const gso = buf[off + 1];
  const h: VnetHeader = {
    needsCsum: (flags & VNET_HDR_F_NEEDS_CSUM) !== 0,
    dataValid: (flags & VNET_HDR_F_DATA_VALID) !== 0,
    gsoType: gsoTypeName(gso),
    ecn: (gso & VNET_GSO.ECN) !== 0,
    hdrLen: le16(buf, off + 2),
    gsoSize: le16(buf, off + 4),
    csumStart: le16(buf, off + 6),
    csumOffset: le16(buf, off + 8),
  };
  return h;
}

/** Encodes a header into a new Buffer of `size` bytes (fields not given, and bytes past 10, are zero). */
export function encodeVnetHeader(h: Partial<VnetHeader>, size: number): Buffer {
  const b = Buffer.alloc(size);
  let gso = 0;
  if (h.gsoType !== undefined) {
    const v = GSO_VALUES.get(h.gsoType);
    if (v === undefined) throw new ValidationError('header.gsoType', `unknown GSO type ${String(h.gsoType)}`);
    gso = v;
  }
  if (h.ecn) gso |= VNET_GSO.ECN;
  b[0] = (h.needsCsum ? VNET_HDR_F_NEEDS_CSUM : 0) | (h.dataValid ? VNET_HDR_F_DATA_VALID : 0);
  b[1] = gso;
  const fields: [keyof VnetHeader, number][] = [
    ['hdrLen', 2],
    ['gsoSize', 4],
    ['csumStart', 6],
    ['csumOffset', 8],
  ];
  for (const [name, at] of fields) {
    const v = (h[name] as number | undefined) ?? 0;
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new ValidationError(`header.${name}`, 'must be an integer 0–65535');
    b.writeUInt16LE(v, at);
  }
  return b;
}

function le16(buf: Uint8Array, at: number): number {
  return buf[at] | (buf[at + 1] << 8);
}
