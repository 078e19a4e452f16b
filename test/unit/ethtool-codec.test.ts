/**
 * ethtool codecs: bitsets in both forms, string sets, and the `ethtool -k` view of features
 * (legacy names and their member features) built from the kernel's feature names.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { bitOn, decodeBitset, encodeBitsetChanges, encodeBitsetList, setBits } from '../../lib/genetlink/ethtool/bitset';
import { decodeStringSet } from '../../lib/genetlink/ethtool/ethtool';
import { expandFeatureChanges, featuresView, flagPatternMatch } from '../../lib/genetlink/ethtool/features';
import { GENL_ATTRS_AT, genlWriter } from '../../lib/genetlink/genl-message';

const words = (...w: number[]) => Uint32Array.from(w);

function nestPayload(build: (w: ReturnType<typeof genlWriter>) => void): { buf: Buffer; off: number; len: number } {
  const w = genlWriter(21, 1, 1);
  w.nestStart(9);
  build(w);
  w.nestEnd();
  const buf = Buffer.from(w.finish().bytes);
  return { buf, off: GENL_ATTRS_AT + 4, len: buf.readUInt16LE(GENL_ATTRS_AT) - 4 };
}

describe('ethtool bitsets', () => {
  it('decodes the compact form (size, value and mask words)', () => {
    const { buf, off, len } = nestPayload((w) => {
      w.u32(2, 40);
      w.bytes(4, Buffer.from(words(0x5, 0x80).buffer));
      w.bytes(5, Buffer.from(words(0x7, 0x80).buffer));
    });
    const b = decodeBitset(buf, off, len);
    expect(b.size).toBe(40);
    expect(setBits(b.value, b.size)).toEqual([0, 2, 39]);
    expect(setBits(b.mask!, b.size)).toEqual([0, 1, 2, 39]);
  });

  it('decodes the verbose form with names, with and without a mask', () => {
    const verbose = (nomask: boolean) => nestPayload((w) => {
      if (nomask) w.flag(1);
      w.u32(2, 3);
      w.nestStart(3);
      for (const [i, name, on] of [[0, '10baseT/Half', true], [2, '100baseT/Full', false]] as const) {
        w.nestStart(1).u32(1, i).string(2, name);
        if (on) w.flag(3);
        w.nestEnd();
      }
      w.nestEnd();
    });
    const m = verbose(false);
    const b = decodeBitset(m.buf, m.off, m.len);
    expect(setBits(b.value, b.size)).toEqual([0]);
    expect(setBits(b.mask!, b.size)).toEqual([0, 2]);
    expect(b.names.get(2)).toBe('100baseT/Full');
    const n = verbose(true);
    const c = decodeBitset(n.buf, n.off, n.len);
    expect(setBits(c.value, c.size)).toEqual([0, 2]);
    expect(c.mask).toBeUndefined();
  });

  it('encodes changes by name (no mask flag) and exact lists (NOMASK)', () => {
    const w = genlWriter(21, 12, 1);
    encodeBitsetChanges(w, 3, new Map([['rx-gro', false], ['tx-sg', true]]), 'features');
    const b = w.finish().bytes;
    // WANTED { BITS { BIT { NAME 'rx-gro' } BIT { NAME 'tx-sg' VALUE } } }: no NOMASK, so only these change.
    expect(b.readUInt16LE(GENL_ATTRS_AT + 6) & 0x3fff).toBe(3);
    const sg = b.indexOf(Buffer.from('tx-sg\0'));
    expect(b.readUInt16LE(sg + 10) & 0x3fff).toBe(3); // the VALUE flag after the 6-byte name padded to 8
    expect(b.readUInt16LE(b.indexOf(Buffer.from('rx-gro\0')) + 10) & 0x3fff).toBe(1); // next BIT nest: no VALUE
    const w2 = genlWriter(21, 32, 1);
    encodeBitsetList(w2, 3, ['eth-mac'], 'groups');
    const b2 = w2.finish().bytes;
    expect(b2.readUInt16LE(GENL_ATTRS_AT + 6)).toBe(1); // NOMASK first
    expect(b2.includes(Buffer.from('eth-mac\0'))).toBe(true);
    expect(b.includes(Buffer.from('rx-gro\0'))).toBe(true);
  });

  it('reads bits past the end as clear', () => {
    expect(bitOn(words(1), 0)).toBe(true);
    expect(bitOn(words(1), 64)).toBe(false);
    expect(bitOn(undefined, 0)).toBe(false);
  });
});

describe('string sets', () => {
  it('decodes the strings of the set asked for, by index', () => {
    const w = genlWriter(21, 1, 1);
    w.nestStart(1).nestEnd();
    w.nestStart(2);
    for (const [id, strings] of [[4, [[1, 'tx-sg'], [0, 'tx-csum']]], [9, [[0, 'other']]]] as const) {
      w.nestStart(1).u32(1, id).u32(2, strings.length).nestStart(3);
      for (const [i, s] of strings) w.nestStart(1).u32(1, i).string(2, s).nestEnd();
      w.nestEnd().nestEnd();
    }
    w.nestEnd();
    const b = w.finish().bytes;
    expect(decodeStringSet(b, GENL_ATTRS_AT, b.length, 4)).toEqual(['tx-csum', 'tx-sg']);
    expect(decodeStringSet(b, GENL_ATTRS_AT, b.length, 9)).toEqual(['other']);
  });
});

describe('features as ethtool -k names them', () => {
  const names = ['tx-scatter-gather', 'tx-checksum-ipv4', 'tx-checksum-ip-generic', 'rx-gro', 'tx-tcp-segmentation', 'tx-tcp6-segmentation', 'highdma', 'rx-checksum', ''];
  const bits = { hw: words(0b0_0011_1101), wanted: words(0b0_0111_1101), active: words(0b1_1101_1101), nochange: words(0) };

  it('matches ethtool patterns with one star', () => {
    expect(flagPatternMatch('tx-tcp6-segmentation', 'tx-tcp*-segmentation')).toBe(true);
    expect(flagPatternMatch('tx-tcp-segmentation', 'tx-tcp*-segmentation')).toBe(true);
    expect(flagPatternMatch('tx-udp-segmentation', 'tx-tcp*-segmentation')).toBe(false);
    expect(flagPatternMatch('rx-gro-hw', 'rx-gro')).toBe(false);
  });

  it('shows legacy groups with members, single-member groups by legacy name, the rest by kernel name', () => {
    const v = featuresView(names, bits);
    expect(Object.keys(v)).toEqual([
      'rx-checksumming', 'tx-checksumming', 'tx-checksum-ipv4', 'tx-checksum-ip-generic', 'scatter-gather',
      'tcp-segmentation-offload', 'tx-tcp-segmentation', 'tx-tcp6-segmentation', 'generic-segmentation-offload',
      'generic-receive-offload', 'large-receive-offload', 'rx-vlan-offload', 'tx-vlan-offload', 'ntuple-filters',
      'receive-hashing', 'highdma',
    ]);
    expect(v['scatter-gather']).toEqual({ active: true, requested: true, fixed: false });
    expect(v['tx-checksum-ipv4']).toEqual({ active: false, requested: false, fixed: true });
    expect(v['tcp-segmentation-offload']).toEqual({ active: true, requested: true, fixed: false });
    expect(v['tx-tcp6-segmentation']).toEqual({ active: false, requested: true, fixed: false });
    expect(v['generic-receive-offload']).toEqual({ active: true, requested: true, fixed: false });
    expect(v['large-receive-offload']).toEqual({ active: false, requested: false, fixed: true });
    expect(v['rx-checksumming']).toEqual({ active: true, requested: false, fixed: true });
    expect(v['rx-gro']).toBeUndefined();
  });

  it('expands ethtool -K names (short, long, kernel) into kernel features', () => {
    expect([...expandFeatureChanges(names, { tso: false, gro: true, highdma: false })]).toEqual([
      ['tx-tcp-segmentation', false], ['tx-tcp6-segmentation', false], ['rx-gro', true], ['highdma', false],
    ]);
    expect([...expandFeatureChanges(names, { 'tx-checksumming': true })]).toEqual([['tx-checksum-ipv4', true], ['tx-checksum-ip-generic', true]]);
    expect([...expandFeatureChanges(names, { 'generic-receive-offload': false })]).toEqual([['rx-gro', false]]);
  });

  it('rejects unknown names and non-boolean values naming the feature', () => {
    expect(() => expandFeatureChanges(names, { 'warp-drive': true })).toThrow(expect.objectContaining({ field: 'features.warp-drive' }));
    expect(() => expandFeatureChanges(names, { gro: 1 })).toThrow(expect.objectContaining({ field: 'features.gro' }));
    expect(() => expandFeatureChanges(names, { lro: true })).toThrow(ValidationError); // no rx-lro in this kernel's set
    expect(() => expandFeatureChanges(names, null as never)).toThrow(expect.objectContaining({ field: 'features' }));
  });
});
