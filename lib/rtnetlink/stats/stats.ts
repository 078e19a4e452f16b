/**
 * rt.stats: link statistics through RTM_GETSTATS, RTM_SETSTATS (`ip stats`): per-link 64-bit counters,
 * extended per-kind counters (bridge multicast/STP/per-VLAN, bond 802.3ad, for the link itself
 * and for it as a port), offload counters and per-address-family counters, chosen per request
 * (the kernel fills only what the filter mask asks for: cheaper than a full link dump).
 */
import { ParseError, ValidationError } from '../../errors';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import { decodeAttrs, type RawAttribute } from '../../wire/attributes';
import { AF_UNSPEC, NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import { MessageWriter } from '../../wire/message-writer';
import { RTM_GETSTATS, RTM_NEWSTATS, RTM_SETSTATS } from '../constants';
import type { Engine } from '../../core/engine';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import type { LinkStats } from '../link/link-schema';
import {
  IF_STATS_MSG_SIZE, IFLA_STATS, statsSchema,
  type KindXstats, type MplsLinkStats, type OffloadStats,
} from './stats-schema';

export type { BridgeMcastStats, BridgeStpStats, BridgeVlanStats, HwStats64, KindXstats, MplsLinkStats, OffloadStats, RxTx } from './stats-schema';

/** Which groups of counters to fetch (`ip stats show group …`). */
export type StatsGroup = 'link' | 'xstats' | 'xstatsSlave' | 'offload' | 'afstats';

const GROUP_BITS: Record<StatsGroup, number> = {
  link: 1 << (IFLA_STATS.LINK_64 - 1),
  xstats: 1 << (IFLA_STATS.LINK_XSTATS - 1),
  xstatsSlave: 1 << (IFLA_STATS.LINK_XSTATS_SLAVE - 1),
  offload: 1 << (IFLA_STATS.LINK_OFFLOAD_XSTATS - 1),
  afstats: 1 << (IFLA_STATS.AF_SPEC - 1),
};
const ALL_GROUPS = Object.keys(GROUP_BITS) as StatsGroup[];

/** The counters of one link. */
export interface LinkStatsEntry {
  /** ifindex of the link. */
  index: number;
  /** Its name (resolved by list unless disabled). */
  dev?: string;
  /** struct rtnl_link_stats64 (`group link`). */
  link64?: LinkStats;
  /** Extended counters of the link's own kind (`group xstats`: a bridge's, a bond's). */
  xstats?: KindXstats;
  /** Extended counters of the link as a port of its master (`group xstats_slave`). */
  xstatsSlave?: KindXstats;
  /** Offload counters (`group offload`). */
  offload?: OffloadStats;
  /** Per-address-family counters (`group afstats`). */
  afSpec?: { mpls?: { link?: MplsLinkStats } };
  unknown?: RawAttribute[];
}

/** Filter of `rt.stats.list()`. */
export interface StatsListOptions {
  /** Only this link (one request instead of a dump). */
  dev?: LinkRef;
  /** Groups of counters to fetch; default all (as `ip stats show`). */
  groups?: StatsGroup[];
  /** Resolve link names (one link dump). Default true. */
  names?: boolean;
}

/** Decodes one RTM_NEWSTATS message. */
export function decodeStats(buf: Buffer, off: number, len: number): LinkStatsEntry {
  if (len - NLMSG_HDRLEN < IF_STATS_MSG_SIZE) throw new ParseError(`if_stats_msg: ${len - NLMSG_HDRLEN} bytes, need ${IF_STATS_MSG_SIZE}`);
  const at = off + NLMSG_HDRLEN;
  return decodeAttrs<LinkStatsEntry>(statsSchema, buf, at + IF_STATS_MSG_SIZE, off + len, { index: buf.readUInt32LE(at + 4) });
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWSTATS ? decodeStats(buf, off, len) : undefined);

/** Link statistics operations of one rtnetlink handle. */
export class StatsApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Counters of every link (or one), the groups asked for.
   * Equivalent to: ip stats show [dev D] [group link|xstats|xstats_slave|offload|afstats]
   */
  async list(filter: StatsListOptions = {}, opts?: CallOptions): Promise<LinkStatsEntry[]> {
    checkKeys(filter, ['dev', 'groups', 'names'], 'filter');
    const signal = signalOf(opts);
    let mask = 0;
    const groups = filter.groups ?? ALL_GROUPS;
    if (!Array.isArray(groups) || groups.length === 0) throw new ValidationError('filter.groups', `expected a non-empty array of ${ALL_GROUPS.join(', ')}`);
    groups.forEach((g, i) => {
      const bit = GROUP_BITS[g];
      if (bit === undefined) throw new ValidationError(`filter.groups.${i}`, `unknown group ${JSON.stringify(g)} (known: ${ALL_GROUPS.join(', ')})`);
      mask |= bit;
    });
    const names = filter.names !== false ? this.links.names(signal) : undefined;
    names?.catch(() => {});
    const dev = filter.dev !== undefined ? await this.links.resolver.resolve(filter.dev, 'filter.dev') : undefined;
    const w = new MessageWriter(RTM_GETSTATS, dev === undefined ? NLM_F_DUMP : 0, 32);
    w.struct(IF_STATS_MSG_SIZE, (b, at) => {
      b[at] = AF_UNSPEC;
      b.writeUInt32LE(dev ?? 0, at + 4);
      b.writeUInt32LE(mask, at + 8);
    });
    const entries = await this.engine.request(w.finish(), { operation: 'stats.list', decode, ...(dev === undefined ? { dump: true } : {}), ...signal });
    if (names) {
      const byIndex = await names;
      for (const e of entries) if (byIndex.has(e.index)) e.dev = byIndex.get(e.index)!;
    }
    return entries;
  }

  /**
   * Asks for (or releases) hardware L3 counters on a link: the offload group then carries
   * `hwStatsInfo.l3Stats: { request, used }` (used once a driver provides them) and `l3Stats`.
   * Monitors of group 'stats' see the change.
   * Equivalent to: ip stats set dev D l3_stats on|off
   */
  async set(dev: LinkRef, changes: StatsChanges, opts?: CallOptions): Promise<void> {
    checkKeys(changes, ['l3Stats'], 'changes');
    if (changes === undefined || changes.l3Stats === undefined) throw new ValidationError('changes.l3Stats', 'nothing to change: expected { l3Stats: true | false }');
    if (typeof changes.l3Stats !== 'boolean') throw new ValidationError('changes.l3Stats', 'expected true or false');
    const signal = signalOf(opts);
    const index = await this.links.resolver.resolve(dev, 'dev');
    const w = new MessageWriter(RTM_SETSTATS, 0, 32);
    w.struct(IF_STATS_MSG_SIZE, (b, at) => {
      b[at] = AF_UNSPEC;
      // The kernel wants a zero filter mask on a set.
      b.writeUInt32LE(index, at + 4);
    });
    w.u8(IFLA_STATS_SET_OFFLOAD_XSTATS_L3_STATS, changes.l3Stats ? 1 : 0, 'changes.l3Stats');
    await this.engine.request(w.finish(), { operation: 'stats.set', ...signal });
  }
}

/** IFLA_STATS_SET_OFFLOAD_XSTATS_L3_STATS (enum of IFLA_STATS_GETSET_*): u8 0 or 1. */
const IFLA_STATS_SET_OFFLOAD_XSTATS_L3_STATS = 2;

/** What `rt.stats.set()` changes. */
export interface StatsChanges {
  /** Hardware L3 counters requested (`l3_stats on`) or released (`off`). */
  l3Stats?: boolean;
}
