/**
 * nf_tables expression codec at the byte level, without root: NFTA_LIST_ELEM { NFTA_EXPR_NAME,
 * NFTA_EXPR_DATA } with each expression's attributes in network byte order, nested NFTA_DATA
 * values and verdicts, unknown expressions and attributes kept verbatim, and round trips of
 * every expression schema.
 */
import { describe, expect, it } from 'vitest';
import { decodeExprs, encodeExprs, exprSchema, type Expr } from '../../lib/nfnetlink/nftables/expr/codec';
import { EXPR_SCHEMAS, registerOfSlot, slotOfRegister } from '../../lib/nfnetlink/nftables/expr/schemas';
import { MessageWriter } from '../../lib/wire/message-writer';
import { attr } from '../helpers/fake-kernel';

const NLA_F_NESTED = 0x8000;
const nest = (type: number, ...children: Buffer[]) => attr(type | NLA_F_NESTED, Buffer.concat(children));
const str = (type: number, s: string) => attr(type, Buffer.from(`${s}\0`));
const be32 = (type: number, n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return attr(type, b);
};
const s32 = (type: number, n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return attr(type, b);
};
const elem = (name: string, ...data: Buffer[]) => nest(1, str(1, name), nest(2, ...data));

/** Encodes expressions the way a rule carries them and returns the list payload. */
function encode(exprs: Expr[]): Buffer {
  const w = new MessageWriter(0, 0);
  encodeExprs(w, exprs);
  return Buffer.from(w.finish().bytes.subarray(16));
}

