/**
 * Kind 'vlan' (802.1Q / 802.1ad sub-interfaces): IFLA_VLAN_*.
 * `rt.link.add({ name: 'v0.10', kind: 'vlan', link: 'v0', vlan: { id: 10, protocol: '802.1Q' } })`
 */
import { ValidationError } from '../../../errors';
import { defineSchema, forEachAttr, type AttrSpec } from '../../../wire/attributes';
import { checkBool, checkInt, defineKind, expectObject, vlanProtocolAttr } from './kind-codec';

/** IFLA_VLAN_* attribute numbers. */
export const IFLA_VLAN = { ID: 1, FLAGS: 2, EGRESS_QOS: 3, INGRESS_QOS: 4, PROTOCOL: 5 } as const;
const IFLA_VLAN_QOS_MAPPING = 1;

/** VLAN_FLAG_* bits, by option name. */
export const VLAN_FLAGS = { reorderHdr: 0x1, gvrp: 0x2, looseBinding: 0x4, mvrp: 0x8, bridgeBinding: 0x10 } as const;

/** VLAN device flags; on set only the named ones change. */
export type VlanFlags = { [K in keyof typeof VLAN_FLAGS]?: boolean };

/**
 * A priority mapping. Egress: `from` an skb priority (any u32) `to` a PCP 0–7. Ingress:
 * `from` a received PCP 0–7 `to` an skb priority (any u32).
 */
export interface VlanQosMapping {
  from: number;
  to: number;
}

/** Options of a VLAN device. */
export interface VlanOptions {
  /** VLAN id, 1–4094. */
  id: number;
  /** Tag protocol; '802.1Q' when left out. */
  protocol?: '802.1Q' | '802.1ad';
  flags?: VlanFlags;
  egressQos?: VlanQosMapping[];
  ingressQos?: VlanQosMapping[];
}

/** `link.info` of a VLAN device. */
export interface VlanInfo {
  id: number;
  protocol: string;
  flags: Required<VlanFlags>;
  egressQos?: VlanQosMapping[];
  ingressQos?: VlanQosMapping[];
}

/** Checks a VLAN id (1–4094: 0 and 4095 are reserved by 802.1Q). */
export function checkVlanId(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4094) {
    throw new ValidationError(field, `VLAN id must be an integer 1–4094, got ${JSON.stringify(v)}`);
  }
  return v;
}

const vlanId: AttrSpec = {
  name: 'id',
  type: 'u16',
  encode: (w, t, v, field) => {
    w.u16(t, checkVlanId(v, field), field);
  },
};

/** struct ifla_vlan_flags { u32 flags; u32 mask } ⇄ { reorderHdr: true, … }. */
const vlanFlags: AttrSpec = {
  name: 'flags',
  type: 'binary',
  decode: (b, o, l) => {
    if (l < 4) return undefined;
    const flags = b.readUInt32LE(o);
    const out: Record<string, boolean> = {};
    for (const [n, bit] of Object.entries(VLAN_FLAGS)) out[n] = (flags & bit) !== 0;
    return out;
  },
  encode: (w, t, v, field) => {
    const obj = expectObject(v, field);
    let flags = 0;
    let mask = 0;
    for (const [k, val] of Object.entries(obj)) {
      if (val === undefined) continue;
      const bit = VLAN_FLAGS[k as keyof typeof VLAN_FLAGS];
      if (bit === undefined) throw new ValidationError(`${field}.${k}`, `unknown VLAN flag (known: ${Object.keys(VLAN_FLAGS).join(', ')})`);
      mask |= bit;
      if (checkBool(val, `${field}.${k}`)) flags |= bit;
    }
    const buf = Buffer.alloc(8);
    buf.writeUInt32LE(flags, 0);
    buf.writeUInt32LE(mask, 4);
    w.bytes(t, buf, field);
  },
};

/**
 * IFLA_VLAN_{EGRESS,INGRESS}_QOS: a nest of struct ifla_vlan_qos_mapping { u32 from; u32 to }.
 * The direction decides which side is the 3-bit PCP: egress maps an skb priority (any u32) to
 * a PCP (0–7), ingress maps a received PCP (0–7) to an skb priority (any u32), as
 * `ip link add … egress-qos-map 4:5 ingress-qos-map 5:4` writes them.
 */
function qosAttr(name: 'egressQos' | 'ingressQos'): AttrSpec {
  const pcpSide = name === 'egressQos' ? 'to' : 'from';
  return {
    name,
    type: 'nested',
    decode: (b, o, l) => {
      const out: VlanQosMapping[] = [];
      forEachAttr(b, o, o + l, (type, at, len) => {
        if (type === IFLA_VLAN_QOS_MAPPING && len >= 8) out.push({ from: b.readUInt32LE(at), to: b.readUInt32LE(at + 4) });
      }, `vlan.${name}`);
      return out;
    },
    encode: (w, t, v, field) => {
      if (!Array.isArray(v)) throw new ValidationError(field, 'expected an array of { from, to }');
      w.nestStart(t, field);
      v.forEach((m, i) => {
        const e = expectObject(m, `${field}[${i}]`);
        const buf = Buffer.alloc(8);
        buf.writeUInt32LE(checkInt(e.from, `${field}[${i}].from`, 0, pcpSide === 'from' ? 7 : 0xffff_ffff), 0);
        buf.writeUInt32LE(checkInt(e.to, `${field}[${i}].to`, 0, pcpSide === 'to' ? 7 : 0xffff_ffff), 4);
        w.bytes(IFLA_VLAN_QOS_MAPPING, buf);
      });
      w.nestEnd();
    },
  };
}

/** The VLAN IFLA_INFO_DATA table. */
export const vlanSchema = defineSchema('vlan', {
  [IFLA_VLAN.ID]: vlanId,
  [IFLA_VLAN.FLAGS]: vlanFlags,
  [IFLA_VLAN.EGRESS_QOS]: qosAttr('egressQos'),
  [IFLA_VLAN.INGRESS_QOS]: qosAttr('ingressQos'),
  [IFLA_VLAN.PROTOCOL]: vlanProtocolAttr('protocol'),
});

defineKind({
  kind: 'vlan',
  optionsKey: 'vlan',
  needsParent: true,
  needsOptions: true,
  data: { schema: vlanSchema },
  toWire(opts, field, ctx) {
    if (ctx.op === 'add' && opts.id === undefined) throw new ValidationError(`${field}.id`, 'a VLAN device needs an id (1–4094)');
    return opts;
  },
  fromWire(info) {
    // Empty QoS maps are noise: iproute2 leaves them out too.
    if (info.egressQos?.length === 0) delete info.egressQos;
    if (info.ingressQos?.length === 0) delete info.ingressQos;
    return info;
  },
});
