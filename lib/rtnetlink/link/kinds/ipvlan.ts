/**
 * Kinds 'ipvlan' and 'ipvtap': IFLA_IPVLAN_*, options under `ipvlan`.
 * `mode` is the layer the slaves work at (l2, l3, l3s); `isolation` how they reach each other
 * (bridge: directly; private: never; vepa: through the external switch).
 */
import { defineSchema } from '../../../wire/attributes';
import { defineKind, enumAttr, type KindDefinition } from './kind-codec';

/** IFLA_IPVLAN_* attribute numbers. */
export const IFLA_IPVLAN = { MODE: 1, FLAGS: 2 } as const;

/** IPVLAN_MODE_* by name. */
export const IPVLAN_MODES = { l2: 0, l3: 1, l3s: 2 } as const;
/** IFLA_IPVLAN_FLAGS values by name (IPVLAN_F_PRIVATE, IPVLAN_F_VEPA; none is bridge). */
export const IPVLAN_ISOLATION = { bridge: 0, private: 1, vepa: 2 } as const;

/** Options of an ipvlan / ipvtap device. */
export interface IpvlanOptions {
  mode?: keyof typeof IPVLAN_MODES;
  isolation?: keyof typeof IPVLAN_ISOLATION;
}

/** `link.info` of an ipvlan / ipvtap device. */
export interface IpvlanInfo {
  mode: keyof typeof IPVLAN_MODES | number;
  isolation: keyof typeof IPVLAN_ISOLATION | number;
}

/** The ipvlan IFLA_INFO_DATA table. */
export const ipvlanSchema = defineSchema('ipvlan', {
  [IFLA_IPVLAN.MODE]: enumAttr('mode', 'u16', IPVLAN_MODES),
  [IFLA_IPVLAN.FLAGS]: enumAttr('isolation', 'u16', IPVLAN_ISOLATION),
});

const definition = (kind: 'ipvlan' | 'ipvtap'): KindDefinition => ({
  kind,
  optionsKey: 'ipvlan',
  needsParent: true,
  data: { schema: ipvlanSchema },
});

defineKind(definition('ipvlan'));
defineKind(definition('ipvtap'));
