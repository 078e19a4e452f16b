/**
 * nftables data types: the names libnftables JSON uses (`"type": "ipv4_addr"`), the numbers
 * nft stores in the kernel (NFTA_SET_KEY_TYPE / NFTA_SET_DATA_TYPE, nft's `enum datatypes`),
 * their size and byte order, and the JSON value ⇄ bytes codec for each.
 *
 * Concatenated types (`"type": ["ipv4_addr", "inet_service"]`) get the id nft gives them:
 * each member's id shifted in 6 bits at a time (first member in the highest bits), and each
 * member's bytes padded to 4 (the kernel's 32-bit registers), so the key length is the sum of
 * the padded sizes.
 *
 * Interval sets hold half-open segments [from, to + 1): `toKernelIntervals` turns inclusive
 * ranges into the start / interval-end element pairs the kernel's rbtree set wants, and
 * `fromKernelIntervals` reads them back; `formatInterval` prints a range the way nft does
 * (single value, prefix, or `{"range": [a, b]}`).
 */
import { ValidationError } from '../../errors';
import { formatIPv4, formatIPv6, formatMac, parseIp, parseMac } from '../../wire/address';

/** How a type's values are stored: network order (`big`) or the machine's (`host`, little on x86/arm). */
export type ByteOrder = 'big' | 'host';

/** The representation family of a data type. */
export type TypeBase = 'integer' | 'bitmask' | 'ipv4' | 'ipv6' | 'ether' | 'string' | 'verdict' | 'boolean';

/** One nft data type. */
export interface DataType {
  /** Name as nft prints it (`ipv4_addr`). */
  readonly name: string;
  /** nft's type number (stored in NFTA_SET_KEY_TYPE). */
  readonly id: number;
  /** Size in bytes (0 for verdict). */
  readonly size: number;
  readonly byteorder: ByteOrder;
  readonly base: TypeBase;
  /** Symbolic names of values (or of bits, for bitmasks), printed instead of the number. */
  readonly symbols?: ReadonlyArray<readonly [string, number]>;
}

/** NFT_DATA_VERDICT: the kernel's data type for verdict map values. */
export const NFT_DATA_VERDICT = 0xffffff00;

/** Bits per member in a concatenated type id (nft's TYPE_BITS). */
const TYPE_BITS = 6;

const sym = (entries: Record<string, number>): ReadonlyArray<readonly [string, number]> => Object.entries(entries);

/** IP protocol numbers as Debian's /etc/protocols names them (nft prints getprotobynumber()). */
export const INET_PROTOCOLS = sym({
  ip: 0, icmp: 1, igmp: 2, ggp: 3, ipencap: 4, st: 5, tcp: 6, egp: 8, igp: 9, pup: 12, udp: 17, hmp: 20,
  'xns-idp': 22, rdp: 27, 'iso-tp4': 29, dccp: 33, xtp: 36, ddp: 37, 'idpr-cmtp': 38, ipv6: 41,
  'ipv6-route': 43, 'ipv6-frag': 44, idrp: 45, rsvp: 46, gre: 47, esp: 50, ah: 51, skip: 57,
  'ipv6-icmp': 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, rspf: 73, vmtp: 81, eigrp: 88, ospf: 89,
  'ax.25': 93, ipip: 94, etherip: 97, encap: 98, pim: 103, ipcomp: 108, vrrp: 112, l2tp: 115,
  isis: 124, sctp: 132, 'mobility-header': 135, udplite: 136, manet: 138, hip: 139, shim6: 140,
  wesp: 141, rohc: 142, ethernet: 143,
});

/** Names accepted on input besides the printed ones (nft's parser knows these too). */
const PROTOCOL_ALIASES: Record<string, number> = { icmpv6: 58, hopopt: 0 };

const ETHER_TYPES = sym({ ip: 0x0800, arp: 0x0806, ip6: 0x86dd, vlan: 0x8100, '8021q': 0x8100, '8021ad': 0x88a8 });

