/**
 * Kind 'vxlan': IFLA_VXLAN_*. IPv4 and IPv6 underlays use different attributes for the same
 * thing (GROUP/GROUP6, LOCAL/LOCAL6); the options hide that: `remote` (unicast peer) or `group`
 * (multicast group) and `local` take either family.
 */
import { ValidationError } from '../../../errors';
import { defineSchema, type AttrSpec } from '../../../wire/attributes';
import { AF_INET, AF_INET6 } from '../../../wire/constants';
import { parseIp } from '../../../wire/address';
import type { LinkRef } from '../../request/link-ref';
import { b8, checkInt, defineKind, enumAttr, expectObject, flag, ipAttr, isUnsetAddress, names, portAttr, vniAttr } from './kind-codec';

/** IFLA_VXLAN_* attribute numbers. */
export const IFLA_VXLAN = {
  ID: 1, GROUP: 2, LINK: 3, LOCAL: 4, TTL: 5, TOS: 6, LEARNING: 7, AGEING: 8, LIMIT: 9,
  PORT_RANGE: 10, PROXY: 11, RSC: 12, L2MISS: 13, L3MISS: 14, PORT: 15, GROUP6: 16, LOCAL6: 17,
  UDP_CSUM: 18, UDP_ZERO_CSUM6_TX: 19, UDP_ZERO_CSUM6_RX: 20, REMCSUM_TX: 21, REMCSUM_RX: 22,
  GBP: 23, REMCSUM_NOPARTIAL: 24, COLLECT_METADATA: 25, LABEL: 26, GPE: 27, TTL_INHERIT: 28,
  DF: 29, VNIFILTER: 30, LOCALBYPASS: 31,
} as const;

/** Don't-fragment policy of UDP tunnels (vxlan, geneve). */
export const TUNNEL_DF = { unset: 0, set: 1, inherit: 2 } as const;

/** Options of a VXLAN device. */
export interface VxlanOptions {
  /** VNI, 0–16777215. */
  id: number;
  /** Unicast remote VTEP (IPv4 or IPv6); frames with no FDB entry go there. */
  remote?: string;
  /** Multicast group for BUM traffic (IPv4 or IPv6); needs `dev` as a rule. */
  group?: string;
  /** Source address of the outer header. */
  local?: string;
  /** Underlay device. */
  dev?: LinkRef;
  /** Destination UDP port (kernel default 8472; IANA's is 4789). */
  port?: number;
  /** Source UDP port range. */
  srcPortRange?: { low: number; high: number };
  learning?: boolean;
  ttl?: number;
  ttlInherit?: boolean;
  /** Outer TOS (1 = inherit). */
  tos?: number;
  df?: keyof typeof TUNNEL_DF;
  /** IPv6 flow label. */
  label?: number;
  /** FDB entry lifetime in seconds. */
  ageing?: number;
  /** Maximum FDB entries (0: unlimited). */
  maxAddresses?: number;
  proxy?: boolean;
  rsc?: boolean;
  l2miss?: boolean;
  l3miss?: boolean;
  udpCsum?: boolean;
  udpZeroCsum6Tx?: boolean;
  udpZeroCsum6Rx?: boolean;
  remcsumTx?: boolean;
  remcsumRx?: boolean;
  gbp?: true;
  gpe?: true;
  remcsumNopartial?: true;
  /** Collect metadata (flow-based tunnelling: `ip link … external`). */
  external?: boolean;
  vnifilter?: boolean;
  localbypass?: boolean;
}

/** `link.info` of a VXLAN device (dev as an ifindex). */
export interface VxlanInfo extends Omit<VxlanOptions, 'dev' | 'df'> {
  dev?: number;
  df?: keyof typeof TUNNEL_DF | number;
}


/** struct ifla_vxlan_port_range { be16 low; be16 high }. */
const portRange: AttrSpec = {
  name: 'srcPortRange',
  type: 'binary',
  decode: (b, o, l) => (l >= 4 ? { low: b.readUInt16BE(o), high: b.readUInt16BE(o + 2) } : undefined),
  encode: (w, t, v, field) => {
    const r = expectObject(v, field);
    const low = checkInt(r.low, `${field}.low`, 1, 0xffff);
    const high = checkInt(r.high, `${field}.high`, 1, 0xffff);
    if (high < low) throw new ValidationError(field, `high (${high}) is below low (${low})`);
    const buf = Buffer.alloc(4);
    buf.writeUInt16BE(low, 0);
    buf.writeUInt16BE(high, 2);
    w.bytes(t, buf, field);
  },
};

