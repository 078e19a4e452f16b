/**
 * One codec per link kind ('veth', 'vxlan', …): how its IFLA_INFO_DATA (and, for port kinds,
 * IFLA_INFO_SLAVE_DATA) decode into `link.info` / `link.slaveInfo`. Each kind's file
 * registers itself here; the link decoder looks kinds up by name.
 */
export interface LinkKindCodec {
  /** IFLA_INFO_KIND string. */
  kind: string;
  /** Decodes IFLA_INFO_DATA's payload into the typed per-kind info object. */
  decodeData?(buf: Buffer, off: number, len: number): object;
  /** Decodes IFLA_INFO_SLAVE_DATA's payload (e.g. bridge_slave, bond_slave). */
  decodeSlaveData?(buf: Buffer, off: number, len: number): object;
}

const codecs = new Map<string, LinkKindCodec>();

/** Registers (or replaces) a kind's codec. */
export function registerLinkKind(codec: LinkKindCodec): void {
  codecs.set(codec.kind, codec);
}

/** The codec for a kind, if one is registered. */
export function linkKindCodec(kind: string): LinkKindCodec | undefined {
  return codecs.get(kind);
}