const ICMP_TYPES = sym({
  'echo-reply': 0, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8,
  'router-advertisement': 9, 'router-solicitation': 10, 'time-exceeded': 11, 'parameter-problem': 12,
  'timestamp-request': 13, 'timestamp-reply': 14, 'info-request': 15, 'info-reply': 16,
  'address-mask-request': 17, 'address-mask-reply': 18,
});

const ICMPV6_TYPES = sym({
  'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4,
  'echo-request': 128, 'echo-reply': 129, 'mld-listener-query': 130, 'mld-listener-report': 131,
  'mld-listener-done': 132, 'mld-listener-reduction': 132, 'nd-router-solicit': 133, 'nd-router-advert': 134,
  'nd-neighbor-solicit': 135, 'nd-neighbor-advert': 136, 'nd-redirect': 137, 'router-renumbering': 138,
  'ind-neighbor-solicit': 141, 'ind-neighbor-advert': 142, 'mld2-listener-report': 143,
});

const ICMP_CODES = sym({
  'net-unreachable': 0, 'host-unreachable': 1, 'prot-unreachable': 2, 'port-unreachable': 3,
  'frag-needed': 4, 'net-prohibited': 9, 'host-prohibited': 10, 'admin-prohibited': 13,
});
const ICMPV6_CODES = sym({
  'no-route': 0, 'admin-prohibited': 1, 'addr-unreachable': 3, 'port-unreachable': 4, 'policy-fail': 5, 'reject-route': 6,
});
const ICMPX_CODES = sym({ 'no-route': 0, 'port-unreachable': 1, 'host-unreachable': 2, 'admin-prohibited': 3 });

const TCP_FLAGS = sym({ fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ecn: 0x40, cwr: 0x80 });
const CT_STATES = sym({ invalid: 1, established: 2, related: 4, new: 8, untracked: 64 });
const CT_STATUS = sym({ expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 });
const CT_DIRS = sym({ original: 0, reply: 1 });
const CT_EVENTS = sym({ new: 1, related: 2, destroy: 4, reply: 8, assured: 16, protoinfo: 32, helper: 64, mark: 128, seqadj: 256, secmark: 512, label: 1024 });
const PKTTYPES = sym({ host: 0, unicast: 0, broadcast: 1, multicast: 2, other: 3 });
const NFPROTOS = sym({ ipv4: 2, ipv6: 10 });
const ARP_OPS = sym({ request: 1, reply: 2, 'rrequest': 3, 'rreply': 4, 'inrequest': 8, 'inreply': 9, 'nak': 10 });
const ARPHRD = sym({ ether: 1, ppp: 512, ipip: 768, ipip6: 769, loopback: 772, sit: 776, ipgre: 778 });
const FIB_ADDRTYPES = sym({
  unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8,
});
const DSCP = sym({
  cs0: 0x00, cs1: 0x08, cs2: 0x10, cs3: 0x18, cs4: 0x20, cs5: 0x28, cs6: 0x30, cs7: 0x38, df: 0x00, be: 0x00, lephb: 0x01,
  af11: 0x0a, af12: 0x0c, af13: 0x0e, af21: 0x12, af22: 0x14, af23: 0x16, af31: 0x1a, af32: 0x1c, af33: 0x1e,
  af41: 0x22, af42: 0x24, af43: 0x26, va: 0x2c, ef: 0x2e,
});
const ECN = sym({ 'not-ect': 0, ect1: 1, ect0: 2, ce: 3 });
const DAYS = sym({ Sunday: 0, Monday: 1, Tuesday: 2, Wednesday: 3, Thursday: 4, Friday: 5, Saturday: 6 });

const T = (name: string, id: number, size: number, byteorder: ByteOrder, base: TypeBase, symbols?: DataType['symbols']): DataType =>
  ({ name, id, size, byteorder, base, ...(symbols ? { symbols } : {}) });

