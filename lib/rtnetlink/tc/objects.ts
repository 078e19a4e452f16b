/**
 * The typed objects `rt.tc` lists (Qdisc, TcClass, Filter, Chain), their decoders, and the
 * registry of qdisc and class kinds. Decoding is tolerant: a kind without a codec keeps its
 * options as bytes, and a kind's own decoder failing never fails the dump.
 */
import { forEachAttr, readString } from '../../wire/attributes';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { TCA, RTM_NEWQDISC, RTM_NEWTCLASS, RTM_NEWTFILTER, RTM_NEWCHAIN, RTM_DELQDISC, RTM_DELTCLASS, RTM_DELTFILTER, RTM_DELCHAIN } from './constants';
import { formatFilterParent, formatHandle, formatQdiscParent } from './handle';
import { NO_OPTIONS, type KindCodec } from './kind';
import { htbClass, htbQdisc } from './qdisc-htb';
import { tbfQdisc } from './qdisc-tbf';
import { netemQdisc } from './qdisc-netem';
import { cakeQdisc, drrClass, fifoKind, fqCodelQdisc, fqQdisc, hfscClass, hfscQdisc, mqprioQdisc, prioQdisc, sfqQdisc } from './qdisc-misc';
import { FILTER_CODECS } from './filter-kinds';
import { ethTypeName } from './filter-flower';
import { decodeStats1, decodeStats2, decodeStats2Into, decodeXstats, type TcStats } from './stats';
import { attrLen, attrType, nextAttr, readName } from './tlv';
import { readTcMsg, TCMSG_SIZE } from './tcmsg';
import type { Action } from './actions';

/** Qdisc kinds with typed options. */
export const QDISC_CODECS: Record<string, KindCodec> = {
  htb: htbQdisc, tbf: tbfQdisc, netem: netemQdisc, pfifo: fifoKind(false), bfifo: fifoKind(true), pfifo_head_drop: fifoKind(false),
  prio: prioQdisc, sfq: sfqQdisc, fq_codel: fqCodelQdisc, fq: fqQdisc, cake: cakeQdisc, hfsc: hfscQdisc, mqprio: mqprioQdisc,
  ingress: NO_OPTIONS, clsact: NO_OPTIONS, noqueue: NO_OPTIONS, mq: NO_OPTIONS, pfifo_fast: prioQdisc, drr: NO_OPTIONS,
};

/** Class kinds with typed options. */
export const CLASS_CODECS: Record<string, KindCodec> = { htb: htbClass, hfsc: hfscClass, drr: drrClass };

/** A qdisc as listed (`tc -s qdisc show`). Its options are under the kind's name. */
export interface Qdisc {
  /** Device name (when names were resolved) and index. */
  dev?: string;
  index: number;
  kind: string;
  /** '1:', or 'ffff:' for ingress/clsact, or ':0'-style handles the kernel made ('0:' prints as 'none'). */
  handle: string;
  /** 'root', 'ingress' (ffff:fff1, ingress and clsact), or the parent class '1:10'. */
  parent: string;
  /** Options of a kind this library has no codec for: the TCA_OPTIONS payload. */
  options?: Buffer;
  stats?: TcStats;
  /** Kind-specific statistics (htb classes, fq_codel, fq, cake); raw for other kinds. */
  xstats?: Record<string, unknown>;
  xstatsRaw?: Buffer;
  /** Offloaded to hardware. */
  offloaded?: boolean;
  ingressBlock?: number;
  egressBlock?: number;
  [kindOptions: string]: unknown;
}

/** A class as listed (`tc -s class show`). */
export interface TcClass {
  dev?: string;
  index: number;
  kind: string;
  classid: string;
  parent: string;
  options?: Buffer;
  stats?: TcStats;
  xstats?: Record<string, unknown>;
  xstatsRaw?: Buffer;
  /** The qdisc attached below this class (its handle), when one is. */
  leaf?: string;
  [kindOptions: string]: unknown;
}

/** A filter as listed (`tc filter show`). Each filter kind lists one entry per filter node. */
export interface Filter {
  dev?: string;
  index: number;
  kind: string;
  parent: string;
  /** Ethertype name ('ip', 'ipv6', 'all', '802.1q' …) or number. */
  protocol: string | number;
  priority: number;
  /** The filter's own handle (u32: 0x800800 = '800::800'; fw: the mark). 0 for a priority's head entry. */
  handle: number;
  chain?: number;
  classid?: string;
  actions?: Action[];
  police?: Record<string, unknown>;
  options?: Buffer;
  [kindOptions: string]: unknown;
}

/** A filter chain (`tc chain show`). */
export interface Chain {
  dev?: string;
  index: number;
  parent: string;
  chain: number;
  /** A chain template's kind and options, when one was set. */
  kind?: string;
  [kindOptions: string]: unknown;
}