/** The VXLAN IFLA_INFO_DATA table (wire names; see toWire/fromWire for the public ones). */
export const vxlanSchema = defineSchema('vxlan', {
  [IFLA_VXLAN.ID]: vniAttr('id'),
  [IFLA_VXLAN.GROUP]: ipAttr('group4', AF_INET),
  [IFLA_VXLAN.LINK]: { name: 'dev', type: 'u32' },
  [IFLA_VXLAN.LOCAL]: ipAttr('local4', AF_INET),
  [IFLA_VXLAN.TTL]: { name: 'ttl', type: 'u8' },
  [IFLA_VXLAN.TOS]: { name: 'tos', type: 'u8' },
  [IFLA_VXLAN.LEARNING]: b8('learning'),
  [IFLA_VXLAN.AGEING]: { name: 'ageing', type: 'u32' },
  [IFLA_VXLAN.LIMIT]: { name: 'maxAddresses', type: 'u32' },
  [IFLA_VXLAN.PORT_RANGE]: portRange,
  [IFLA_VXLAN.PROXY]: b8('proxy'),
  [IFLA_VXLAN.RSC]: b8('rsc'),
  [IFLA_VXLAN.L2MISS]: b8('l2miss'),
  [IFLA_VXLAN.L3MISS]: b8('l3miss'),
  [IFLA_VXLAN.PORT]: portAttr('port'),
  [IFLA_VXLAN.GROUP6]: ipAttr('group6', AF_INET6),
  [IFLA_VXLAN.LOCAL6]: ipAttr('local6', AF_INET6),
  [IFLA_VXLAN.UDP_CSUM]: b8('udpCsum'),
  [IFLA_VXLAN.UDP_ZERO_CSUM6_TX]: b8('udpZeroCsum6Tx'),
  [IFLA_VXLAN.UDP_ZERO_CSUM6_RX]: b8('udpZeroCsum6Rx'),
  [IFLA_VXLAN.REMCSUM_TX]: b8('remcsumTx'),
  [IFLA_VXLAN.REMCSUM_RX]: b8('remcsumRx'),
  [IFLA_VXLAN.GBP]: flag('gbp'),
  [IFLA_VXLAN.REMCSUM_NOPARTIAL]: flag('remcsumNopartial'),
  [IFLA_VXLAN.COLLECT_METADATA]: b8('external'),
  [IFLA_VXLAN.LABEL]: { name: 'label', type: 'u32be' },
  [IFLA_VXLAN.GPE]: flag('gpe'),
  [IFLA_VXLAN.TTL_INHERIT]: flag('ttlInherit'),
  [IFLA_VXLAN.DF]: enumAttr('df', 'u8', TUNNEL_DF),
  [IFLA_VXLAN.VNIFILTER]: b8('vnifilter'),
  [IFLA_VXLAN.LOCALBYPASS]: b8('localbypass'),
});

/** True for IPv4 224.0.0.0/4 and IPv6 ff00::/8. */
export function isMulticast(bytes: Buffer): boolean {
  return bytes.length === 4 ? (bytes[0]! & 0xf0) === 0xe0 : bytes[0] === 0xff;
}

/**
 * Maps `remote`/`group`/`local` (either family) onto the family-specific attributes, checking
 * that remote is unicast, group multicast, and every address of one family.
 */
export function tunnelAddresses(
  opts: Record<string, unknown>,
  field: string,
  attrs: { remote4: string; remote6: string; local4?: string; local6?: string },
  allowGroup: boolean,
): Record<string, unknown> {
  const { remote, group, local, ...out } = opts;
  let family: number | undefined;
  const put = (key: 'remote' | 'group' | 'local', v: unknown, name4: string, name6: string) => {
    const f = `${field}.${key}`;
    const ip = parseIp(v, f);
    if (family !== undefined && ip.family !== family) throw new ValidationError(f, 'mixes IPv4 and IPv6 with the other tunnel addresses');
    family = ip.family;
    if (key === 'remote' && isMulticast(ip.bytes)) throw new ValidationError(f, `${String(v)} is a multicast address: use group`);
    if (key === 'group' && !isMulticast(ip.bytes)) throw new ValidationError(f, `${String(v)} is not a multicast address: use remote`);
    out[ip.family === AF_INET ? name4 : name6] = v;
  };
  if (remote !== undefined && group !== undefined) throw new ValidationError(`${field}.group`, 'give either remote or group, not both');
  if (group !== undefined && !allowGroup) throw new ValidationError(`${field}.group`, `unknown ${field} option "group"`);
  if (remote !== undefined) put('remote', remote, attrs.remote4, attrs.remote6);
  if (group !== undefined) put('group', group, attrs.remote4, attrs.remote6);
  if (local !== undefined) {
    if (!attrs.local4 || !attrs.local6) throw new ValidationError(`${field}.local`, `unknown ${field} option "local"`);
    put('local', local, attrs.local4, attrs.local6);
  }
  return out;
}

defineKind({
  kind: 'vxlan',
  optionsKey: 'vxlan',
  needsOptions: true,
  data: { schema: vxlanSchema, linkFields: names('dev') },
  toWire(opts, field, ctx) {
    // A collect-metadata (`external`) device takes its VNIs from metadata or its VNI filter.
    if (ctx.op === 'add' && opts.id === undefined && !opts.external) throw new ValidationError(`${field}.id`, 'a VXLAN device needs an id (VNI, 0–16777215), or external: true');
    if (opts.vnifilter && !opts.external && ctx.op === 'add') throw new ValidationError(`${field}.vnifilter`, 'VNI filtering needs external: true');
    for (const k of ['group4', 'group6', 'local4', 'local6']) {
      if (opts[k] !== undefined) throw new ValidationError(`${field}.${k}`, `unknown ${field} option (use remote, group, local)`);
    }
    return tunnelAddresses(opts, field, { remote4: 'group4', remote6: 'group6', local4: 'local4', local6: 'local6' }, true);
  },
  fromWire(info) {
    const { group4, group6, local4, local6, ...rest } = info;
    const peer = group4 ?? group6;
    if (!isUnsetAddress(peer)) rest[isMulticast(parseIp(peer, 'group').bytes) ? 'group' : 'remote'] = peer;
    const local = local4 ?? local6;
    if (!isUnsetAddress(local)) rest.local = local;
    if (rest.dev === 0) delete rest.dev;
    return rest;
  },
});
