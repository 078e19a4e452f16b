/**
 * Neighbour tables (`ip ntable`): the ARP and NDP caches' garbage-collection thresholds and
 * interval, and their per-device (or default) timers and probe counts. RTM_GETNEIGHTBL /
 * RTM_SETNEIGHTBL; used by `rt.neigh.tables()` and `rt.neigh.setTable()`.
 */
import { ParseError, ValidationError } from '../../errors';
import { checkKeys } from '../../core/options';
import { decodeAttrs, defineSchema, encodeValue, type AttrSpec, type RawAttribute } from '../../wire/attributes';
import { familyName, familyNumber, type FamilyName } from '../../wire/address';
import { AF_INET, AF_INET6, AF_UNSPEC, NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import { MessageWriter, type BuiltMessage } from '../../wire/message-writer';
import type { LinkRef } from '../request/link-ref';
import { linkIndex, uint, type LinkField } from '../request/prepare';

export const RTM_NEWNEIGHTBL = 64;
export const RTM_GETNEIGHTBL = 66;
export const RTM_SETNEIGHTBL = 67;
/** struct ndtmsg: u8 family, 3 pad. */
const NDTMSG_SIZE = 4;
const NDTA = { NAME: 1, THRESH1: 2, THRESH2: 3, THRESH3: 4, CONFIG: 5, PARMS: 6, STATS: 7, GC_INTERVAL: 8 } as const;

/** A device's (or the table's default) neighbour parameters, times in ms as `ip ntable` prints them. */
export interface NeighTableParms {
  refcnt?: number;
  reachableTimeMs?: number;
  baseReachableTimeMs?: number;
  retransTimeMs?: number;
  gcStaleTimeMs?: number;
  delayProbeTimeMs?: number;
  /** Unresolved-queue length in packets (`queue`). */
  queueLen?: number;
  queueLenBytes?: number;
  appProbes?: number;
  ucastProbes?: number;
  mcastProbes?: number;
  mcastReprobes?: number;
  anycastDelayMs?: number;
  proxyDelayMs?: number;
  proxyQlen?: number;
  locktimeMs?: number;
  intervalProbeTimeMs?: number;
}

/** One row of `ip ntable show`: a table's own settings (no `dev`) or one device's parameters. */
export interface NeighTable extends NeighTableParms {
  family: string;
  /** 'arp_cache' or 'ndisc_cache'. */
  name: string;
  /** ifindex of the device these parameters are for (absent: the table's defaults). */
  index?: number;
  dev?: string;
  thresh1?: number;
  thresh2?: number;
  thresh3?: number;
  gcIntervalMs?: number;
  /** struct ndt_config (the table row only). */
  config?: { keyLen: number; entrySize: number; entries: number; lastFlushMs: number; lastRandMs: number; hashRnd: number; hashMask: number; hashChainGc: number; proxyQlen: number };
  /** struct ndt_stats (the table row only). */
  stats?: Record<string, number>;
  unknown?: RawAttribute[];
}

/** Changes of `rt.neigh.setTable()` (`ip ntable change name N [dev D] …`). */
export interface NeighTableChanges extends Omit<NeighTableParms, 'refcnt'> {
  /** 'arp_cache' or 'ndisc_cache'. */
  name: 'arp_cache' | 'ndisc_cache' | string;
  /** A device's parameters instead of the table's defaults. */
  dev?: LinkRef;
  /** Defaults from the name ('arp_cache' → inet, 'ndisc_cache' → inet6). */
  family?: FamilyName;
  /**
   * GC thresholds and interval. The kernel takes these, and the defaults (no `dev`), in the
   * initial namespace only: elsewhere it answers ENOENT; per-device parameters work anywhere.
   */
  thresh1?: number;
  thresh2?: number;
  thresh3?: number;
  gcIntervalMs?: number;
}

const u64 = (name: string): AttrSpec => ({ name, type: 'u64' });
const u32 = (name: string): AttrSpec => ({ name, type: 'u32' });

/** NDTPA_* (inside NDTA_PARMS). */
export const ntableParmsSchema = defineSchema('ntable.parms', {
  1: u32('index'), 2: u32('refcnt'), 3: u64('reachableTimeMs'), 4: u64('baseReachableTimeMs'), 5: u64('retransTimeMs'),
  6: u64('gcStaleTimeMs'), 7: u64('delayProbeTimeMs'), 8: u32('queueLen'), 9: u32('appProbes'), 10: u32('ucastProbes'),
  11: u32('mcastProbes'), 12: u64('anycastDelayMs'), 13: u64('proxyDelayMs'), 14: u32('proxyQlen'), 15: u64('locktimeMs'),
  16: u32('queueLenBytes'), 17: u32('mcastReprobes'), 19: u64('intervalProbeTimeMs'),
});

const STATS_NAMES = ['allocs', 'destroys', 'hashGrows', 'resFailed', 'lookups', 'hits', 'rcvProbesMcast', 'rcvProbesUcast', 'periodicGcRuns', 'forcedGcRuns', 'tableFulls'];

/** The NDTA_* table. */
export const ntableSchema = defineSchema('ntable', {
  [NDTA.NAME]: { name: 'name', type: 'string' },
  [NDTA.THRESH1]: u32('thresh1'),
  [NDTA.THRESH2]: u32('thresh2'),
  [NDTA.THRESH3]: u32('thresh3'),
  [NDTA.CONFIG]: {
    name: 'config', type: 'binary',
    decode: (b, o, l) => (l >= 32 ? {
      keyLen: b.readUInt16LE(o), entrySize: b.readUInt16LE(o + 2), entries: b.readUInt32LE(o + 4), lastFlushMs: b.readUInt32LE(o + 8),
      lastRandMs: b.readUInt32LE(o + 12), hashRnd: b.readUInt32LE(o + 16), hashMask: b.readUInt32LE(o + 20), hashChainGc: b.readUInt32LE(o + 24), proxyQlen: b.readUInt32LE(o + 28),
    } : undefined),
  },
  [NDTA.PARMS]: {
    name: 'parms', type: 'nested', nested: ntableParmsSchema,
    // The parameters are the row's own fields, as `ip ntable` prints them.
    decodeInto: (out: any, b: Buffer, o: number, l: number) => {
      decodeAttrs(ntableParmsSchema, b, o, o + l, out);
    },
  },
  [NDTA.STATS]: {
    name: 'stats', type: 'binary',
    decode: (b, o, l) => {
      if (l < STATS_NAMES.length * 8) return undefined;
      const out: Record<string, number> = {};
      STATS_NAMES.forEach((n, i) => (out[n] = b.readUInt32LE(o + i * 8) + b.readUInt32LE(o + i * 8 + 4) * 0x1_0000_0000));
      return out;
    },
  },
  [NDTA.GC_INTERVAL]: u64('gcIntervalMs'),
});

/** Decodes one RTM_NEWNEIGHTBL. */
export function decodeNeighTable(buf: Buffer, off: number, len: number): NeighTable {
  if (len - NLMSG_HDRLEN < NDTMSG_SIZE) throw new ParseError('ndtmsg: truncated');
  const row = decodeAttrs<NeighTable>(ntableSchema, buf, off + NLMSG_HDRLEN + NDTMSG_SIZE, off + len, { family: familyName(buf[off + NLMSG_HDRLEN]!), name: '' });
  if (row.index === 0) delete row.index;
  return row;
}

const TABLE_KEYS = ['thresh1', 'thresh2', 'thresh3', 'gcIntervalMs'] as const;
const PARM_KEYS = [
  'reachableTimeMs', 'baseReachableTimeMs', 'retransTimeMs', 'gcStaleTimeMs', 'delayProbeTimeMs', 'queueLen', 'queueLenBytes', 'appProbes',
  'ucastProbes', 'mcastProbes', 'mcastReprobes', 'anycastDelayMs', 'proxyDelayMs', 'proxyQlen', 'locktimeMs', 'intervalProbeTimeMs',
] as const;

/** Builds the RTM_GETNEIGHTBL dump request. */
export function ntableDumpRequest(family: FamilyName | undefined): BuiltMessage {
  const fam = familyNumber(family, 'filter.family') ?? AF_UNSPEC;
  const w = new MessageWriter(RTM_GETNEIGHTBL, NLM_F_DUMP, 32);
  w.struct(NDTMSG_SIZE, (b, at) => {
    b[at] = fam;
  });
  return w.finish();
}

/** Validates table changes and builds the RTM_SETNEIGHTBL (a named `dev` leaves a LinkField to fill). */
export function prepareNeighTable(changes: NeighTableChanges): { msg: BuiltMessage; links: LinkField[] } {
  checkKeys(changes, ['name', 'dev', 'family', ...TABLE_KEYS, ...PARM_KEYS], '');
  if (typeof changes.name !== 'string' || !changes.name) throw new ValidationError('name', "expected a table name ('arp_cache', 'ndisc_cache')");
  const family = familyNumber(changes.family, 'family') ?? (changes.name === 'arp_cache' ? AF_INET : changes.name === 'ndisc_cache' ? AF_INET6 : undefined);
  if (family === undefined) throw new ValidationError('family', `give the family of table ${JSON.stringify(changes.name)}`);
  if (changes.dev !== undefined) {
    for (const k of TABLE_KEYS) if (changes[k] !== undefined) throw new ValidationError(k, 'thresholds and the gc interval are per table, not per device');
  }
  const parms = PARM_KEYS.filter((k) => changes[k] !== undefined);
  for (const k of [...TABLE_KEYS, ...parms]) if (changes[k] !== undefined) uint(changes[k], k, k.endsWith('Ms') ? Number.MAX_SAFE_INTEGER : 0xffff_ffff);
  if (!parms.length && !TABLE_KEYS.some((k) => changes[k] !== undefined)) throw new ValidationError('name', 'nothing to change');
  const links: LinkField[] = [];
  const w = new MessageWriter(RTM_SETNEIGHTBL, 0, 256);
  w.struct(NDTMSG_SIZE, (b, at) => {
    b[at] = family;
  });
  w.string(NDTA.NAME, changes.name, 'name');
  for (const k of TABLE_KEYS) {
    if (changes[k] === undefined) continue;
    const entry = ntableSchema.byName.get(k)!;
    encodeValue(w, entry.type, entry.spec, changes[k], k);
  }
  if (parms.length || changes.dev !== undefined) {
    w.nestStart(NDTA.PARMS, 'parms');
    if (changes.dev !== undefined) w.u32(1, linkIndex(links, 'dev', changes.dev, w.offset + 4), 'dev');
    for (const k of parms) {
      const entry = ntableParmsSchema.byName.get(k)!;
      encodeValue(w, entry.type, entry.spec, changes[k], k);
    }
    w.nestEnd();
  }
  return { msg: w.finish(), links };
}