/** A tc event object: what changed and whether it was added or removed. */
export type TcObjectType = 'qdisc' | 'class' | 'filter' | 'chain';

interface Common {
  kind?: string;
  options?: [number, number];
  stats?: TcStats;
  app?: Buffer;
  xstats?: Buffer;
  chain?: number;
  offloaded?: boolean;
  ingressBlock?: number;
  egressBlock?: number;
}

function readCommon(buf: Buffer, off: number, end: number): Common {
  const c: Common = {};
  forEachAttr(buf, off, end, (t, o, l) => {
    switch (t) {
      case TCA.KIND: c.kind = readString(buf, o, l); break;
      case TCA.OPTIONS: c.options = [o, l]; break;
      case TCA.STATS2: { const s = decodeStats2(buf, o, l); c.stats = s.stats; if (s.app) c.app = s.app; break; }
      case TCA.STATS: if (!c.stats) c.stats = decodeStats1(buf, o, l); break;
      case TCA.XSTATS: c.xstats = Buffer.from(buf.subarray(o, o + l)); break;
      case TCA.CHAIN: if (l >= 4) c.chain = buf.readUInt32LE(o); break;
      case TCA.HW_OFFLOAD: if (l >= 1) c.offloaded = buf[o] !== 0; break;
      case TCA.INGRESS_BLOCK: if (l >= 4) c.ingressBlock = buf.readUInt32LE(o); break;
      case TCA.EGRESS_BLOCK: if (l >= 4) c.egressBlock = buf.readUInt32LE(o); break;
    }
  }, 'tcmsg');
  return c;
}

function kindOptions(codecs: Record<string, KindCodec>, c: Common, buf: Buffer, out: Record<string, unknown>, handle: number, isClass: boolean): void {
  if (!c.kind || !c.options) return;
  const codec = codecs[c.kind];
  if (codec) {
    try {
      out[c.kind] = codec.decode(buf, c.options[0], c.options[1], { handle, isClass });
      return;
    } catch {
      // A layout this codec does not understand: keep the bytes rather than fail the dump.
    }
  }
  out.options = Buffer.from(buf.subarray(c.options[0], c.options[0] + c.options[1]));
}

function addStats(c: Common, out: Record<string, unknown>, isClass: boolean): void {
  if (c.stats) out.stats = c.stats;
  const x = c.app ?? c.xstats;
  if (x && c.kind) {
    const d = decodeXstats(c.kind, x, isClass);
    if (d) out.xstats = d;
    else out.xstatsRaw = x;
  }
}

/** Decodes an RTM_NEWQDISC/DELQDISC message (`off` at its nlmsghdr, as the engine passes it). */
export function decodeQdisc(buf: Buffer, off: number, len: number): Qdisc {
  off += NLMSG_HDRLEN; // decoders get the whole message
  len -= NLMSG_HDRLEN;
  const m = readTcMsg(buf, off, len);
  const c = readCommon(buf, off + TCMSG_SIZE, off + len);
  const q: Qdisc = { index: m.index, kind: c.kind ?? '', handle: formatHandle(m.handle), parent: formatQdiscParent(m.parent) };
  kindOptions(QDISC_CODECS, c, buf, q, m.handle, false);
  addStats(c, q, false);
  if (c.offloaded) q.offloaded = true;
  if (c.ingressBlock) q.ingressBlock = c.ingressBlock;
  if (c.egressBlock) q.egressBlock = c.egressBlock;
  return q;
}

/** Decodes an RTM_NEWTCLASS/DELTCLASS message. */
export function decodeClass(buf: Buffer, off: number, len: number): TcClass {
  off += NLMSG_HDRLEN; // decoders get the whole message
  len -= NLMSG_HDRLEN;
  const m = readTcMsg(buf, off, len);
  const c = readCommon(buf, off + TCMSG_SIZE, off + len);
  const k: TcClass = { index: m.index, kind: c.kind ?? '', classid: formatHandle(m.handle), parent: formatHandle(m.parent) };
  if (m.info) k.leaf = formatHandle(m.info);
  kindOptions(CLASS_CODECS, c, buf, k, m.handle, true);
  addStats(c, k, true);
  return k;
}

/** The filter's ethertype from tcm_info (network order in the low 16 bits). */
function protocolOf(info: number): string | number {
  const p = info & 0xffff;
  return ethTypeName(((p & 0xff) << 8) | (p >> 8));
}

// Filter parents repeat across a dump (every filter of a device's ingress): the last one formatted is reused.
let lastParent = -1;
let lastParentText = '';
// Protocol names likewise.
let lastInfoProto = -1;
let lastProtocol: string | number = 0;

