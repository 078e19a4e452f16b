/**
 * Kind 'vrf': an L3 master device bound to a routing table (IFLA_VRF_TABLE). Its ports report
 * the table too (IFLA_VRF_PORT_TABLE in their slave data).
 * `rt.link.add({ name: 'vrf-blue', kind: 'vrf', vrf: { table: 10 } })`
 */
import { ValidationError } from '../../../errors';
import { defineSchema } from '../../../wire/attributes';
import { defineKind, names } from './kind-codec';

/** IFLA_VRF_* and IFLA_VRF_PORT_* attribute numbers. */
export const IFLA_VRF = { TABLE: 1 } as const;
export const IFLA_VRF_PORT = { TABLE: 1 } as const;

/** Options of a VRF device. */
export interface VrfOptions {
  /** Routing table id (1–4294967295). */
  table: number;
}

/** `link.info` of a VRF device. */
export interface VrfInfo {
  table: number;
}

/** `link.slaveInfo` of a VRF port. */
export interface VrfPortInfo {
  table: number;
}

/** The VRF IFLA_INFO_DATA table. */
export const vrfSchema = defineSchema('vrf', { [IFLA_VRF.TABLE]: { name: 'table', type: 'u32' } });
/** The VRF port IFLA_INFO_SLAVE_DATA table. */
export const vrfPortSchema = defineSchema('vrfPort', { [IFLA_VRF_PORT.TABLE]: { name: 'table', type: 'u32' } });

defineKind({
  kind: 'vrf',
  optionsKey: 'vrf',
  needsOptions: true,
  data: { schema: vrfSchema },
  toWire(opts, field, ctx) {
    if (ctx.op === 'add' && opts.table === undefined) throw new ValidationError(`${field}.table`, 'a VRF device needs a routing table id');
    if (opts.table === 0) throw new ValidationError(`${field}.table`, 'table 0 is not a valid VRF table');
    return opts;
  },
  slave: { schema: vrfPortSchema, readOnly: names('table') },
});
