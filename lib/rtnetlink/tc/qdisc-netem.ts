/**
 * netem: delay, jitter, loss (random, Gilbert-Elliott, 4-state), duplication, reordering,
 * corruption, rate with packet overhead, slotting and ECN. Unlike other kinds its TCA_OPTIONS
 * is a struct tc_netem_qopt followed by attributes. Delay and jitter travel in the 64-bit
 * nanosecond attributes (as tc sends them), so delays beyond 4 295 s of ticks are exact too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { forEachAttr, readU64 } from '../../wire/attributes';
import { TCA } from './constants';
import type { KindCodec } from './kind';
import { parseInt32, parseRate, percentToU32, rateBits, ticksToUs, u32ToPercent, usToTicks, type Rate } from './units';

const TCA_NETEM_CORR = 1;
const TCA_NETEM_DELAY_DIST = 2;
const TCA_NETEM_REORDER = 3;
const TCA_NETEM_CORRUPT = 4;
const TCA_NETEM_LOSS = 5;
const TCA_NETEM_RATE = 6;
const TCA_NETEM_ECN = 7;
const TCA_NETEM_RATE64 = 8;
const TCA_NETEM_LATENCY64 = 10;
const TCA_NETEM_JITTER64 = 11;
const TCA_NETEM_SLOT = 12;
const TCA_NETEM_SLOT_DIST = 13;
const NETEM_LOSS_GI = 1;
const NETEM_LOSS_GE = 2;
const QOPT_SIZE = 24;

/** The Gilbert-Elliott loss model (`loss gemodel p r 1-h 1-k`); fields are the kernel's, in percent. */
export interface NetemGeModel {
  model: 'gemodel';
  /** Good → bad transition probability. */
  p: number;
  /** Bad → good transition probability (default 100 − p, as tc). */
  r?: number;
  /** The kernel's h (tc writes and prints "1-h", which is 100 − h); default 0. */
  h?: number;
  /** Loss probability in the good state (what tc calls "1-k"); default 0. */
  k1?: number;
}

/** The 4-state Markov loss model (`loss state p13 p31 p32 p23 p14`), in percent. */
export interface NetemStateModel {
  model: 'state';
  p13: number;
  p31?: number;
  p32?: number;
  p23?: number;
  p14?: number;
}

/** Rate limiting inside netem (`rate R [packetoverhead N [cellsize N [celloverhead N]]]`). */
export interface NetemRate {
  rate: Rate;
  packetOverhead?: number;
  cellSize?: number;
  cellOverhead?: number;
}

/** Slotting (`slot MIN [MAX] [packets N] [bytes N]`, or `slot distribution D DELAY JITTER`). */
export interface NetemSlot {
  minDelayUs?: number;
  maxDelayUs?: number;
  /** With a distribution: mean and spread of the slot delay. */
  distDelayUs?: number;
  distJitterUs?: number;
  maxPackets?: number;
  maxBytes?: number;
  /** Distribution of the slot delay (a name of tc's tables, or the table). */
  distribution?: string | number[];
}

/** Options of a netem qdisc; percentages are 0–100. */
export interface NetemOptions {
  /** Queue limit in packets (default 1000). */
  limit?: number;
  delayUs?: number;
  jitterUs?: number;
  delayCorrelation?: number;
  /** Delay distribution: 'normal', 'pareto', 'paretonormal' (tc's tables) or a table of s16 values. Write-only: the kernel does not report it. */
  distribution?: string | number[];
  lossPercent?: number;
  lossCorrelation?: number;
  loss?: NetemGeModel | NetemStateModel;
  duplicatePercent?: number;
  duplicateCorrelation?: number;
  reorderPercent?: number;
  reorderCorrelation?: number;
  /** Reorder every gap-th packet (default 1 when reordering). */
  gap?: number;
  corruptPercent?: number;
  corruptCorrelation?: number;
  rate?: NetemRate;
  slot?: NetemSlot;
  /** Mark ECN-capable packets instead of dropping them (needs a loss setting). */
  ecn?: boolean;
}

const KEYS = ['limit', 'delayUs', 'jitterUs', 'delayCorrelation', 'distribution', 'lossPercent', 'lossCorrelation', 'loss',
  'duplicatePercent', 'duplicateCorrelation', 'reorderPercent', 'reorderCorrelation', 'gap', 'corruptPercent', 'corruptCorrelation',
  'rate', 'slot', 'ecn'];