/** Every data type this library knows, by nft's number. */
export const DATA_TYPES: readonly DataType[] = [
  T('verdict', 1, 0, 'host', 'verdict'),
  T('nf_proto', 2, 1, 'host', 'integer', NFPROTOS),
  T('bitmask', 3, 4, 'host', 'bitmask'),
  T('integer', 4, 4, 'host', 'integer'),
  T('string', 5, 16, 'host', 'string'),
  T('ll_addr', 6, 6, 'big', 'ether'),
  T('ipv4_addr', 7, 4, 'big', 'ipv4'),
  T('ipv6_addr', 8, 16, 'big', 'ipv6'),
  T('ether_addr', 9, 6, 'big', 'ether'),
  T('ether_type', 10, 2, 'big', 'integer', ETHER_TYPES),
  T('arp_op', 11, 2, 'big', 'integer', ARP_OPS),
  T('inet_proto', 12, 1, 'big', 'integer', INET_PROTOCOLS),
  T('inet_service', 13, 2, 'big', 'integer'),
  T('icmp_type', 14, 1, 'big', 'integer', ICMP_TYPES),
  T('tcp_flag', 15, 1, 'big', 'bitmask', TCP_FLAGS),
  T('dccp_pkttype', 16, 1, 'big', 'integer'),
  T('mh_type', 17, 1, 'big', 'integer'),
  T('time', 18, 8, 'host', 'integer'),
  T('mark', 19, 4, 'host', 'integer'),
  T('iface_index', 20, 4, 'host', 'integer'),
  T('iface_type', 21, 2, 'host', 'integer', ARPHRD),
  T('realm', 22, 4, 'host', 'integer'),
  T('classid', 23, 4, 'host', 'integer'),
  T('uid', 24, 4, 'host', 'integer'),
  T('gid', 25, 4, 'host', 'integer'),
  T('ct_state', 26, 4, 'host', 'bitmask', CT_STATES),
  T('ct_dir', 27, 1, 'host', 'integer', CT_DIRS),
  T('ct_status', 28, 4, 'host', 'bitmask', CT_STATUS),
  T('icmpv6_type', 29, 1, 'big', 'integer', ICMPV6_TYPES),
  T('ct_label', 30, 16, 'host', 'bitmask'),
  T('pkt_type', 31, 1, 'host', 'integer', PKTTYPES),
  T('icmp_code', 32, 1, 'big', 'integer', ICMP_CODES),
  T('icmpv6_code', 33, 1, 'big', 'integer', ICMPV6_CODES),
  T('icmpx_code', 34, 1, 'big', 'integer', ICMPX_CODES),
  T('devgroup', 35, 4, 'host', 'integer'),
  T('dscp', 36, 1, 'big', 'integer', DSCP),
  T('ecn', 37, 1, 'big', 'integer', ECN),
  T('fib_addrtype', 38, 4, 'host', 'integer', FIB_ADDRTYPES),
  T('boolean', 39, 1, 'host', 'boolean'),
  T('ct_event', 40, 4, 'host', 'bitmask', CT_EVENTS),
  T('ifname', 41, 16, 'host', 'string'),
  T('igmp_type', 42, 1, 'big', 'integer'),
  T('time', 43, 8, 'host', 'integer'),
  T('hour', 44, 4, 'host', 'integer'),
  T('day', 45, 1, 'host', 'integer', DAYS),
  T('cgroupsv2', 46, 8, 'host', 'integer'),
];

const byName = new Map<string, DataType>();
const byId = new Map<number, DataType>();
for (const t of DATA_TYPES) {
  if (!byName.has(t.name)) byName.set(t.name, t);
  if (!byId.has(t.id)) byId.set(t.id, t);
}
// nft's alternative spellings.
byName.set('ipv4_address', byName.get('ipv4_addr')!);
byName.set('ipv6_address', byName.get('ipv6_addr')!);

/** Looks a data type up by its nft name; undefined when unknown. */
export function typeByName(name: string): DataType | undefined {
  return byName.get(name);
}

/** Looks a data type up by nft's number; undefined when unknown. */
export function typeById(id: number): DataType | undefined {
  return byId.get(id);
}

