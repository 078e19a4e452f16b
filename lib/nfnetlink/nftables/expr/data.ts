/**
 * Attribute value codecs shared by the expression schemas. nf_tables speaks network byte order
 * for its integer attributes (NLA_BE32 / NLA_BE64), unlike rtnetlink, and wraps values in
 * NFTA_DATA nests: NFTA_DATA_VALUE (bytes) or NFTA_DATA_VERDICT (code + chain).
 */
import { ValidationError } from '../../../errors';
import type { AttrSpec } from '../../../wire/attributes';
import { readString } from '../../../wire/attributes';
import type { MessageWriter } from '../../../wire/message-writer';
import type { Verdict } from '../datatypes';
import { be64 as be64Spec } from '../objects/common';

import { NFTA_DATA_VALUE, NFTA_DATA_VERDICT, NFTA_VERDICT_CHAIN, NFTA_VERDICT_CHAIN_ID, NFTA_VERDICT_CODE } from '../constants';

/** Big-endian u32 attribute (registers, keys, flags …). */
export const be32 = (name: string): AttrSpec => ({ name, type: 'u32be' });

/** Big-endian u16 attribute (log group, queue numbers). */
export const be16 = (name: string): AttrSpec => ({ name, type: 'u16be' });

/** u8 attribute (ct direction, reject icmp code, exthdr type). */
export const u8 = (name: string): AttrSpec => ({ name, type: 'u8' });

/** NUL-terminated string attribute (set names, log prefix). */
export const str = (name: string): AttrSpec => ({ name, type: 'string' });

/** Big-endian u64 attribute (counters, quota bytes, limit rate, dynset timeout). */
export const be64 = (name: string): AttrSpec => ({ name, ...be64Spec });

/** Signed big-endian 32-bit (verdict codes are negative for jump/goto/return). */
function readS32BE(buf: Buffer, off: number): number {
  return buf.readInt32BE(off);
}

/** Decodes an NFTA_DATA nest: bytes for a value, `{code, chain}` for a verdict, undefined when neither. */
export function decodeData(buf: Buffer, off: number, len: number): Buffer | Verdict | undefined {
  const end = off + len;
  let result: Buffer | Verdict | undefined;
  while (end - off >= 4) {
    const alen = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    if (alen < 4 || off + alen > end) return undefined;
    if (type === NFTA_DATA_VALUE) result = Buffer.from(buf.subarray(off + 4, off + alen));
    else if (type === NFTA_DATA_VERDICT) {
      const v: Verdict = { code: 0 };
      let p = off + 4;
      const vend = off + alen;
      while (vend - p >= 4) {
        const l = buf.readUInt16LE(p);
        const t = buf.readUInt16LE(p + 2) & 0x3fff;
        if (l < 4 || p + l > vend) break;
        if (t === NFTA_VERDICT_CODE && l >= 8) v.code = readS32BE(buf, p + 4);
        else if (t === NFTA_VERDICT_CHAIN) v.chain = readString(buf, p + 4, l - 4);
        p += (l + 3) & ~3;
      }
      result = v;
    }
    off += (alen + 3) & ~3;
  }
  return result;
}

/** Writes an NFTA_DATA nest holding a value (Buffer) or a verdict (`{code, chain}`). */
export function encodeData(w: MessageWriter, type: number, value: unknown, field: string): void {
  w.nestStart(type, field);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    w.bytes(NFTA_DATA_VALUE, value, field);
  } else if (value && typeof value === 'object' && 'code' in value) {
    const v = value as Verdict & { chainId?: number };
    w.nestStart(NFTA_DATA_VERDICT, field);
    w.u32be(NFTA_VERDICT_CODE, v.code >>> 0, field); // the signed code's bytes
    if (v.chain !== undefined) w.string(NFTA_VERDICT_CHAIN, v.chain, field);
    if (v.chainId !== undefined) w.u32be(NFTA_VERDICT_CHAIN_ID, v.chainId, field);
    w.nestEnd();
  } else {
    throw new ValidationError(field, 'expected data bytes or a verdict');
  }
  w.nestEnd();
}

/** NFTA_DATA attribute: a value or a verdict. */
export const data = (name: string): AttrSpec => ({ name, type: 'nested', decode: decodeData, encode: encodeData });