const TC_LIB_DIRS = [process.env.TC_LIB_DIR, '/usr/lib/tc', '/usr/lib64/tc', `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/tc`];

/** Reads one of tc's distribution tables (tc's get_distribution, without a shell). */
function distributionTable(v: string | number[], field: string): Buffer {
  let values: number[];
  if (Array.isArray(v)) values = v;
  else if (typeof v === 'string' && /^[a-z0-9_-]+$/i.test(v)) {
    const dir = TC_LIB_DIRS.find((d) => d && existsSync(`${d}/${v}.dist`));
    if (!dir) throw new ValidationError(field, `no distribution table ${JSON.stringify(v)} (looked for ${v}.dist in ${TC_LIB_DIRS.filter(Boolean).join(', ')})`);
    values = readFileSync(`${dir}/${v}.dist`, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).flatMap((l) => l.trim().split(/\s+/).filter(Boolean).map(Number));
  } else throw new ValidationError(field, 'expected a distribution name or an array of numbers');
  if (values.length === 0 || values.length > 16384) throw new ValidationError(field, 'a distribution table has 1–16384 entries');
  const b = Buffer.alloc(values.length * 2);
  values.forEach((x, i) => {
    if (!Number.isInteger(x) || x < -32768 || x > 32767) throw new ValidationError(`${field}[${i}]`, 'expected an integer −32768–32767');
    b.writeInt16LE(x, i * 2);
  });
  return b;
}

function pct(v: unknown, field: string): number {
  return v === undefined ? 0 : percentToU32(v, field);
}

function s64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(Math.round(v)));
  return b;
}

function timeUs(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ValidationError(field, `expected microseconds ≥ 0, got ${JSON.stringify(v)}`);
  return v;
}

