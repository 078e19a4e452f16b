/**
 * Register-level nf_tables expressions: one attribute schema per expression (the
 * NFTA_<X>_* table inside NFTA_EXPR_DATA, numbers from include/uapi/linux/netfilter/nf_tables.h)
 * drives both encoding and decoding. An expression is `{ name, ...attributes }`, e.g.
 * `{ name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 }`.
 */
import { defineSchema, type Schema } from '../../../wire/attributes';
import { be16, be32, be64, data, str, u8 } from './data';

// Registers. The 16-byte registers 1–4 overlay the 32-bit registers 8–23 (reg N = reg32 8+4(N-1)).
/** Verdict register. */
export const NFT_REG_VERDICT = 0;
/** First 16-byte data register. */
export const NFT_REG_1 = 1;
/** First 32-bit data register (concatenations put one member per 32-bit register). */
export const NFT_REG32_00 = 8;

/**
 * The register number nft writes for 32-bit slot `i` counted from reg 1: a 16-byte register
 * when the slot starts one (for compatibility with old kernels), else NFT_REG32_00 + i.
 */
export function registerOfSlot(i: number): number {
  return i % 4 === 0 ? NFT_REG_1 + i / 4 : NFT_REG32_00 + i;
}

/** The 32-bit slot (counted from reg 1) a register number starts at. */
export function slotOfRegister(reg: number): number {
  return reg >= NFT_REG32_00 ? reg - NFT_REG32_00 : (reg - NFT_REG_1) * 4;
}

/** Payload bases (NFT_PAYLOAD_*_HEADER). */
export const PAYLOAD_BASE = { ll: 0, network: 1, transport: 2, inner: 3 } as const;

/** cmp operators (NFT_CMP_*), indexed by the JSON operator. */
export const CMP_OPS: Readonly<Record<string, number>> = { '==': 0, '!=': 1, '<': 2, '<=': 3, '>': 4, '>=': 5 };

/** NFT_LOOKUP_F_INV. */
export const NFT_LOOKUP_F_INV = 1;

/** The attribute schemas, by expression name. */
export const EXPR_SCHEMAS: ReadonlyMap<string, Schema> = new Map<string, Schema>([
  ['immediate', defineSchema('immediate', { 1: be32('dreg'), 2: data('data') })],
  ['payload', defineSchema('payload', {
    1: be32('dreg'), 2: be32('base'), 3: be32('offset'), 4: be32('len'), 5: be32('sreg'),
    6: be32('csumType'), 7: be32('csumOffset'), 8: be32('csumFlags'),
  })],
  ['meta', defineSchema('meta', { 1: be32('dreg'), 2: be32('key'), 3: be32('sreg') })],
  ['ct', defineSchema('ct', { 1: be32('dreg'), 2: be32('key'), 3: u8('direction'), 4: be32('sreg') })],
  ['cmp', defineSchema('cmp', { 1: be32('sreg'), 2: be32('op'), 3: data('data') })],
  ['bitwise', defineSchema('bitwise', {
    1: be32('sreg'), 2: be32('dreg'), 3: be32('len'), 4: data('mask'), 5: data('xor'), 6: be32('op'), 7: data('data'),
  })],
  ['byteorder', defineSchema('byteorder', { 1: be32('sreg'), 2: be32('dreg'), 3: be32('op'), 4: be32('len'), 5: be32('size') })],
  ['range', defineSchema('range', { 1: be32('sreg'), 2: be32('op'), 3: data('from'), 4: data('to') })],
  ['lookup', defineSchema('lookup', { 1: str('set'), 2: be32('sreg'), 3: be32('dreg'), 4: be32('setId'), 5: be32('flags') })],
  ['counter', defineSchema('counter', { 1: be64('bytes'), 2: be64('packets') })],
  ['limit', defineSchema('limit', { 1: be64('rate'), 2: be64('unit'), 3: be32('burst'), 4: be32('type'), 5: be32('flags') })],
  ['log', defineSchema('log', {
    1: be16('group'), 2: str('prefix'), 3: be32('snaplen'), 4: be16('qthreshold'), 5: be32('level'), 6: be32('flags'),
  })],
  ['reject', defineSchema('reject', { 1: be32('type'), 2: u8('icmpCode') })],
  ['nat', defineSchema('nat', {
    1: be32('type'), 2: be32('family'), 3: be32('regAddrMin'), 4: be32('regAddrMax'),
    5: be32('regProtoMin'), 6: be32('regProtoMax'), 7: be32('flags'),
  })],
  ['masq', defineSchema('masq', { 1: be32('flags'), 2: be32('regProtoMin'), 3: be32('regProtoMax') })],
  ['redir', defineSchema('redir', { 1: be32('regProtoMin'), 2: be32('regProtoMax'), 3: be32('flags') })],
  ['quota', defineSchema('quota', { 1: be64('bytes'), 2: be32('flags'), 4: be64('consumed') })],
  ['fib', defineSchema('fib', { 1: be32('dreg'), 2: be32('result'), 3: be32('flags') })],
  ['numgen', defineSchema('numgen', {
    1: be32('dreg'), 2: be32('modulus'), 3: be32('type'), 4: be32('offset'), 5: str('setName'), 6: be32('setId'),
  })],
  ['hash', defineSchema('hash', {
    1: be32('sreg'), 2: be32('dreg'), 3: be32('len'), 4: be32('modulus'), 5: be32('seed'), 6: be32('offset'),
    7: be32('type'), 8: str('setName'), 9: be32('setId'),
  })],
  ['notrack', defineSchema('notrack', {})],
  ['flow_offload', defineSchema('flow_offload', { 1: str('table') })],
  ['objref', defineSchema('objref', {
    1: be32('immType'), 2: str('immName'), 3: be32('setSreg'), 4: str('setName'), 5: be32('setId'),
  })],
  ['exthdr', defineSchema('exthdr', {
    1: be32('dreg'), 2: u8('type'), 3: be32('offset'), 4: be32('len'), 5: be32('flags'), 6: be32('op'), 7: be32('sreg'),
  })],
  ['socket', defineSchema('socket', { 1: be32('key'), 2: be32('dreg'), 3: be32('level') })],
  ['rt', defineSchema('rt', { 1: be32('dreg'), 2: be32('key') })],
  ['queue', defineSchema('queue', { 1: be16('num'), 2: be16('total'), 3: be16('flags'), 4: be32('sregQnum') })],
  ['dup', defineSchema('dup', { 1: be32('sregAddr'), 2: be32('sregDev') })],
  ['fwd', defineSchema('fwd', { 1: be32('sregDev'), 2: be32('sregAddr'), 3: be32('nfproto') })],
  ['tproxy', defineSchema('tproxy', { 1: be32('family'), 2: be32('regAddr'), 3: be32('regPort') })],
  ['connlimit', defineSchema('connlimit', { 1: be32('count'), 2: be32('flags') })],
  ['synproxy', defineSchema('synproxy', { 1: be16('mss'), 2: u8('wscale'), 3: be32('flags') })],
  ['last', defineSchema('last', { 1: be32('set'), 2: be64('msecs') })],
  ['xfrm', defineSchema('xfrm', { 1: be32('dreg'), 2: be32('key'), 3: u8('dir'), 4: be32('spnum') })],
]);
