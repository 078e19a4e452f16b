/**
 * rt.bridge.port: every bridge port with its state and settings in one dump, as
 * `bridge -d link show` lists them (the AF_BRIDGE view of links: IFLA_PROTINFO per port).
 */
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import { AF_BRIDGE, NLM_F_DUMP } from '../../wire/constants';
import { MessageWriter } from '../../wire/message-writer';
import { RTM_GETLINK, RTM_NEWLINK } from '../constants';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../structs';
import type { Engine } from '../../core/engine';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import { decodeLink } from '../link/link-decode';
import type { BridgePortInfo } from '../link/kinds/index';

/** A bridge port as `bridge -d link` shows it: the link's basics and its port settings. */
export interface BridgePort extends BridgePortInfo {
  /** ifindex of the port. */
  index: number;
  /** The port's name (`ifname`). */
  name: string;
  /** ifindex of its bridge. */
  master?: number;
  /** The bridge's name (resolved by list unless disabled). */
  bridge?: string;
  /** Link flags ('BROADCAST', 'UP', 'LOWER_UP' …). */
  flags: string[];
  mtu: number;
  operstate: string;
  address?: string;
  /** ifindex of the port's peer/parent link (veth peer …), in `linkNetnsId`'s namespace when set. */
  link?: number;
  linkNetnsId?: number;
}

/** Filter of `rt.bridge.port.list()`. */
export interface BridgePortListOptions {
  /** Only ports of this bridge (`master BR` / `br BR`). */
  br?: LinkRef;
  /** Only this port (`dev P`). */
  dev?: LinkRef;
  /** Resolve bridge names (from the same dump when the bridges are listed, else a link dump). Default true. */
  names?: boolean;
}

/** Decodes one AF_BRIDGE RTM_NEWLINK (a port) into a BridgePort. */
export function decodeBridgePortLink(buf: Buffer, off: number, len: number): BridgePort {
  const l = decodeLink(buf, off, len);
  const port: BridgePort = { index: l.index, name: l.name, flags: l.flags, mtu: l.mtu, operstate: l.operstate };
  if (l.master !== undefined) port.master = l.master;
  if (l.address !== undefined) port.address = l.address;
  if (l.link !== undefined) port.link = l.link;
  if (l.linkNetnsId !== undefined) port.linkNetnsId = l.linkNetnsId;
  return Object.assign(port, l.bridgePort);
}

/** Bridge port listing of one rtnetlink handle. */
export class BridgePortApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Lists every bridge port (of one bridge with `br`) with its STP state, priority, cost and
   * flags (learning, flood, hairpin, isolated, locked …), in one dump.
   * Equivalent to: bridge -d link show [master BR] [dev P]
   */
  async list(filter: BridgePortListOptions = {}, opts?: CallOptions): Promise<BridgePort[]> {
    checkKeys(filter, ['br', 'dev', 'names'], 'filter');
    const signal = signalOf(opts);
    const names = filter.names !== false ? this.links.names(signal) : undefined;
    names?.catch(() => {});
    const [br, dev] = await Promise.all([
      filter.br !== undefined ? this.links.resolver.resolve(filter.br, 'filter.br') : undefined,
      filter.dev !== undefined ? this.links.resolver.resolve(filter.dev, 'filter.dev') : undefined,
    ]);
    const w = new MessageWriter(RTM_GETLINK, NLM_F_DUMP, 32);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_BRIDGE }));
    let ports = await this.engine.request(w.finish(), {
      operation: 'bridge.port.list',
      dump: true,
      decode: (b, o, l, type) => (type === RTM_NEWLINK ? decodeBridgePortLink(b, o, l) : undefined),
      ...signal,
    });
    // The kernel lists AF_BRIDGE links of every bridge; it filters by nothing, as with `bridge link`.
    if (br !== undefined) ports = ports.filter((p) => p.master === br);
    if (dev !== undefined) ports = ports.filter((p) => p.index === dev);
    if (names) {
      const byIndex = await names;
      for (const p of ports) if (p.master !== undefined && byIndex.has(p.master)) p.bridge = byIndex.get(p.master)!;
    }
    return ports;
  }
}
