/**
 * Building blocks for the per-kind codecs: a kind is mostly an attribute table whose names are
 * the public option names, so one table decodes `link.info` and encodes `add`/`set` options.
 * This file holds the table-driven encoder (with validation that names the field), the
 * attribute helpers shared by several kinds (enums, centisecond timers, MACs, VLAN protocols),
 * and `defineKind`, which turns a table into a registered {@link LinkKindCodec}.
 */
import { ValidationError } from '../../../errors';
import { decodeAttrs, encodeValue, type AttrSpec, type AttrType, type Schema } from '../../../wire/attributes';
import { AF_INET, AF_INET6, ETH_P_8021AD, ETH_P_8021Q } from '../../../wire/constants';
import { formatMac, parseIp, parseMac } from '../../../wire/address';
import type { MessageWriter } from '../../../wire/message-writer';
import { registerLinkKind, type EncodeContext, type LinkKindCodec } from './registry';

/** True for `{…}` objects (not arrays, Buffers or null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Throws unless `v` is a plain object; returns it typed. */
export function expectObject(v: unknown, field: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw new ValidationError(field, 'expected an object');
  return v;
}

const INT_RANGES: Partial<Record<AttrType, [number, number]>> = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u16be: [0, 0xffff],
  u32: [0, 0xffff_ffff],
  u32be: [0, 0xffff_ffff],
  s32: [-0x8000_0000, 0x7fff_ffff],
};