describe('expression list bytes', () => {
  // `ip saddr 10.0.0.1 accept` in an ip table, as nft sends it.
  const fixture = Buffer.concat([
    elem('payload', be32(1, 1), be32(2, 1), be32(3, 12), be32(4, 4)),
    elem('cmp', be32(1, 1), be32(2, 0), nest(3, attr(1, Buffer.from([10, 0, 0, 1])))),
    elem('immediate', be32(1, 0), nest(2, nest(2, s32(1, 1)))),
  ]);
  const exprs: Expr[] = [
    { name: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
    { name: 'cmp', sreg: 1, op: 0, data: Buffer.from([10, 0, 0, 1]) },
    { name: 'immediate', dreg: 0, data: { code: 1 } },
  ];

  it('encodes registers, bases and offsets big-endian, values inside NFTA_DATA nests', () => {
    expect(encode(exprs).toString('hex')).toBe(fixture.toString('hex'));
  });

  it('decodes the same bytes back', () => {
    expect(decodeExprs(fixture, 0, fixture.length)).toEqual(exprs);
  });

  it('jump verdicts carry the chain name and a negative code', () => {
    const jump: Expr[] = [{ name: 'immediate', dreg: 0, data: { code: -3, chain: 'web' } }];
    const bytes = encode(jump);
    expect(bytes.toString('hex')).toBe(elem('immediate', be32(1, 0), nest(2, nest(2, s32(1, -3), str(2, 'web')))).toString('hex'));
    expect(decodeExprs(bytes, 0, bytes.length)).toEqual(jump);
  });

  it('u64 attributes (counter, quota, limit) are big-endian 8-byte values', () => {
    const bytes = encode([{ name: 'counter', bytes: 0x1_0000_0002, packets: 3 }]);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(0x1_0000_0002n);
    const p = Buffer.alloc(8);
    p.writeBigUInt64BE(3n);
    expect(bytes.toString('hex')).toBe(elem('counter', attr(1, b), attr(2, p)).toString('hex'));
  });
});

describe('tolerant decoding', () => {
  it('keeps an unknown expression as its raw NFTA_EXPR_DATA and re-encodes it byte for byte', () => {
    const bytes = elem('frobnicate', be32(1, 7), str(2, 'x'));
    const [e] = decodeExprs(bytes, 0, bytes.length);
    expect(e!.name).toBe('frobnicate');
    expect(Buffer.isBuffer(e!.raw)).toBe(true);
    expect(encode([e!]).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('keeps unknown attributes of a known expression and writes them back', () => {
    const bytes = elem('meta', be32(1, 1), be32(2, 3), be32(9, 42));
    const [e] = decodeExprs(bytes, 0, bytes.length);
    expect(e).toMatchObject({ name: 'meta', dreg: 1, key: 3 });
    expect(e!.unknown).toEqual([{ type: 9, data: Buffer.from([0, 0, 0, 42]) }]);
    expect(encode([e!]).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('refuses to encode a made-up expression without raw data', () => {
    expect(() => encode([{ name: 'nonsense' }])).toThrow(/unknown nft expression "nonsense"/);
  });
});

describe('every expression schema round-trips', () => {
  const samples: Record<string, Expr> = {
    immediate: { name: 'immediate', dreg: 1, data: Buffer.from('0a000001', 'hex') },
    payload: { name: 'payload', sreg: 1, base: 1, offset: 16, len: 4, csumType: 1, csumOffset: 10, csumFlags: 1 },
    meta: { name: 'meta', key: 3, sreg: 1 },
    ct: { name: 'ct', dreg: 1, key: 19, direction: 1 },
    cmp: { name: 'cmp', sreg: 1, op: 5, data: Buffer.from([0, 80]) },
    bitwise: { name: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: Buffer.from('ffffff00', 'hex'), xor: Buffer.alloc(4) },
    byteorder: { name: 'byteorder', sreg: 1, dreg: 1, op: 1, len: 4, size: 4 },
    range: { name: 'range', sreg: 1, op: 1, from: Buffer.from([0, 1]), to: Buffer.from([0, 100]) },
    lookup: { name: 'lookup', set: '__set%d', sreg: 1, dreg: 0, setId: 7, flags: 1 },
    counter: { name: 'counter', bytes: 10, packets: 1 },
    limit: { name: 'limit', rate: 1048576, unit: 1, burst: 2097152, type: 1, flags: 1 },
    log: { name: 'log', group: 2, prefix: 'in: ', snaplen: 64, qthreshold: 5, level: 6, flags: 0x2f },
    reject: { name: 'reject', type: 2, icmpCode: 1 },
    nat: { name: 'nat', type: 1, family: 2, regAddrMin: 1, regAddrMax: 2, regProtoMin: 3, regProtoMax: 4, flags: 3 },
    masq: { name: 'masq', flags: 0x1c, regProtoMin: 1, regProtoMax: 2 },
    redir: { name: 'redir', regProtoMin: 1, regProtoMax: 1, flags: 2 },
    quota: { name: 'quota', bytes: 104857600, flags: 1, consumed: 5 },
    fib: { name: 'fib', dreg: 1, result: 3, flags: 2 },
    numgen: { name: 'numgen', dreg: 1, modulus: 4, type: 1, offset: 1 },
    hash: { name: 'hash', sreg: 2, dreg: 1, len: 4, modulus: 2, seed: 0xdead, offset: 0, type: 0 },
    notrack: { name: 'notrack' },
    flow_offload: { name: 'flow_offload', table: 'ft' },
    objref: { name: 'objref', immType: 1, immName: 'cnt1' },
    exthdr: { name: 'exthdr', dreg: 1, type: 2, offset: 2, len: 2, flags: 0, op: 1 },
    socket: { name: 'socket', key: 0, dreg: 1, level: 0 },
    rt: { name: 'rt', dreg: 1, key: 3 },
    queue: { name: 'queue', num: 1, total: 2, flags: 1 },
    dup: { name: 'dup', sregAddr: 1, sregDev: 2 },
    fwd: { name: 'fwd', sregDev: 1, sregAddr: 2, nfproto: 2 },
    tproxy: { name: 'tproxy', family: 2, regAddr: 1, regPort: 2 },
    connlimit: { name: 'connlimit', count: 10, flags: 1 },
    synproxy: { name: 'synproxy', mss: 1460, wscale: 7, flags: 3 },
    last: { name: 'last', set: 1, msecs: 1234 },
    xfrm: { name: 'xfrm', dreg: 1, key: 6, dir: 0, spnum: 0 },
    dynset: {
      name: 'dynset', set: 'seen', setId: 3, op: 1, sregKey: 1, timeout: 60000, flags: 0,
      expr: { name: 'counter', bytes: 0, packets: 0 },
    },
  };

  it('covers every schema', () => {
    expect(Object.keys(samples).sort()).toEqual([...EXPR_SCHEMAS.keys(), 'dynset'].sort());
    expect(exprSchema('dynset')).toBeDefined();
  });

  for (const [name, e] of Object.entries(samples)) {
    it(`${name}`, () => {
      const bytes = encode([e]);
      expect(decodeExprs(bytes, 0, bytes.length)).toEqual([e]);
      // And the bytes are stable through a second round.
      expect(encode(decodeExprs(bytes, 0, bytes.length)).toString('hex')).toBe(bytes.toString('hex'));
    });
  }
});

describe('registers', () => {
  it('names 32-bit slots as nft does: 16-byte registers where a slot starts one', () => {
    expect([0, 1, 2, 3, 4, 5, 8].map(registerOfSlot)).toEqual([1, 9, 10, 11, 2, 13, 3]);
    expect([1, 9, 2, 12, 3].map(slotOfRegister)).toEqual([0, 1, 4, 4, 8]);
  });
});