/** netem codec. */
export const netemQdisc: KindCodec = {
  encode(w, opts: NetemOptions = {}, field) {
    checkKeys(opts, KEYS, field);
    const f = (k: string) => `${field}.${k}`;
    const delayUs = opts.delayUs !== undefined ? timeUs(opts.delayUs, f('delayUs')) : 0;
    const jitterUs = opts.jitterUs !== undefined ? timeUs(opts.jitterUs, f('jitterUs')) : 0;
    const limit = opts.limit !== undefined ? parseInt32(opts.limit, f('limit')) : 1000;
    const loss = pct(opts.lossPercent, f('lossPercent'));
    const duplicate = pct(opts.duplicatePercent, f('duplicatePercent'));
    const reorder = pct(opts.reorderPercent, f('reorderPercent'));
    let gap = opts.gap !== undefined ? parseInt32(opts.gap, f('gap')) : 0;
    if (reorder) {
      if (!delayUs) throw new ValidationError(f('reorderPercent'), 'reordering needs a delay');
      if (gap === 0) gap = 1;
    } else if (gap) throw new ValidationError(f('gap'), 'gap needs reorderPercent');
    if (opts.ecn !== undefined && typeof opts.ecn !== 'boolean') throw new ValidationError(f('ecn'), 'expected true or false');
    if (opts.ecn && !loss && !opts.loss) throw new ValidationError(f('ecn'), 'ecn needs a loss setting');
    const dist = opts.distribution !== undefined ? distributionTable(opts.distribution, f('distribution')) : undefined;
    if (dist && (!delayUs || !jitterUs)) throw new ValidationError(f('distribution'), 'a distribution needs delayUs and jitterUs');
    const qopt = Buffer.alloc(QOPT_SIZE);
    qopt.writeUInt32LE(Math.min(usToTicks(delayUs), 0xffff_ffff), 0);
    qopt.writeUInt32LE(limit, 4);
    qopt.writeUInt32LE(loss, 8);
    qopt.writeUInt32LE(gap, 12);
    qopt.writeUInt32LE(duplicate, 16);
    qopt.writeUInt32LE(Math.min(usToTicks(jitterUs), 0xffff_ffff), 20);
    // Not a nest: the struct comes first, then attributes (what netem_change parses).
    w.nestStart(TCA.OPTIONS, field, true);
    w.struct(QOPT_SIZE, (b, at) => qopt.copy(b, at));
    if (opts.delayUs !== undefined) w.bytes(TCA_NETEM_LATENCY64, s64(delayUs * 1000), f('delayUs'));
    if (opts.jitterUs !== undefined) w.bytes(TCA_NETEM_JITTER64, s64(jitterUs * 1000), f('jitterUs'));
    if (opts.delayCorrelation !== undefined || opts.lossCorrelation !== undefined || opts.duplicateCorrelation !== undefined) {
      const c = Buffer.alloc(12);
      c.writeUInt32LE(pct(opts.delayCorrelation, f('delayCorrelation')), 0);
      c.writeUInt32LE(pct(opts.lossCorrelation, f('lossCorrelation')), 4);
      c.writeUInt32LE(pct(opts.duplicateCorrelation, f('duplicateCorrelation')), 8);
      w.bytes(TCA_NETEM_CORR, c, field);
    }
    if (reorder || opts.reorderCorrelation !== undefined) {
      const r = Buffer.alloc(8);
      r.writeUInt32LE(reorder, 0);
      r.writeUInt32LE(pct(opts.reorderCorrelation, f('reorderCorrelation')), 4);
      w.bytes(TCA_NETEM_REORDER, r, f('reorderPercent'));
    }
    if (opts.ecn) w.u32(TCA_NETEM_ECN, 1, f('ecn'));
    if (opts.corruptPercent !== undefined || opts.corruptCorrelation !== undefined) {
      const c = Buffer.alloc(8);
      c.writeUInt32LE(pct(opts.corruptPercent, f('corruptPercent')), 0);
      c.writeUInt32LE(pct(opts.corruptCorrelation, f('corruptCorrelation')), 4);
      w.bytes(TCA_NETEM_CORRUPT, c, f('corruptPercent'));
    }
    if (opts.slot !== undefined) encodeSlot(w, opts.slot, f('slot'));
    if (opts.loss !== undefined) encodeLossModel(w, opts.loss, f('loss'));
    if (opts.rate !== undefined) {
      const rf = f('rate');
      checkKeys(opts.rate, ['rate', 'packetOverhead', 'cellSize', 'cellOverhead'], rf);
      if (opts.rate.rate === undefined) throw new ValidationError(`${rf}.rate`, 'expected a rate');
      const rate = parseRate(opts.rate.rate, `${rf}.rate`);
      if (rate > 0xffff_ffff) w.u64(TCA_NETEM_RATE64, rate, `${rf}.rate`);
      const b = Buffer.alloc(16);
      b.writeUInt32LE(Math.min(rate, 0xffff_ffff), 0);
      b.writeInt32LE(opts.rate.packetOverhead !== undefined ? parseInt32(opts.rate.packetOverhead, `${rf}.packetOverhead`, 0x7fff_ffff, -0x8000_0000) : 0, 4);
      b.writeUInt32LE(opts.rate.cellSize !== undefined ? parseInt32(opts.rate.cellSize, `${rf}.cellSize`) : 0, 8);
      b.writeInt32LE(opts.rate.cellOverhead !== undefined ? parseInt32(opts.rate.cellOverhead, `${rf}.cellOverhead`, 0x7fff_ffff, -0x8000_0000) : 0, 12);
      w.bytes(TCA_NETEM_RATE, b, rf);
    }
    if (dist) w.bytes(TCA_NETEM_DELAY_DIST, dist, f('distribution'));
    w.nestEnd();
  },
  decode(buf, off, len) {
    if (len < QOPT_SIZE) return {};
    const out: Record<string, unknown> = {};
    let latency64: number | undefined;
    let jitter64: number | undefined;
    out.limit = buf.readUInt32LE(off + 4);
    const loss = buf.readUInt32LE(off + 8);
    const gap = buf.readUInt32LE(off + 12);
    const duplicate = buf.readUInt32LE(off + 16);
    let rate64: number | undefined;
    let rate: Buffer | undefined;
    forEachAttr(buf, off + QOPT_SIZE, off + len, (type, o, l) => {
      switch (type) {
        case TCA_NETEM_LATENCY64: if (l >= 8) latency64 = Number(buf.readBigInt64LE(o)); break;
        case TCA_NETEM_JITTER64: if (l >= 8) jitter64 = Number(buf.readBigInt64LE(o)); break;
        case TCA_NETEM_CORR:
          if (l >= 12) {
            const [d, lo, du] = [buf.readUInt32LE(o), buf.readUInt32LE(o + 4), buf.readUInt32LE(o + 8)];
            if (d) out.delayCorrelation = u32ToPercent(d);
            if (lo) out.lossCorrelation = u32ToPercent(lo);
            if (du) out.duplicateCorrelation = u32ToPercent(du);
          }
          break;
        case TCA_NETEM_REORDER:
          if (l >= 8 && buf.readUInt32LE(o)) {
            out.reorderPercent = u32ToPercent(buf.readUInt32LE(o));
            if (buf.readUInt32LE(o + 4)) out.reorderCorrelation = u32ToPercent(buf.readUInt32LE(o + 4));
          }
          break;
        case TCA_NETEM_CORRUPT:
          if (l >= 8 && buf.readUInt32LE(o)) {
            out.corruptPercent = u32ToPercent(buf.readUInt32LE(o));
            if (buf.readUInt32LE(o + 4)) out.corruptCorrelation = u32ToPercent(buf.readUInt32LE(o + 4));
          }
          break;
        case TCA_NETEM_ECN: if (l >= 4 && buf.readUInt32LE(o)) out.ecn = true; break;
        case TCA_NETEM_RATE: if (l >= 16) rate = buf.subarray(o, o + 16); break;
        case TCA_NETEM_RATE64: if (l >= 8) rate64 = readU64(buf, o); break;
        case TCA_NETEM_SLOT: if (l >= 40) out.slot = decodeSlot(buf, o); break;
        case TCA_NETEM_LOSS: {
          const m = decodeLossModel(buf, o, l);
          if (m) out.loss = m;
          break;
        }
      }
    }, 'netem options');
    const delayUs = latency64 !== undefined ? latency64 / 1000 : ticksToUs(buf.readUInt32LE(off));
    const jitterUs = jitter64 !== undefined ? jitter64 / 1000 : ticksToUs(buf.readUInt32LE(off + 20));
    if (delayUs) out.delayUs = delayUs;
    if (jitterUs) out.jitterUs = jitterUs;
    if (loss) out.lossPercent = u32ToPercent(loss);
    if (duplicate) out.duplicatePercent = u32ToPercent(duplicate);
    if (out.reorderPercent !== undefined) out.gap = gap;
    if (rate) {
      const r: Record<string, unknown> = { rate: rateBits(rate64 ?? rate.readUInt32LE(0)) };
      if (rate.readInt32LE(4)) r.packetOverhead = rate.readInt32LE(4);
      if (rate.readUInt32LE(8)) r.cellSize = rate.readUInt32LE(8);
      if (rate.readInt32LE(12)) r.cellOverhead = rate.readInt32LE(12);
      if (r.rate) out.rate = r;
    }
    return out;
  },
};

