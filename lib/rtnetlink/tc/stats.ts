/**
 * Statistics of qdiscs, classes and actions: TCA_STATS2 (basic counters, queue, rate
 * estimator) and the kind-specific extended statistics (TCA_XSTATS / TCA_STATS_APP).
 */
import { readU64 } from '../../wire/attributes';
import { forEachAttr } from '../../wire/attributes';
import { attrLen, attrType, nextAttr } from './tlv';

/** Counters every tc object has (those the kernel sent). */
export interface TcStats {
  bytes: number;
  packets: number;
  drops: number;
  overlimits: number;
  requeues: number;
  /** Bytes queued now. */
  backlog: number;
  /** Packets queued now. */
  qlen: number;
  /** Rate estimate in bit/s and packets/s, when an estimator runs. */
  rate?: number;
  pps?: number;
  /** Counters of what hardware handled (offloaded objects). */
  hw?: { bytes: number; packets: number };
}

const TCA_STATS_BASIC = 1;
const TCA_STATS_RATE_EST = 2;
const TCA_STATS_QUEUE = 3;
const TCA_STATS_APP = 4;
const TCA_STATS_RATE_EST64 = 5;
const TCA_STATS_BASIC_HW = 7;
const TCA_STATS_PKT64 = 8;

/** Decodes a TCA_STATS2 (or TCA_ACT_STATS) nest; `app` gets the TCA_STATS_APP bytes. */
export function decodeStats2(buf: Buffer, off: number, len: number): { stats: TcStats; app?: Buffer } {
  const app: { app?: Buffer } = {};
  const stats = decodeStats2Into(buf, off, len, app);
  return app.app ? { stats, app: app.app } : { stats };
}

/**
 * The counters of a TCA_STATS2 nest (an inline walk: every filter action of a dump has one);
 * TCA_STATS_APP's bytes go to `app.app` when `app` is given.
 */
export function decodeStats2Into(buf: Buffer, off: number, len: number, app?: { app?: Buffer }): TcStats {
  const s: TcStats = { bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 };
  let pkt64 = -1;
  const end = off + len;
  for (let p = off; end - p >= 4;) {
    const alen = attrLen(buf, p, end, 'TCA_STATS2');
    const o = p + 4;
    const l = alen - 4;
    switch (attrType(buf, p)) {
      case TCA_STATS_BASIC:
        if (l >= 12) { s.bytes = readU64(buf, o); s.packets = buf.readUInt32LE(o + 8); }
        break;
      case TCA_STATS_BASIC_HW:
        if (l >= 12) s.hw = { bytes: readU64(buf, o), packets: buf.readUInt32LE(o + 8) };
        break;
      case TCA_STATS_PKT64:
        if (l >= 8) pkt64 = readU64(buf, o);
        break;
      case TCA_STATS_RATE_EST:
        if (l >= 8 && s.rate === undefined) { s.rate = buf.readUInt32LE(o) * 8; s.pps = buf.readUInt32LE(o + 4); }
        break;
      case TCA_STATS_RATE_EST64:
        if (l >= 16) { s.rate = readU64(buf, o) * 8; s.pps = readU64(buf, o + 8); }
        break;
      case TCA_STATS_QUEUE:
        if (l >= 20) {
          s.qlen = buf.readUInt32LE(o);
          s.backlog = buf.readUInt32LE(o + 4);
          s.drops = buf.readUInt32LE(o + 8);
          s.requeues = buf.readUInt32LE(o + 12);
          s.overlimits = buf.readUInt32LE(o + 16);
        }
        break;
      case TCA_STATS_APP:
        if (app) app.app = Buffer.from(buf.subarray(o, o + l));
        break;
    }
    p = nextAttr(p, alen);
  }
  if (pkt64 >= 0) s.packets = pkt64;
  return s;
}

/** Old-style struct tc_stats (TCA_STATS), used when a kernel sends no TCA_STATS2. */
export function decodeStats1(buf: Buffer, off: number, len: number): TcStats | undefined {
  if (len < 36) return undefined;
  return {
    bytes: readU64(buf, off), packets: buf.readUInt32LE(off + 8), drops: buf.readUInt32LE(off + 12),
    overlimits: buf.readUInt32LE(off + 16), rate: buf.readUInt32LE(off + 20) * 8, pps: buf.readUInt32LE(off + 24),
    qlen: buf.readUInt32LE(off + 28), backlog: buf.readUInt32LE(off + 32), requeues: 0,
  };
}

function u32s(buf: Buffer, names: readonly string[], signed: readonly string[] = []): Record<string, number> | undefined {
  if (buf.length < names.length * 4) return undefined;
  const out: Record<string, number> = {};
  names.forEach((n, i) => { out[n] = signed.includes(n) ? buf.readInt32LE(i * 4) : buf.readUInt32LE(i * 4); });
  return out;
}