/** Checks an integer option against a range; names the field. */
export function checkInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(field, `expected an integer ${min}–${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Checks a boolean option. */
export function checkBool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(field, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a value for an attribute without a custom encoder, by its wire type. */
export function checkValue(spec: AttrSpec, v: unknown, field: string): void {
  if (spec.encode) return; // custom encoders validate their own input
  const range = INT_RANGES[spec.type];
  if (range) {
    checkInt(v, field, range[0], range[1]);
    return;
  }
  switch (spec.type) {
    case 'u64':
      if (typeof v === 'bigint' ? v < 0n || v > 0xffff_ffff_ffff_ffffn : typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new ValidationError(field, `expected a non-negative integer, got ${String(v)}`);
      }
      return;
    case 'bool8':
      checkBool(v, field);
      return;
    case 'flag':
      if (v !== true) throw new ValidationError(field, 'this setting can only be turned on (true)');
      return;
    case 'string':
      if (typeof v !== 'string') throw new ValidationError(field, 'expected a string');
      return;
    case 'binary':
      if (!(v instanceof Uint8Array)) throw new ValidationError(field, 'expected a Buffer');
      return;
    case 'nested':
      expectObject(v, field);
      return;
    default:
      return; // 'ip' and 'mac' are validated by the parser encodeValue calls
  }
}

/** An attribute table plus what may be written and which options are link references. */
export interface OptionTable {
  schema: Schema;
  /** Decoded but never written (counters, kernel state). */
  readOnly?: ReadonlySet<string>;
  /** Options holding a LinkRef, written as a u32 ifindex. */
  linkFields?: ReadonlySet<string>;
}

/**
 * Encodes `opts` (already reshaped to schema names) into the open nest. Every key must be a
 * writable attribute of the table; values are checked by type before anything is sent.
 */
export function encodeOptions(w: MessageWriter, t: OptionTable, opts: Record<string, unknown>, field: string, ctx: EncodeContext): void {
  for (const key of Object.keys(opts)) {
    const value = opts[key];
    if (value === undefined) continue;
    const f = `${field}.${key}`;
    const entry = t.schema.byName.get(key);
    if (!entry) throw new ValidationError(f, `unknown ${field} option ${JSON.stringify(key)}`);
    if (t.readOnly?.has(key)) throw new ValidationError(f, 'is reported by the kernel and cannot be set');
    if (t.linkFields?.has(key)) {
      // null clears a link reference (ifindex 0), e.g. a bridge port's backup port.
      if (value === null) w.u32(entry.type, 0, f);
      else ctx.linkIndex(w, entry.type, value as never, f);
      continue;
    }
    checkValue(entry.spec, value, f);
    encodeValue(w, entry.type, entry.spec, value, f);
  }
}

/** Plain attribute specs by wire type, for the kinds' tables. */
export const u8 = (name: string): AttrSpec => ({ name, type: 'u8' });
export const u16 = (name: string): AttrSpec => ({ name, type: 'u16' });
export const u32 = (name: string): AttrSpec => ({ name, type: 'u32' });
/** A u8 that is 0 or 1, exposed as a boolean. */
export const b8 = (name: string): AttrSpec => ({ name, type: 'bool8' });
/** A zero-length attribute whose presence means true. */
export const flag = (name: string): AttrSpec => ({ name, type: 'flag' });

/** True for a decoded address that is absent or all zeros: the kernel's way of saying "none". */
export function isUnsetAddress(v: unknown): boolean {
  return v === undefined || v === '0.0.0.0' || v === '::';
}

/** Number ⇄ name enum attribute; unknown numbers decode as numbers, numbers are accepted too. */
export function enumAttr(name: string, type: 'u8' | 'u16' | 'u32', names: Record<string, number>): AttrSpec {
  const byNumber = new Map(Object.entries(names).map(([k, v]) => [v, k]));
  const max = INT_RANGES[type]![1];
  const read = type === 'u8' ? (b: Buffer, o: number) => b[o]! : type === 'u16' ? (b: Buffer, o: number) => b.readUInt16LE(o) : (b: Buffer, o: number) => b.readUInt32LE(o);
  const size = type === 'u8' ? 1 : type === 'u16' ? 2 : 4;
  return {
    name,
    type,
    decode: (b, o, l) => {
      if (l < size) return undefined;
      const n = read(b, o);
      return byNumber.get(n) ?? n;
    },
    encode: (w, t, v, field) => {
      let n: number;
      if (typeof v === 'string' && v in names) n = names[v]!;
      else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) n = v;
      else throw new ValidationError(field, `expected one of ${Object.keys(names).map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(v)}`);
      if (type === 'u8') w.u8(t, n, field);
      else if (type === 'u16') w.u16(t, n, field);
      else w.u32(t, n, field);
    },
  };
}

/**
 * A kernel clock_t value (hundredths of a second, USER_HZ) exposed in milliseconds, so
 * `forwardDelayMs: 15000` is what `ip` prints as forward_delay 1500.
 */
export function centisecondsAsMs(name: string, type: 'u32' | 'u64'): AttrSpec {
  return {
    name,
    type,
    decode: (b, o, l) => {
      if (type === 'u32') return l >= 4 ? b.readUInt32LE(o) * 10 : undefined;
      return l >= 8 ? (b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 0x1_0000_0000) * 10 : undefined;
    },
    encode: (w, t, v, field) => {
      const max = type === 'u32' ? 0xffff_ffff * 10 : Number.MAX_SAFE_INTEGER;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
        throw new ValidationError(field, `expected a duration in milliseconds (≥ 0), got ${JSON.stringify(v)}`);
      }
      const cs = Math.round(v / 10);
      if (type === 'u32') w.u32(t, cs, field);
      else w.u64(t, cs, field);
    },
  };
}

/** A 6-byte Ethernet address, validated strictly on the way in. */
export function macAttr(name: string): AttrSpec {
  return {
    name,
    type: 'mac',
    encode: (w, t, v, field) => {
      w.bytes(t, parseMac(v, field), field);
    },
  };
}

/** Ethernet protocol numbers for VLAN tags, named as iproute2 names them. */
export const VLAN_PROTOCOLS: Record<string, number> = { '802.1Q': ETH_P_8021Q, '802.1ad': ETH_P_8021AD };

/** Ethertype → '802.1Q' | '802.1ad' | '0x…'. */
export function vlanProtocolName(proto: number): string {
  if (proto === ETH_P_8021Q) return '802.1Q';
  if (proto === ETH_P_8021AD) return '802.1ad';
  return `0x${proto.toString(16).padStart(4, '0')}`;
}

/** Parses '802.1Q' | '802.1ad' (case-insensitive) or a raw ethertype number. */
export function parseVlanProtocol(v: unknown, field: string): number {
  if (typeof v === 'string') {
    const key = Object.keys(VLAN_PROTOCOLS).find((k) => k.toLowerCase() === v.toLowerCase());
    if (key) return VLAN_PROTOCOLS[key]!;
  }
  if (v === ETH_P_8021Q || v === ETH_P_8021AD) return v;
  throw new ValidationError(field, `expected '802.1Q' or '802.1ad', got ${JSON.stringify(v)}`);
}

/** A big-endian VLAN protocol attribute ⇄ '802.1Q' | '802.1ad'. */
export function vlanProtocolAttr(name: string): AttrSpec {
  return {
    name,
    type: 'u16be',
    decode: (b, o, l) => {
      return l >= 2 ? vlanProtocolName(b.readUInt16BE(o)) : undefined;
    },
    encode: (w, t, v, field) => {
      w.u16be(t, parseVlanProtocol(v, field), field);
    },
  };
}

/** An IP address attribute restricted to one family (IFLA_VXLAN_GROUP is IPv4 only …). */
export function ipAttr(name: string, family: typeof AF_INET | typeof AF_INET6): AttrSpec {
  return {
    name,
    type: 'ip',
    encode: (w, t, v, field) => {
      w.bytes(t, parseIp(v, field, family).bytes, field);
    },
  };
}

/** Decodes struct ifla_bridge_id { u8 prio[2]; u8 addr[6] } as iproute2 prints it ('8000.aa:bb:…'). */
export function bridgeIdAttr(name: string): AttrSpec {
  return {
    name,
    type: 'binary',
    decode: (b, o, l) => (l >= 8 ? `${b.toString('hex', o, o + 2)}.${formatMac(b, o + 2, 6)}` : undefined),
  };
}

/** A VNI (VXLAN / Geneve id): 24 bits. */
export function vniAttr(name: string): AttrSpec {
  return {
    name,
    type: 'u32',
    encode: (w, t, v, field) => {
      w.u32(t, checkInt(v, field, 0, 0xff_ffff), field);
    },
  };
}

/** A UDP port in network byte order, 1–65535 (0 means "default" to the kernel, also allowed). */
export function portAttr(name: string): AttrSpec {
  return {
    name,
    type: 'u16be',
    encode: (w, t, v, field) => {
      w.u16be(t, checkInt(v, field, 0, 0xffff), field);
    },
  };
}

/** How a kind is described to {@link defineKind}. */
export interface KindDefinition {
  kind: string;
  optionsKey?: string;
  needsParent?: boolean;
  needsOptions?: boolean;
  /** IFLA_INFO_DATA table. */
  data?: OptionTable;
  /** Reshapes user options into schema names (aliases, derived attributes); may validate. */
  toWire?(opts: Record<string, unknown>, field: string, ctx: EncodeContext): Record<string, unknown>;
  splitSet?(opts: Record<string, unknown>, field: string): Record<string, unknown>[];
  mergeForSet?(current: Record<string, unknown>, opts: Record<string, unknown>): Record<string, unknown>;
  /** Reshapes decoded attributes into the public info object. */
  fromWire?(info: Record<string, any>): object;
  /** IFLA_INFO_SLAVE_DATA table of this kind's ports. */
  slave?: OptionTable;
  slaveToWire?(opts: Record<string, unknown>, field: string): Record<string, unknown>;
  slaveFromWire?(info: Record<string, any>): object;
}

/** Turns a definition into a codec and registers it. */
export function defineKind(def: KindDefinition): LinkKindCodec {
  const codec: LinkKindCodec = { kind: def.kind };
  if (def.optionsKey) codec.optionsKey = def.optionsKey;
  if (def.needsParent) codec.needsParent = true;
  if (def.needsOptions) codec.needsOptions = true;
  if (def.splitSet) codec.splitSet = def.splitSet;
  if (def.mergeForSet) codec.mergeForSet = def.mergeForSet;
  const data = def.data;
  if (data) {
    codec.decodeData = (buf, off, len) => {
      const raw = decodeAttrs(data.schema, buf, off, off + len);
      return def.fromWire ? def.fromWire(raw) : raw;
    };
    codec.encodeData = (w, opts, field, ctx) => {
      const wire = def.toWire ? def.toWire(expectObject(opts, field), field, ctx) : expectObject(opts, field);
      encodeOptions(w, data, wire, field, ctx);
    };
  }
  const slave = def.slave;
  if (slave) {
    codec.decodeSlaveData = (buf, off, len) => {
      const raw = decodeAttrs(slave.schema, buf, off, off + len);
      return def.slaveFromWire ? def.slaveFromWire(raw) : raw;
    };
    codec.encodeSlaveData = (w, opts, field, ctx) => {
      const wire = def.slaveToWire ? def.slaveToWire(expectObject(opts, field), field) : expectObject(opts, field);
      encodeOptions(w, slave, wire, field, ctx);
    };
  }
  registerLinkKind(codec);
  return codec;
}

/** Builds a read-only name set. */
export const names = (...n: string[]): ReadonlySet<string> => new Set(n);