/**
 * Decodes an RTM_NEWTFILTER/DELTFILTER message. An inline walk with no closures or
 * intermediate objects: `tc.filter.list` decodes one of these per filter, 10 000 at a time.
 */
export function decodeFilter(buf: Buffer, off: number, len: number): Filter {
  off += NLMSG_HDRLEN; // decoders get the whole message
  len -= NLMSG_HDRLEN;
  if (len < TCMSG_SIZE) readTcMsg(buf, off, len); // throws the ParseError
  const index = buf.readInt32LE(off + 4);
  const handle = buf.readUInt32LE(off + 8);
  const parentId = buf.readUInt32LE(off + 12);
  const info = buf.readUInt32LE(off + 16);
  if (parentId !== lastParent) {
    lastParentText = formatFilterParent(parentId);
    lastParent = parentId;
  }
  if ((info & 0xffff) !== lastInfoProto) {
    lastProtocol = protocolOf(info);
    lastInfoProto = info & 0xffff;
  }
  const protocol = lastProtocol;
  let kind = '';
  let optsAt = -1;
  let optsLen = 0;
  let chain: number | undefined;
  let stats: TcStats | undefined;
  let stats2 = false;
  const end = off + len;
  for (let p = off + TCMSG_SIZE; end - p >= 4;) {
    const alen = attrLen(buf, p, end, 'tcmsg');
    const o = p + 4;
    const l = alen - 4;
    switch (attrType(buf, p)) {
      case TCA.KIND: kind = readName(buf, o, l); break;
      case TCA.OPTIONS: optsAt = o; optsLen = l; break;
      case TCA.STATS2: stats = decodeStats2Into(buf, o, l); stats2 = true; break;
      case TCA.STATS: if (!stats2) stats = decodeStats1(buf, o, l); break;
      case TCA.CHAIN: if (l >= 4) chain = buf.readUInt32LE(o); break;
    }
    p = nextAttr(p, alen);
  }
  const f: Filter = { index, kind, parent: lastParentText, protocol, priority: info >>> 16, handle };
  if (chain !== undefined) f.chain = chain;
  if (kind && optsAt >= 0) {
    const codec = FILTER_CODECS[kind];
    let done = false;
    if (codec) {
      try {
        const d = codec.decode(buf, optsAt, optsLen, protocol);
        f[kind] = d.options;
        if (d.classid !== undefined) f.classid = formatHandle(d.classid);
        if (d.actions) f.actions = d.actions;
        if (d.police) f.police = d.police;
        done = true;
      } catch {
        // keep the bytes below
      }
    }
    if (!done) f.options = Buffer.from(buf.subarray(optsAt, optsAt + optsLen));
  }
  if (stats) f.stats = stats;
  return f;
}

/** Decodes an RTM_NEWCHAIN/DELCHAIN message. */
export function decodeChain(buf: Buffer, off: number, len: number): Chain {
  off += NLMSG_HDRLEN; // decoders get the whole message
  len -= NLMSG_HDRLEN;
  const m = readTcMsg(buf, off, len);
  const c = readCommon(buf, off + TCMSG_SIZE, off + len);
  const ch: Chain = { index: m.index, parent: formatFilterParent(m.parent), chain: c.chain ?? 0 };
  if (c.kind) {
    ch.kind = c.kind;
    if (c.options) {
      const codec = FILTER_CODECS[c.kind];
      try {
        if (codec) ch[c.kind] = codec.decode(buf, c.options[0], c.options[1], undefined).options;
      } catch {
        ch.options = Buffer.from(buf.subarray(c.options[0], c.options[0] + c.options[1]));
      }
    }
  }
  return ch;
}

/** Decoder by message type, for the monitor: which object, and whether it is a removal. */
export const TC_MESSAGE_TYPES: Record<number, { object: TcObjectType; del: boolean; decode: (buf: Buffer, off: number, len: number) => unknown }> = {
  [RTM_NEWQDISC]: { object: 'qdisc', del: false, decode: decodeQdisc },
  [RTM_DELQDISC]: { object: 'qdisc', del: true, decode: decodeQdisc },
  [RTM_NEWTCLASS]: { object: 'class', del: false, decode: decodeClass },
  [RTM_DELTCLASS]: { object: 'class', del: true, decode: decodeClass },
  [RTM_NEWTFILTER]: { object: 'filter', del: false, decode: decodeFilter },
  [RTM_DELTFILTER]: { object: 'filter', del: true, decode: decodeFilter },
  [RTM_NEWCHAIN]: { object: 'chain', del: false, decode: decodeChain },
  [RTM_DELCHAIN]: { object: 'chain', del: true, decode: decodeChain },
};