const FQ_U64 = ['gcFlows', 'highprioPackets', 'tcpRetrans', 'throttled', 'flowsPlimit', 'pktsTooLong', 'allocationErrors', 'timeNextDelayedFlow'] as const;
const FQ_U32 = ['flows', 'inactiveFlows', 'throttledFlows', 'unthrottleLatencyNs'] as const;
const FQ_U64_TAIL = ['ceMark', 'horizonDrops', 'horizonCaps'] as const;

const CAKE_STATS: Record<number, string> = {
  2: 'capacityEstimate', 3: 'memoryLimit', 4: 'memoryUsed', 5: 'avgNetoff', 6: 'minNetlen', 7: 'maxNetlen',
  8: 'minAdjlen', 9: 'maxAdjlen', 11: 'deficit', 12: 'cobaltCount', 13: 'dropping', 14: 'dropNextUs', 15: 'pDrop', 16: 'blueTimerUs',
};
const CAKE_TIN: Record<number, string> = {
  2: 'sentPackets', 3: 'sentBytes', 4: 'droppedPackets', 5: 'droppedBytes', 6: 'acksDroppedPackets', 7: 'acksDroppedBytes',
  8: 'ecnMarkedPackets', 9: 'ecnMarkedBytes', 10: 'backlogPackets', 11: 'backlogBytes', 12: 'thresholdRate', 13: 'targetUs',
  14: 'intervalUs', 15: 'wayIndirectHits', 16: 'wayMisses', 17: 'wayCollisions', 18: 'peakDelayUs', 19: 'avgDelayUs',
  20: 'baseDelayUs', 21: 'sparseFlows', 22: 'bulkFlows', 23: 'unresponsiveFlows', 24: 'maxSkblen', 25: 'flowQuantum',
};
// cake's rates travel as bytes/s; callers use bit/s everywhere.
const CAKE_RATES = new Set(['capacityEstimate', 'thresholdRate']);

function cakeValues(buf: Buffer, off: number, end: number, names: Record<number, string>, out: Record<string, unknown>): void {
  forEachAttr(buf, off, end, (type, o, l) => {
    const n = names[type];
    if (!n) return;
    const v = l >= 8 ? readU64(buf, o) : l >= 4 ? (n === 'deficit' ? buf.readInt32LE(o) : buf.readUInt32LE(o)) : undefined;
    if (v !== undefined) out[n] = CAKE_RATES.has(n) ? v * 8 : v;
  }, 'cake xstats');
}

/**
 * Decodes a kind's extended statistics; kinds not known here are left out (the bytes are
 * still in `xstatsRaw`). `isClass` picks the class layout where a kind has two.
 */
export function decodeXstats(kind: string, buf: Buffer, isClass: boolean): Record<string, unknown> | undefined {
  switch (kind) {
    case 'htb':
      return isClass ? u32s(buf, ['lends', 'borrows', 'giants', 'tokens', 'ctokens'], ['tokens', 'ctokens']) : undefined;
    case 'fq_codel': {
      if (buf.length < 4) return undefined;
      const type = buf.readUInt32LE(0);
      const rest = buf.subarray(4);
      if (type === 0) return u32s(rest.subarray(0, Math.min(rest.length, 36)), ['maxpacket', 'dropOverlimit', 'ecnMark', 'newFlowCount', 'newFlowsLen', 'oldFlowsLen', 'ceMark', 'memoryUsage', 'dropOvermemory']);
      return u32s(rest.subarray(0, 24), ['deficit', 'ldelay', 'count', 'lastcount', 'dropping', 'dropNext'], ['deficit', 'dropNext']);
    }
    case 'fq': {
      if (buf.length < 80) return undefined;
      const out: Record<string, number> = {};
      FQ_U64.forEach((n, i) => { out[n] = n === 'timeNextDelayedFlow' ? Number(buf.readBigInt64LE(i * 8)) : readU64(buf, i * 8); });
      FQ_U32.forEach((n, i) => { out[n] = buf.readUInt32LE(64 + i * 4); });
      FQ_U64_TAIL.forEach((n, i) => { if (buf.length >= 88 + i * 8) out[n] = readU64(buf, 80 + i * 8); });
      return out;
    }
    case 'sfq':
      return isClass && buf.length >= 4 ? { allot: buf.readInt32LE(0) } : undefined;
    case 'cake': {
      const out: Record<string, unknown> = {};
      forEachAttr(buf, 0, buf.length, (type, o, l) => {
        if (type === 10) {
          const tins: Record<string, unknown>[] = [];
          forEachAttr(buf, o, o + l, (_t, to, tl) => {
            const tin: Record<string, unknown> = {};
            cakeValues(buf, to, to + tl, CAKE_TIN, tin);
            tins.push(tin);
          }, 'cake tins');
          out.tins = tins;
        }
      }, 'cake xstats');
      cakeValues(buf, 0, buf.length, CAKE_STATS, out);
      return out;
    }
    default:
      return undefined;
  }
}