const GE_KEYS = ['model', 'p', 'r', 'h', 'k1'];
const GI_KEYS = ['model', 'p13', 'p31', 'p32', 'p23', 'p14'];

function encodeLossModel(w: import('../../wire/message-writer').MessageWriter, m: NetemGeModel | NetemStateModel, field: string): void {
  if (m === null || typeof m !== 'object') throw new ValidationError(field, "expected { model: 'gemodel', p, … } or { model: 'state', p13, … }");
  w.nestStart(TCA_NETEM_LOSS, field);
  if (m.model === 'gemodel') {
    checkKeys(m, GE_KEYS, field);
    const b = Buffer.alloc(16);
    // tc's defaults: r = 100 − p, h and k1 = 0.
    const p = percentToU32(m.p, `${field}.p`);
    b.writeUInt32LE(p, 0);
    b.writeUInt32LE(m.r !== undefined ? percentToU32(m.r, `${field}.r`) : 0xffff_ffff - p, 4);
    b.writeUInt32LE(pct(m.h, `${field}.h`), 8);
    b.writeUInt32LE(pct(m.k1, `${field}.k1`), 12);
    w.bytes(NETEM_LOSS_GE, b, field);
  } else if (m.model === 'state') {
    checkKeys(m, GI_KEYS, field);
    const p13 = percentToU32(m.p13, `${field}.p13`);
    const b = Buffer.alloc(20);
    // tc's defaults when only p13 is given: p31 = 100 − p13, the rest 0.
    b.writeUInt32LE(p13, 0);
    b.writeUInt32LE(m.p31 !== undefined ? percentToU32(m.p31, `${field}.p31`) : 0xffff_ffff - p13, 4);
    b.writeUInt32LE(pct(m.p32, `${field}.p32`), 8);
    b.writeUInt32LE(pct(m.p14, `${field}.p14`), 12);
    b.writeUInt32LE(pct(m.p23, `${field}.p23`), 16);
    w.bytes(NETEM_LOSS_GI, b, field);
  } else {
    throw new ValidationError(`${field}.model`, "expected 'gemodel' or 'state'");
  }
  w.nestEnd();
}