/** A set key or map data type as the kernel sees it: one type or a concatenation. */
export interface ResolvedType {
  /** JSON spelling: a name, or the list of names of a concatenation. */
  json: string | string[];
  /** The members (one for a plain type). */
  fields: readonly DataType[];
  /** nft's type number: the member's id, or the shifted ids of a concatenation. */
  id: number;
  /** NFTA_SET_KEY_TYPE / NFTA_SET_DATA_TYPE value (NFT_DATA_VERDICT for verdicts). */
  kernelId: number;
  /** Key length in bytes: member size, or the sum of the members' sizes padded to 4. */
  len: number;
  concat: boolean;
}

/** Register bytes a value of `size` bytes takes inside a concatenation. */
export const pad4 = (n: number): number => (n + 3) & ~3;

function fromFields(fields: DataType[], concat: boolean): ResolvedType {
  let id = 0;
  let len = 0;
  for (const f of fields) {
    id = id * (1 << TYPE_BITS) + f.id;
    len += concat ? pad4(f.size) : f.size;
  }
  const only = fields[0]!;
  return {
    json: concat ? fields.map((f) => f.name) : only.name,
    fields,
    id,
    kernelId: !concat && only.base === 'verdict' ? NFT_DATA_VERDICT : id,
    len,
    concat,
  };
}

/** `"ipv4_addr"` or `["ipv4_addr", "inet_service"]` → the resolved type; ValidationError naming `path` otherwise. */
export function resolveType(json: unknown, path: string): ResolvedType {
  if (typeof json === 'string') {
    const t = byName.get(json);
    if (!t) throw new ValidationError(path, `unknown data type ${JSON.stringify(json)}`);
    return fromFields([t], false);
  }
  if (Array.isArray(json) && json.length >= 1) {
    const fields = json.map((n, i) => {
      const t = typeof n === 'string' ? byName.get(n) : undefined;
      if (!t || t.base === 'verdict') throw new ValidationError(`${path}[${i}]`, `unknown data type ${JSON.stringify(n)}`);
      return t;
    });
    if (fields.length === 1) return fromFields(fields, false);
    if (fields.length * TYPE_BITS > 32) throw new ValidationError(path, 'too many concatenated types (at most 5)');
    return fromFields(fields, true);
  }
  throw new ValidationError(path, 'expected a data type name or a list of them');
}

/**
 * The type the kernel reports (NFTA_SET_KEY_TYPE, with its length) → resolved type, or
 * undefined when a member is unknown. A length larger than one member's size means a
 * concatenation (nft's ids never exceed 6 bits, so the split is unambiguous).
 */
export function resolveTypeId(kernelId: number, len?: number): ResolvedType | undefined {
  if (kernelId === NFT_DATA_VERDICT) return fromFields([byId.get(1)!], false);
  const ids: number[] = [];
  let id = kernelId >>> 0;
  while (id > 0) {
    ids.unshift(id % (1 << TYPE_BITS));
    id = Math.floor(id / (1 << TYPE_BITS));
  }
  if (ids.length === 0) return undefined;
  const fields = ids.map((i) => byId.get(i));
  if (fields.some((f) => !f)) return undefined;
  if (fields.length === 1) {
    const t = fields[0]!;
    // A plain integer/string key may be wider or narrower than the default (typeof keys).
    if (len !== undefined && len !== t.size && t.base !== 'verdict') return { ...fromFields([t], false), len };
    return fromFields([t], false);
  }
  return fromFields(fields as DataType[], true);
}

// ---------------------------------------------------------------- values

function symbolValue(t: DataType, name: string): number | undefined {
  if (t.symbols) for (const [n, v] of t.symbols) if (n === name) return v;
  if (t.name === 'inet_proto') return PROTOCOL_ALIASES[name];
  return undefined;
}

function symbolName(t: DataType, value: number): string | undefined {
  if (t.symbols) for (const [n, v] of t.symbols) if (v === value) return n;
  return undefined;
}

/** Parses an integer given as a JSON number or a decimal/hex string; undefined when neither. */
function integerOf(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? BigInt(v) : undefined;
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) return BigInt(v);
  return undefined;
}

function writeInt(value: bigint, size: number, order: ByteOrder, path: string, typeName: string): Buffer {
  if (value >= 1n << BigInt(size * 8)) throw new ValidationError(path, `value ${value} does not fit in ${typeName} (${size} bytes)`);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) {
    const byte = Number((value >> BigInt(8 * i)) & 0xffn);
    out[order === 'big' ? size - 1 - i : i] = byte;
  }
  return out;
}

