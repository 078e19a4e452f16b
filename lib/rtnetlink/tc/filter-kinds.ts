/**
 * Filter kinds: where each keeps its class id, actions and policer, and how its own options
 * travel. u32 and flower have files of their own; matchall, fw, basic and bpf are small.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { forEachAttr, readString } from '../../wire/attributes';
import type { MessageWriter } from '../../wire/message-writer';
import { decodeActions, decodePolice, encodeActions, encodePolice, type Action, type ActionSpec, type PoliceOptions } from './actions';
import { decodeFlower, encodeFlower, TCA_FLOWER_ACT, TCA_FLOWER_CLASSID } from './filter-flower';
import { decodeU32, encodeU32 } from './filter-u32';
import type { EncodeContext } from './kind';
import { parseInt32 } from './units';

/** What every filter kind may carry besides its own options. */
export interface FilterCommon {
  classid?: number;
  actions?: ActionSpec[];
  police?: PoliceOptions;
  /** The filter's ethertype (flower matches on it). */
  ethType: number;
}

/** What a decoded filter's options came with. */
export interface FilterDecoded {
  options: Record<string, unknown>;
  classid?: number;
  actions?: Action[];
  police?: Record<string, unknown>;
}

/** One filter kind's codec (writes and reads the inside of TCA_OPTIONS). */
export interface FilterCodec {
  encode(w: MessageWriter, opts: any, field: string, common: FilterCommon, ctx: EncodeContext): void;
  decode(buf: Buffer, off: number, len: number, protocol: string | number | undefined): FilterDecoded;
  /** The kind has no options object of its own (`matchall` with `skipSw` is still allowed one). */
  optionKeys?: readonly string[];
}

/** Attribute numbers of a simple kind's common parts. */
interface CommonAttrs { classid?: number; act?: number; police?: number; flags?: number; indev?: number; mask?: number }

function writeCommon(w: MessageWriter, a: CommonAttrs, common: FilterCommon, ctx: EncodeContext): void {
  if (common.classid !== undefined) {
    if (a.classid === undefined) throw new ValidationError('classid', 'this filter kind does not classify');
    w.u32(a.classid, common.classid, 'classid');
  }
  if (common.police !== undefined) {
    if (a.police === undefined) throw new ValidationError('police', 'this filter kind takes a police action in actions');
    w.nestStart(a.police, 'police');
    encodePolice(w, common.police, 'police');
    w.nestEnd();
  }
  if (common.actions !== undefined && common.actions.length) {
    if (a.act === undefined) throw new ValidationError('actions', 'this filter kind takes no actions');
    encodeActions(w, a.act, common.actions, 'actions', ctx);
  }
}

function readCommon(buf: Buffer, off: number, len: number, a: CommonAttrs, out: FilterDecoded, each?: (t: number, o: number, l: number) => void): void {
  forEachAttr(buf, off, off + len, (t, o, l) => {
    if (t === a.classid && l >= 4) out.classid = buf.readUInt32LE(o);
    else if (t === a.act) out.actions = decodeActions(buf, o, l);
    else if (t === a.police) out.police = decodePolice(buf, o, l);
    else if (t === a.flags && l >= 4) {
      const f = buf.readUInt32LE(o);
      if (f & 1) out.options.skipHw = true;
      if (f & 2) out.options.skipSw = true;
      if (f & 4) out.options.inHw = true;
    } else if (t === a.indev) out.options.indev = readString(buf, o, l);
    else each?.(t, o, l);
  }, 'filter options');
}

function flagsAttr(w: MessageWriter, attr: number, o: { skipSw?: boolean; skipHw?: boolean }, field: string): void {
  if (o.skipSw !== undefined || o.skipHw !== undefined) w.u32(attr, (o.skipHw ? 1 : 0) | (o.skipSw ? 2 : 0), field);
}

/** matchall options: only offload flags. */
export interface MatchallOptions {
  skipSw?: boolean;
  skipHw?: boolean;
}

const MATCHALL: CommonAttrs = { classid: 1, act: 2, flags: 3 };
const matchall: FilterCodec = {
  encode(w, o: MatchallOptions = {}, field, common, ctx) {
    checkKeys(o, ['skipSw', 'skipHw', 'inHw'], field);
    flagsAttr(w, 3, o, field);
    writeCommon(w, MATCHALL, common, ctx);
  },
  decode(buf, off, len) {
    const out: FilterDecoded = { options: {} };
    readCommon(buf, off, len, MATCHALL, out);
    return out;
  },
};

/** fw options: the filter's handle is the fwmark; `mask` narrows it (`handle 5/0xff`). */
export interface FwOptions {
  mask?: number;
  indev?: string;
}

const FW: CommonAttrs = { classid: 1, police: 2, indev: 3, act: 4 };
const fw: FilterCodec = {
  encode(w, o: FwOptions = {}, field, common, ctx) {
    checkKeys(o, ['mask', 'indev'], field);
    if (o.indev !== undefined) w.string(3, o.indev, `${field}.indev`);
    if (o.mask !== undefined) w.u32(5, parseInt32(o.mask, `${field}.mask`), `${field}.mask`);
    writeCommon(w, FW, common, ctx);
  },
  decode(buf, off, len) {
    const out: FilterDecoded = { options: {} };
    readCommon(buf, off, len, FW, out, (t, o, l) => { if (t === 5 && l >= 4) out.options.mask = buf.readUInt32LE(o); });
    return out;
  },
};

/** basic options: ematch trees travel raw (`ematches`, the TCA_BASIC_EMATCHES payload); without one it matches everything. */
export interface BasicOptions {
  ematches?: Buffer;
}

