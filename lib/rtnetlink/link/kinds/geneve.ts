/**
 * Kind 'geneve': IFLA_GENEVE_*. Like vxlan, `remote` takes either family and is mapped onto
 * IFLA_GENEVE_REMOTE or IFLA_GENEVE_REMOTE6.
 */
import { ValidationError } from '../../../errors';
import { defineSchema } from '../../../wire/attributes';
import { AF_INET, AF_INET6 } from '../../../wire/constants';
import { b8, defineKind, enumAttr, ipAttr, isUnsetAddress, portAttr, vniAttr } from './kind-codec';
import { TUNNEL_DF, tunnelAddresses } from './vxlan';

/** IFLA_GENEVE_* attribute numbers. */
export const IFLA_GENEVE = {
  ID: 1, REMOTE: 2, TTL: 3, TOS: 4, PORT: 5, COLLECT_METADATA: 6, REMOTE6: 7, UDP_CSUM: 8,
  UDP_ZERO_CSUM6_TX: 9, UDP_ZERO_CSUM6_RX: 10, LABEL: 11, TTL_INHERIT: 12, DF: 13,
  INNER_PROTO_INHERIT: 14,
} as const;

/** Options of a Geneve device. */
export interface GeneveOptions {
  /** VNI, 0–16777215. */
  id?: number;
  /** Remote tunnel endpoint (IPv4 or IPv6); required unless `external`. */
  remote?: string;
  ttl?: number;
  ttlInherit?: boolean;
  tos?: number;
  /** Destination UDP port (default 6081). */
  port?: number;
  /** Flow-based (collect metadata) device. */
  external?: true;
  udpCsum?: boolean;
  udpZeroCsum6Tx?: boolean;
  udpZeroCsum6Rx?: boolean;
  label?: number;
  df?: keyof typeof TUNNEL_DF;
  innerProtoInherit?: true;
}

/** `link.info` of a Geneve device. */
export interface GeneveInfo extends Omit<GeneveOptions, 'df'> {
  df?: keyof typeof TUNNEL_DF | number;
}


/** The Geneve IFLA_INFO_DATA table. */
export const geneveSchema = defineSchema('geneve', {
  [IFLA_GENEVE.ID]: vniAttr('id'),
  [IFLA_GENEVE.REMOTE]: ipAttr('remote4', AF_INET),
  [IFLA_GENEVE.TTL]: { name: 'ttl', type: 'u8' },
  [IFLA_GENEVE.TOS]: { name: 'tos', type: 'u8' },
  [IFLA_GENEVE.PORT]: portAttr('port'),
  [IFLA_GENEVE.COLLECT_METADATA]: { name: 'external', type: 'flag' },
  [IFLA_GENEVE.REMOTE6]: ipAttr('remote6', AF_INET6),
  [IFLA_GENEVE.UDP_CSUM]: b8('udpCsum'),
  [IFLA_GENEVE.UDP_ZERO_CSUM6_TX]: b8('udpZeroCsum6Tx'),
  [IFLA_GENEVE.UDP_ZERO_CSUM6_RX]: b8('udpZeroCsum6Rx'),
  [IFLA_GENEVE.LABEL]: { name: 'label', type: 'u32be' },
  [IFLA_GENEVE.TTL_INHERIT]: b8('ttlInherit'),
  [IFLA_GENEVE.DF]: enumAttr('df', 'u8', TUNNEL_DF),
  [IFLA_GENEVE.INNER_PROTO_INHERIT]: { name: 'innerProtoInherit', type: 'flag' },
});

defineKind({
  kind: 'geneve',
  optionsKey: 'geneve',
  needsOptions: true,
  data: { schema: geneveSchema },
  toWire(opts, field, ctx) {
    if (ctx.op === 'add' && opts.id === undefined && opts.external === undefined) {
      throw new ValidationError(`${field}.id`, 'a Geneve device needs an id (VNI, 0–16777215) unless external');
    }
    for (const k of ['remote4', 'remote6']) {
      if (opts[k] !== undefined) throw new ValidationError(`${field}.${k}`, `unknown ${field} option (use remote)`);
    }
    return tunnelAddresses(opts, field, { remote4: 'remote4', remote6: 'remote6' }, false);
  },
  fromWire(info) {
    const { remote4, remote6, ...rest } = info;
    const remote = remote4 ?? remote6;
    if (!isUnsetAddress(remote)) rest.remote = remote;
    return rest;
  },
});