/** Reads an unsigned integer of buf's length (≤ 6 bytes) in the given byte order, as a number. */
export function readUint(buf: Uint8Array, order: ByteOrder): number {
  let v = 0;
  const n = buf.length;
  for (let i = 0; i < n; i++) v = v * 256 + buf[order === 'big' ? i : n - 1 - i]!;
  return v;
}

/** Reads an unsigned integer of buf's length in the given byte order. */
export function readInt(buf: Uint8Array, order: ByteOrder): bigint {
  if (buf.length <= 6) return BigInt(readUint(buf, order));
  let v = 0n;
  const n = buf.length;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(buf[order === 'big' ? i : n - 1 - i]!);
  return v;
}

const toJsonNumber = (v: bigint): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`);

/** Parses an integer-valued JSON (number, numeric string, symbol, or a list of bits for bitmasks). */
export function integerValue(t: DataType, json: unknown, path: string): bigint {
  const direct = integerOf(json);
  if (direct !== undefined) return direct;
  if (typeof json === 'string') {
    const v = symbolValue(t, json);
    if (v !== undefined) return BigInt(v);
    if (t.name === 'inet_service') {
      const port = SERVICES[json];
      if (port !== undefined) return BigInt(port);
    }
    if (t.name === 'classid') {
      if (json === 'root') return 0xffffffffn;
      if (json === 'none') return 0n;
      const m = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(json);
      if (m) return (BigInt(parseInt(m[1]!, 16)) << 16n) | BigInt(parseInt(m[2]!, 16));
    }
    if (t.name === 'day') {
      const day = DAYS.find(([n]) => n.toLowerCase().startsWith(json.toLowerCase()));
      if (day && json.length >= 3) return BigInt(day[1]);
    }
    throw new ValidationError(path, `${JSON.stringify(json)} is not a valid ${t.name}`);
  }
  if (t.base === 'bitmask' && Array.isArray(json)) {
    let acc = 0n;
    json.forEach((bit, i) => { acc |= integerValue(t, bit, `${path}[${i}]`); });
    return acc;
  }
  if (t.base === 'boolean' && typeof json === 'boolean') return json ? 1n : 0n;
  throw new ValidationError(path, `expected a ${t.name} value`);
}

/**
 * JSON value → bytes of one data type. `order` and `size` override the type's own (a payload
 * field is network order and may be narrower or wider than the type's default).
 */
export function encodeValue(t: DataType, json: unknown, path: string, order: ByteOrder = t.byteorder, size: number = t.size): Buffer {
  switch (t.base) {
    case 'ipv4': {
      const b = parseIp(json, path, 2).bytes;
      return Buffer.from(b);
    }
    case 'ipv6': return Buffer.from(parseIp(json, path, 10).bytes);
    case 'ether': return Buffer.from(parseMac(json, path));
    case 'string': {
      if (typeof json !== 'string') throw new ValidationError(path, `expected a ${t.name} string`);
      const bytes = Buffer.from(json, 'utf8');
      if (bytes.length >= size) throw new ValidationError(path, `${JSON.stringify(json)} is longer than ${size - 1} bytes`);
      const out = Buffer.alloc(size);
      bytes.copy(out);
      return out;
    }
    case 'verdict': throw new ValidationError(path, 'a verdict is not a value here');
    default: return writeInt(integerValue(t, json, path), size, order, path, t.name);
  }
}

/** Bytes of one data type → its JSON value as nft prints it. */
export function decodeValue(t: DataType, bytes: Uint8Array, order: ByteOrder = t.byteorder): unknown {
  switch (t.base) {
    case 'ipv4': return bytes.length === 4 ? formatIPv4(bytes, 0) : rawHex(bytes);
    case 'ipv6': return bytes.length === 16 ? formatIPv6(bytes, 0) : rawHex(bytes);
    case 'ether': return formatMac(bytes, 0, bytes.length);
    case 'string': {
      let end = 0;
      while (end < bytes.length && bytes[end] !== 0) end++;
      return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
    }
    case 'boolean': return readInt(bytes, order) !== 0n;
    case 'bitmask': return bitmaskJson(t, readInt(bytes, order));
    default: {
      const v = readInt(bytes, order);
      if (t.name === 'inet_service' || t.name === 'mark') return toJsonNumber(v);
      const name = v < 0x1_0000_0000n ? symbolName(t, Number(v)) : undefined;
      return name ?? toJsonNumber(v);
    }
  }
}

/** A bitmask value as nft prints it: one name, a list of names, or the number when bits have no name. */
export function bitmaskJson(t: DataType, v: bigint): unknown {
  if (!t.symbols || v === 0n) {
    const name = v === 0n ? symbolName(t, 0) : undefined;
    return name ?? toJsonNumber(v);
  }
  const names: string[] = [];
  let rest = v;
  for (const [n, bit] of t.symbols) {
    const b = BigInt(bit);
    if (b !== 0n && (rest & b) === b) {
      names.push(n);
      rest &= ~b;
    }
  }
  if (rest !== 0n) return toJsonNumber(v);
  return names.length === 1 ? names[0] : names;
}

function rawHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/** Well-known service names nft resolves through getservbyname (ports print as numbers). */
const SERVICES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, bootps: 67, bootpc: 68, tftp: 69, http: 80, pop3: 110,
  ntp: 123, imap: 143, snmp: 161, ldap: 389, https: 443, submission: 587, imaps: 993, pop3s: 995,
};

// ---------------------------------------------------------------- keys (plain or concatenated)

/**
 * A key value of a resolved type → its bytes: a plain value, or `{"concat": [...]}` (a bare
 * list is accepted too) with each member padded to 4 bytes.
 */
export function encodeKey(rt: ResolvedType, json: unknown, path: string, order?: ByteOrder): Buffer {
  if (!rt.concat) return encodeValue(rt.fields[0]!, json, path, order ?? rt.fields[0]!.byteorder, rt.len);
  const parts = concatParts(json, rt.fields.length, path);
  const out = Buffer.alloc(rt.len);
  let off = 0;
  rt.fields.forEach((f, i) => {
    encodeValue(f, parts[i], `${path}.concat[${i}]`).copy(out, off);
    off += pad4(f.size);
  });
  return out;
}

function concatParts(json: unknown, n: number, path: string): unknown[] {
  const list = json && typeof json === 'object' && !Array.isArray(json) && 'concat' in json ? (json as { concat: unknown }).concat : json;
  if (!Array.isArray(list) || list.length !== n) throw new ValidationError(path, `expected {"concat": [...]} of ${n} values`);
  return list;
}

/** Key bytes → JSON (`{"concat": [...]}` for concatenations). */
export function decodeKey(rt: ResolvedType, bytes: Uint8Array, order?: ByteOrder): unknown {
  if (!rt.concat) return decodeValue(rt.fields[0]!, bytes, order ?? rt.fields[0]!.byteorder);
  const out: unknown[] = [];
  let off = 0;
  for (const f of rt.fields) {
    out.push(decodeValue(f, bytes.subarray(off, off + f.size)));
    off += pad4(f.size);
  }
  return { concat: out };
}

// ---------------------------------------------------------------- intervals

/** An inclusive range of key bytes (same length, big-endian comparable). */
export interface Interval {
  from: Buffer;
  to: Buffer;
}

/** The last value of a prefix: addr with the bits past `len` set. */
function prefixEnd(addr: Buffer, len: number): Buffer {
  const out = Buffer.from(addr);
  for (let bit = len; bit < out.length * 8; bit++) out[bit >> 3]! |= 0x80 >> (bit & 7);
  return out;
}

function prefixStart(addr: Buffer, len: number): Buffer {
  const out = Buffer.from(addr);
  for (let bit = len; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/**
 * A JSON element of an interval set → inclusive byte range: a value, `{"prefix": {addr, len}}`
 * or `{"range": [a, b]}`. Only network-order types can be intervals here (the kernel compares
 * bytes), which covers addresses, ports and protocol numbers.
 */
export function encodeInterval(rt: ResolvedType, json: unknown, path: string, order?: ByteOrder): Interval {
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if ('prefix' in o) {
      const p = o.prefix as Record<string, unknown> | null;
      if (!p || typeof p !== 'object') throw new ValidationError(`${path}.prefix`, 'expected {"addr", "len"}');
      const addr = encodeKey(rt, p.addr, `${path}.prefix.addr`, order);
      const len = p.len;
      if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > addr.length * 8) {
        throw new ValidationError(`${path}.prefix.len`, `expected a prefix length 0–${addr.length * 8}`);
      }
      return { from: prefixStart(addr, len), to: prefixEnd(addr, len) };
    }
    if ('range' in o) {
      const r = o.range;
      if (!Array.isArray(r) || r.length !== 2) throw new ValidationError(`${path}.range`, 'expected [low, high]');
      const from = encodeKey(rt, r[0], `${path}.range[0]`, order);
      const to = encodeKey(rt, r[1], `${path}.range[1]`, order);
      if (Buffer.compare(from, to) > 0) throw new ValidationError(`${path}.range`, 'range low end is above its high end');
      return { from, to };
    }
  }
  const v = encodeKey(rt, json, path, order);
  return { from: v, to: v };
}

/** The bytes one above `b` (big-endian); null when b is all ones (the range reaches the end). */
export function increment(b: Buffer): Buffer | null {
  const out = Buffer.from(b);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]!++;
      return out;
    }
    out[i] = 0;
  }
  return null;
}

/** The bytes one below `b` (b not all zeros). */
export function decrement(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0) {
      out[i]!--;
      return out;
    }
    out[i] = 0xff;
  }
  return out;
}

/** NFT_SET_ELEM_INTERVAL_END: the element closes a segment. */
export const NFT_SET_ELEM_INTERVAL_END = 1;

/** One element as the kernel stores it in an interval set. */
export interface KernelIntervalElement {
  key: Buffer;
  /** NFT_SET_ELEM_INTERVAL_END for the element that ends a segment. */
  flags: number;
  /** Index of the input interval this element belongs to (for its data, timeout, comment). */
  index: number;
}

/**
 * Inclusive ranges → the kernel's rbtree elements: a start element per range and an
 * interval-end element at (to + 1), omitted when the range reaches the top of the key space.
 * Overlapping ranges are refused (nft merges only with `auto-merge`); the output is sorted.
 */
export function toKernelIntervals(ranges: readonly Interval[], path: string): KernelIntervalElement[] {
  const order = ranges.map((r, index) => ({ r, index })).sort((a, b) => Buffer.compare(a.r.from, b.r.from));
  const out: KernelIntervalElement[] = [];
  for (let i = 0; i < order.length; i++) {
    const { r, index } = order[i]!;
    if (i > 0 && Buffer.compare(order[i - 1]!.r.to, r.from) >= 0) {
      throw new ValidationError(`${path}[${index}]`, 'interval overlaps another element');
    }
    const last = out[out.length - 1];
    // A segment ending right where this starts: the start alone marks the boundary.
    if (last && last.flags === NFT_SET_ELEM_INTERVAL_END && last.key.equals(r.from)) out.pop();
    out.push({ key: r.from, flags: 0, index });
    const end = increment(r.to);
    if (end) out.push({ key: end, flags: NFT_SET_ELEM_INTERVAL_END, index });
  }
  return out;
}

/**
 * Interval-set elements as the kernel lists them (any order) → inclusive ranges, each with the
 * index of its start element. End markers with no start (nft's leading zero marker) are dropped.
 */
export function fromKernelIntervals(elems: readonly { key: Buffer; flags: number }[]): { interval: Interval; index: number }[] {
  const sorted = elems.map((e, index) => ({ e, index })).sort((a, b) => Buffer.compare(a.e.key, b.e.key) || (a.e.flags & 1) - (b.e.flags & 1));
  const out: { interval: Interval; index: number }[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const { e, index } = sorted[i]!;
    if (e.flags & NFT_SET_ELEM_INTERVAL_END) continue;
    // The next element (an end marker, or the start of an adjacent segment) closes this one;
    // none means the segment runs to the top of the key space.
    const next = sorted[i + 1];
    const to = next ? decrement(next.e.key) : Buffer.alloc(e.key.length, 0xff);
    out.push({ interval: { from: e.key, to }, index });
  }
  return out;
}

/** The prefix length when [from, to] is exactly one prefix, else -1. */
export function prefixLength(from: Uint8Array, to: Uint8Array): number {
  const bits = from.length * 8;
  let len = 0;
  while (len < bits && ((from[len >> 3]! ^ to[len >> 3]!) & (0x80 >> (len & 7))) === 0) len++;
  for (let bit = len; bit < bits; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((from[bit >> 3]! & m) !== 0 || (to[bit >> 3]! & m) === 0) return -1;
  }
  return len;
}

/**
 * An inclusive range as nft prints an interval element: the value when from = to, a prefix
 * for address types when the range is one, else `{"range": [a, b]}`.
 */
export function formatInterval(rt: ResolvedType, from: Uint8Array, to: Uint8Array, order?: ByteOrder): unknown {
  if (Buffer.compare(Buffer.from(from), Buffer.from(to)) === 0) return decodeKey(rt, from, order);
  const t = rt.fields[0]!;
  if (!rt.concat && (t.base === 'ipv4' || t.base === 'ipv6')) {
    const len = prefixLength(from, to);
    if (len >= 0) return { prefix: { addr: decodeKey(rt, from, order), len } };
  }
  return { range: [decodeKey(rt, from, order), decodeKey(rt, to, order)] };
}

// ---------------------------------------------------------------- verdicts

/** Kernel verdict codes (NF_* and NFT_* verdicts). */
export const VERDICT_CODES: Readonly<Record<string, number>> = {
  drop: 0, accept: 1, queue: 3, continue: -1, break: -2, jump: -3, goto: -4, return: -5,
};

/** A verdict as the kernel holds it: code and, for jump/goto, the chain. */
export interface Verdict {
  code: number;
  chain?: string;
}

const VERDICT_NAMES = new Set(['accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue']);

/** True for the JSON keys that are verdict statements (`accept`, `jump` …). */
export function isVerdictKey(key: string): boolean {
  return VERDICT_NAMES.has(key);
}

/** `{"accept": null}` / `{"jump": {"target": "c"}}` → verdict; ValidationError naming `path` otherwise. */
export function encodeVerdict(json: unknown, path: string): Verdict {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ValidationError(path, 'expected a verdict object');
  const keys = Object.keys(json);
  const key = keys[0];
  if (keys.length !== 1 || !key || !VERDICT_NAMES.has(key) || key === 'queue') {
    throw new ValidationError(path, `expected one of accept, drop, continue, return, jump, goto; got ${JSON.stringify(keys.join(','))}`);
  }
  const code = VERDICT_CODES[key]!;
  const arg = (json as Record<string, unknown>)[key];
  if (key === 'jump' || key === 'goto') {
    const target = arg && typeof arg === 'object' ? (arg as Record<string, unknown>).target : undefined;
    if (typeof target !== 'string' || !target) throw new ValidationError(`${path}.${key}.target`, 'expected a chain name');
    return { code, chain: target };
  }
  if (arg !== null && arg !== undefined) throw new ValidationError(`${path}.${key}`, 'expected null');
  return { code };
}

/** Verdict → JSON as nft prints it (`{"accept": null}`, `{"jump": {"target": "c"}}`). */
export function verdictJson(v: Verdict): Record<string, unknown> {
  // A switch with literal objects: listing prints a verdict for nearly every rule.
  switch (v.code) {
    case 0: return { drop: null };
    case 1: return { accept: null };
    case 3: return { queue: null };
    case -1: return { continue: null };
    case -2: return { break: null };
    case -3: return { jump: { target: v.chain ?? '' } };
    case -4: return { goto: { target: v.chain ?? '' } };
    case -5: return { return: null };
    default: return { verdict: v.code };
  }
}