const BASIC: CommonAttrs = { classid: 1, act: 3, police: 4 };
const basic: FilterCodec = {
  encode(w, o: BasicOptions = {}, field, common, ctx) {
    checkKeys(o, ['ematches'], field);
    if (o.ematches !== undefined) {
      if (!Buffer.isBuffer(o.ematches)) throw new ValidationError(`${field}.ematches`, 'expected the TCA_BASIC_EMATCHES payload as a Buffer');
      w.nestStart(2, `${field}.ematches`);
      w.struct(o.ematches.length, (b, at) => o.ematches!.copy(b, at));
      w.nestEnd();
    }
    writeCommon(w, BASIC, common, ctx);
  },
  decode(buf, off, len) {
    const out: FilterDecoded = { options: {} };
    readCommon(buf, off, len, BASIC, out, (t, o, l) => { if (t === 2) out.options.ematches = Buffer.from(buf.subarray(o, o + l)); });
    return out;
  },
};

/**
 * bpf options: an eBPF program pinned on a bpf filesystem (`bpf object-pinned PATH`), or loaded
 * and held by fd (`bpf fd N`), or a classic BPF program (`bpf bytecode '…'`: `ops` as
 * [code, jt, jf, k] instructions); its name, and direct-action mode (`da`).
 */
export interface BpfOptions {
  /** Path of a pinned program (opened for the request, closed after it; the filter keeps the program). */
  pinned?: string;
  fd?: number;
  ops?: [number, number, number, number][];
  /** The name tc shows (`name`); default 'netlinkjs'. */
  name?: string;
  directAction?: boolean;
  skipSw?: boolean;
  skipHw?: boolean;
}

const BPF: CommonAttrs = { classid: 3, act: 1, police: 2 };
const bpf: FilterCodec = {
  encode(w, o: BpfOptions, field, common, ctx) {
    checkKeys(o, ['fd', 'ops', 'name', 'directAction', 'skipSw', 'skipHw', 'id', 'tag', 'inHw'], field);
    if (!o || (o.fd === undefined) === (o.ops === undefined)) throw new ValidationError(`${field}.fd`, 'a bpf filter runs one program: a pinned path, the fd of a loaded one, or classic BPF ops');
    if (o.ops !== undefined) {
      if (!Array.isArray(o.ops) || o.ops.length === 0 || o.ops.length > 4096) throw new ValidationError(`${field}.ops`, 'expected 1–4096 [code, jt, jf, k] instructions');
      const b = Buffer.alloc(o.ops.length * 8);
      o.ops.forEach((ins, i) => {
        const f = `${field}.ops[${i}]`;
        if (!Array.isArray(ins) || ins.length !== 4) throw new ValidationError(f, 'expected [code, jt, jf, k]');
        b.writeUInt16LE(parseInt32(ins[0], f, 0xffff), i * 8);
        b[i * 8 + 2] = parseInt32(ins[1], f, 255);
        b[i * 8 + 3] = parseInt32(ins[2], f, 255);
        b.writeUInt32LE(parseInt32(ins[3], f), i * 8 + 4);
      });
      w.u16(4, o.ops.length, `${field}.ops`);
      w.bytes(5, b, `${field}.ops`);
    } else {
      w.u32(6, parseInt32(o.fd, `${field}.fd`, 0x7fff_ffff), `${field}.fd`);
      w.string(7, o.name ?? 'netlinkjs', `${field}.name`);
    }
    if (o.directAction) w.u32(8, 1, `${field}.directAction`);
    flagsAttr(w, 9, o, field);
    writeCommon(w, BPF, common, ctx);
  },
  decode(buf, off, len) {
    const out: FilterDecoded = { options: {} };
    readCommon(buf, off, len, BPF, out, (t, o, l) => {
      if (t === 7) out.options.name = readString(buf, o, l);
      else if (t === 5) {
        const ops: number[][] = [];
        for (let i = 0; i + 8 <= l; i += 8) ops.push([buf.readUInt16LE(o + i), buf[o + i + 2]!, buf[o + i + 3]!, buf.readUInt32LE(o + i + 4)]);
        out.options.ops = ops;
      }
      else if (t === 8 && l >= 4) out.options.directAction = (buf.readUInt32LE(o) & 1) !== 0;
      else if (t === 9 && l >= 4) { const f = buf.readUInt32LE(o); if (f & 1) out.options.skipHw = true; if (f & 2) out.options.skipSw = true; if (f & 4) out.options.inHw = true; }
      else if (t === 10) out.options.tag = buf.subarray(o, o + l).toString('hex');
      else if (t === 11 && l >= 4) out.options.id = buf.readUInt32LE(o);
    });
    return out;
  },
};

const u32: FilterCodec = {
  encode: (w, o = {}, field, common, ctx) => encodeU32(w, o, field, common.classid, common.actions, common.police, ctx),
  decode(buf, off, len, protocol) {
    const r = decodeU32(buf, off, len, protocol);
    return r as FilterDecoded;
  },
};

const FLOWER: CommonAttrs = { classid: TCA_FLOWER_CLASSID, act: TCA_FLOWER_ACT };
const flower: FilterCodec = {
  encode(w, o = {}, field, common, ctx) {
    encodeFlower(w, o, field, common.ethType);
    writeCommon(w, FLOWER, common, ctx);
  },
  decode(buf, off, len) {
    const out: FilterDecoded = { options: decodeFlower(buf, off, len) };
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === TCA_FLOWER_CLASSID && l >= 4) out.classid = buf.readUInt32LE(o);
      else if (t === TCA_FLOWER_ACT) out.actions = decodeActions(buf, o, l);
    }, 'flower');
    return out;
  },
};

/** Filter kinds with typed options. */
export const FILTER_CODECS: Record<string, FilterCodec> = { u32, flower, matchall, fw, basic, bpf };