function decodeLossModel(buf: Buffer, off: number, len: number): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  forEachAttr(buf, off, off + len, (type, o, l) => {
    if (type === NETEM_LOSS_GE && l >= 16) {
      out = { model: 'gemodel', p: u32ToPercent(buf.readUInt32LE(o)), r: u32ToPercent(buf.readUInt32LE(o + 4)), h: u32ToPercent(buf.readUInt32LE(o + 8)), k1: u32ToPercent(buf.readUInt32LE(o + 12)) };
    } else if (type === NETEM_LOSS_GI && l >= 20) {
      out = {
        model: 'state', p13: u32ToPercent(buf.readUInt32LE(o)), p31: u32ToPercent(buf.readUInt32LE(o + 4)), p32: u32ToPercent(buf.readUInt32LE(o + 8)),
        p14: u32ToPercent(buf.readUInt32LE(o + 12)), p23: u32ToPercent(buf.readUInt32LE(o + 16)),
      };
    }
  }, 'netem loss');
  return out;
}

const SLOT_KEYS = ['minDelayUs', 'maxDelayUs', 'distDelayUs', 'distJitterUs', 'maxPackets', 'maxBytes', 'distribution'];

function encodeSlot(w: import('../../wire/message-writer').MessageWriter, s: NetemSlot, field: string): void {
  checkKeys(s, SLOT_KEYS, field);
  const b = Buffer.alloc(40);
  const minUs = s.minDelayUs !== undefined ? timeUs(s.minDelayUs, `${field}.minDelayUs`) : 0;
  const maxUs = s.maxDelayUs !== undefined ? timeUs(s.maxDelayUs, `${field}.maxDelayUs`) : minUs;
  if (maxUs < minUs) throw new ValidationError(`${field}.maxDelayUs`, 'below minDelayUs');
  const dist = s.distribution !== undefined ? distributionTable(s.distribution, `${field}.distribution`) : undefined;
  if (dist && (s.distDelayUs === undefined || !s.distJitterUs)) throw new ValidationError(`${field}.distribution`, 'a slot distribution needs distDelayUs and distJitterUs');
  b.writeBigInt64LE(BigInt(Math.round(minUs * 1000)), 0);
  b.writeBigInt64LE(BigInt(Math.round(maxUs * 1000)), 8);
  b.writeInt32LE(s.maxPackets !== undefined ? parseInt32(s.maxPackets, `${field}.maxPackets`, 0x7fff_ffff) : 0, 16);
  b.writeInt32LE(s.maxBytes !== undefined ? parseInt32(s.maxBytes, `${field}.maxBytes`, 0x7fff_ffff) : 0, 20);
  b.writeBigInt64LE(BigInt(Math.round((s.distDelayUs !== undefined ? timeUs(s.distDelayUs, `${field}.distDelayUs`) : 0) * 1000)), 24);
  b.writeBigInt64LE(BigInt(Math.round((s.distJitterUs !== undefined ? timeUs(s.distJitterUs, `${field}.distJitterUs`) : 0) * 1000)), 32);
  w.bytes(TCA_NETEM_SLOT, b, field);
  if (dist) w.bytes(TCA_NETEM_SLOT_DIST, dist, `${field}.distribution`);
}

function decodeSlot(buf: Buffer, o: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const min = Number(buf.readBigInt64LE(o));
  const max = Number(buf.readBigInt64LE(o + 8));
  const dd = Number(buf.readBigInt64LE(o + 24));
  const dj = Number(buf.readBigInt64LE(o + 32));
  if (dd || dj) {
    out.distDelayUs = dd / 1000;
    out.distJitterUs = dj / 1000;
  } else {
    out.minDelayUs = min / 1000;
    out.maxDelayUs = max / 1000;
  }
  if (buf.readInt32LE(o + 16)) out.maxPackets = buf.readInt32LE(o + 16);
  if (buf.readInt32LE(o + 20)) out.maxBytes = buf.readInt32LE(o + 20);
  return out;
}
