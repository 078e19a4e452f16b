/**
 * SR-IOV VF codec without a kernel: IFLA_VFINFO_LIST fixtures built the way rtnl_fill_vfinfo
 * lays them out are decoded, and rt.vf.set() against a fake transport sends the bytes
 * `ip link set … vf N …` would — or nothing at all when the input is bad.
 */
import { describe, expect, it } from 'vitest';
import { ParseError, ValidationError } from '../../lib/errors';
import { Engine } from '../../lib/core/engine';
import { IFLA } from '../../lib/rtnetlink/link/link-schema';
import { decodeLinkWithVfs } from '../../lib/rtnetlink/link/link-decode';
import { VfApi } from '../../lib/rtnetlink/link/vf/vf';
import { IFLA_VF, IFLA_VF_INFO, IFLA_VF_STATS, IFLA_VF_VLAN_INFO, decodeVfInfoList, locateVfInfoList } from '../../lib/rtnetlink/link/vf/vf-schema';
import { forEachAttr } from '../../lib/wire/attributes';
import { RTEXT_FILTER_SKIP_STATS, RTEXT_FILTER_VF, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from '../../lib/rtnetlink/constants';
import { FakeTransport, ack, attr, cstr, nlmsg, tick } from '../helpers/fake-kernel';

// ── fixtures: the kernel's layout ────────────────────────────────────────────────────────

const u32s = (...v: number[]) => {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
  return b;
};
const u64 = (v: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const macBytes = (text: string, size = 32) => {
  const b = Buffer.alloc(size);
  Buffer.from(text.split(':').map((h) => parseInt(h, 16))).copy(b);
  return b;
};

interface FixtureVf {
  vf: number;
  mac?: string;
  vlan?: number;
  qos?: number;
  proto?: number;
  min?: number;
  max?: number;
  spoofchk?: number;
  linkState?: number;
  rss?: number;
  trust?: number;
  guids?: [bigint, bigint];
  stats?: number[];
  statsPad?: boolean;
  legacyOnly?: boolean;
  addrSize?: number;
  extra?: Buffer;
}

/** One IFLA_VF_INFO as rtnl_fill_vfinfo writes it (nests without NLA_F_NESTED). */
function vfInfo(f: FixtureVf): Buffer {
  const { vf, vlan = 0, qos = 0, min = 0, max = 0 } = f;
  const parts = [
    attr(IFLA_VF.MAC, Buffer.concat([u32s(vf), macBytes(f.mac ?? '00:00:00:00:00:00')])),
    attr(IFLA_VF.BROADCAST, macBytes(f.addrSize === 20 ? Array(20).fill('ff').join(':') : 'ff:ff:ff:ff:ff:ff')),
    attr(IFLA_VF.VLAN, u32s(vf, vlan, qos)),
    attr(IFLA_VF.RATE, u32s(vf, min, max)),
    attr(IFLA_VF.TX_RATE, u32s(vf, max)),
    attr(IFLA_VF.SPOOFCHK, u32s(vf, f.spoofchk ?? -1)),
    attr(IFLA_VF.LINK_STATE, u32s(vf, f.linkState ?? 0)),
    attr(IFLA_VF.RSS_QUERY_EN, u32s(vf, f.rss ?? -1)),
    attr(IFLA_VF.TRUST, u32s(vf, f.trust ?? -1)),
  ];
  if (f.guids) {
    parts.push(attr(IFLA_VF.IB_NODE_GUID, Buffer.concat([u32s(vf, 0), u64(f.guids[0])])));
    parts.push(attr(IFLA_VF.IB_PORT_GUID, Buffer.concat([u32s(vf, 0), u64(f.guids[1])])));
  }
  if (!f.legacyOnly) {
    const info = Buffer.concat([u32s(vf, vlan, qos), Buffer.alloc(4)]);
    info.writeUInt16BE(f.proto ?? 0x8100, 12);
    parts.push(attr(IFLA_VF.VLAN_LIST, attr(IFLA_VF_VLAN_INFO, info)));
  }
  if (f.stats) {
    const order = [IFLA_VF_STATS.RX_PACKETS, IFLA_VF_STATS.TX_PACKETS, IFLA_VF_STATS.RX_BYTES, IFLA_VF_STATS.TX_BYTES,
      IFLA_VF_STATS.BROADCAST, IFLA_VF_STATS.MULTICAST, IFLA_VF_STATS.RX_DROPPED, IFLA_VF_STATS.TX_DROPPED];
    const s = order.map((t, i) => attr(t, u64(f.stats![i]!)));
    // Architectures without efficient unaligned access put a PAD attribute before u64s.
    if (f.statsPad) s.unshift(attr(IFLA_VF_STATS.PAD, Buffer.alloc(0)));
    parts.push(attr(IFLA_VF.STATS, Buffer.concat(s)));
  }
  if (f.extra) parts.push(f.extra);
  return attr(IFLA_VF_INFO, Buffer.concat(parts));
}

const vfList = (vfs: FixtureVf[]) => Buffer.concat(vfs.map(vfInfo));

/** A TLV whose 16-bit length wraps past 64 KiB, as nla_nest_end leaves an oversized nest. */
function wrappedAttr(type: number, data: Buffer): Buffer {
  const b = Buffer.alloc((4 + data.length + 3) & ~3);
  b.writeUInt16LE((4 + data.length) & 0xffff, 0);
  b.writeUInt16LE(type, 2);
  data.copy(b, 4);
  return b;
}

interface PfFixture { index?: number; name?: string; type?: number; addr?: string; numVfs?: number; vfs?: FixtureVf[]; after?: Buffer[] }

/** The attributes of an RTM_NEWLINK for a PF with IFLA_NUM_VF and IFLA_VFINFO_LIST, then `after`. */
function pfAttrs(opts: PfFixture): Buffer {
  const addr = opts.addr ?? '02:aa:bb:cc:dd:ee';
  const attrs = [attr(IFLA.IFNAME, cstr(opts.name ?? 'eth1')), attr(IFLA.ADDRESS, macBytes(addr, addr.split(':').length))];
  if (opts.numVfs !== undefined) attrs.push(attr(IFLA.NUM_VF, u32s(opts.numVfs)));
  if (opts.vfs) attrs.push(wrappedAttr(IFLA.VFINFO_LIST, vfList(opts.vfs)));
  return Buffer.concat([...attrs, ...(opts.after ?? [])]);
}

function pfReply(seq: number, opts: PfFixture): Buffer {
  const hdr = Buffer.alloc(16);
  hdr.writeUInt16LE(opts.type ?? 1, 2);
  hdr.writeInt32LE(opts.index ?? 7, 4);
  return nlmsg(RTM_NEWLINK, 0, seq, Buffer.concat([hdr, pfAttrs(opts)]));
}

// ── decoding ─────────────────────────────────────────────────────────────────────────────

describe('decodeVfInfoList', () => {
  it('decodes every setting of every VF, in order', () => {
    const buf = vfList([
      { vf: 0, spoofchk: 1, linkState: 0, rss: 0, trust: 0 },
      { vf: 1, mac: '02:00:00:00:00:11', vlan: 10, qos: 3, min: 10, max: 100, spoofchk: 0, linkState: 1, rss: 1, trust: 1 },
      { vf: 2, vlan: 20, qos: 1, proto: 0x88a8, linkState: 2 },
    ]);
    const vfs = decodeVfInfoList(buf, 0, buf.length);
    expect(vfs).toEqual([
      { index: 0, mac: '00:00:00:00:00:00', broadcast: 'ff:ff:ff:ff:ff:ff', vlans: [], rate: { min: 0, max: 0 }, txRate: 0, spoofchk: true, linkState: 'auto', rssQuery: false, trust: false },
      {
        index: 1, mac: '02:00:00:00:00:11', broadcast: 'ff:ff:ff:ff:ff:ff', vlans: [{ id: 10, qos: 3, protocol: '802.1Q' }],
        rate: { min: 10, max: 100 }, txRate: 100, spoofchk: false, linkState: 'enable', rssQuery: true, trust: true,
      },
      // -1 ("driver doesn't say") leaves spoofchk, trust and rssQuery out, as iproute2 does.
      { index: 2, mac: '00:00:00:00:00:00', broadcast: 'ff:ff:ff:ff:ff:ff', vlans: [{ id: 20, qos: 1, protocol: '802.1ad' }], rate: { min: 0, max: 0 }, txRate: 0, linkState: 'disable' },
    ]);
  });

  it('takes the VLAN from the legacy IFLA_VF_VLAN when there is no list (always 802.1Q)', () => {
    const buf = vfList([{ vf: 3, vlan: 42, qos: 5, legacyOnly: true }]);
    expect(decodeVfInfoList(buf, 0, buf.length)[0]!.vlans).toEqual([{ id: 42, qos: 5, protocol: '802.1Q' }]);
  });

  it('keeps priority tagging (VLAN 0 with a qos) and names unknown ethertypes in hex', () => {
    const buf = vfList([{ vf: 0, vlan: 0, qos: 4 }, { vf: 1, vlan: 7, proto: 0x9100 }]);
    const [a, b] = decodeVfInfoList(buf, 0, buf.length);
    expect(a!.vlans).toEqual([{ id: 0, qos: 4, protocol: '802.1Q' }]);
    expect(b!.vlans).toEqual([{ id: 7, qos: 0, protocol: '0x9100' }]);
  });

  it('decodes counters, with or without the alignment PAD, above 2^32', () => {
    const stats = [2 ** 33 + 1, 2, 3, 4, 5, 6, 7, 8];
    for (const statsPad of [false, true]) {
      const buf = vfList([{ vf: 0, stats, statsPad }]);
      const [vf] = decodeVfInfoList(buf, 0, buf.length);
      expect(vf!.stats).toEqual({ rxPackets: 2 ** 33 + 1, txPackets: 2, rxBytes: 3, txBytes: 4, broadcast: 5, multicast: 6, rxDropped: 7, txDropped: 8 });
      expect(vf!.unknown).toBeUndefined();
    }
  });

  it('decodes InfiniBand VFs: 20-byte addresses and node/port GUIDs (MSB first, as iproute2 prints them)', () => {
    const ibAddr = '00:00:01:07:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c';
    const buf = vfList([{ vf: 0, mac: ibAddr, addrSize: 20, guids: [0x0102030405060708n, 0x1122334455667788n] }]);
    const [vf] = decodeVfInfoList(buf, 0, buf.length, 32 /* ARPHRD_INFINIBAND */);
    expect(vf!.mac).toBe(ibAddr);
    expect(vf!.broadcast).toBe(Array(20).fill('ff').join(':'));
    expect(vf!.nodeGuid).toBe('01:02:03:04:05:06:07:08');
    expect(vf!.portGuid).toBe('11:22:33:44:55:66:77:88');
  });

  it('keeps unknown and short attributes raw, and skips children other than IFLA_VF_INFO', () => {
    const odd = Buffer.concat([attr(99, Buffer.from('new')), attr(IFLA_VF.TRUST, Buffer.from([1, 0]))]);
    const buf = Buffer.concat([vfList([{ vf: 0, extra: odd }]), attr(7, Buffer.from('junk'))]);
    const vfs = decodeVfInfoList(buf, 0, buf.length);
    expect(vfs).toHaveLength(1);
    // The fixture's own TRUST (-1) came first; the short duplicate is kept raw, not misread.
    expect(vfs[0]!.trust).toBeUndefined();
    expect(vfs[0]!.unknown!.map((u) => u.type)).toEqual([99, IFLA_VF.TRUST]);
  });

  it('decodes 300 VFs from one list and reads the VF number from the structs', () => {
    const fixtures = Array.from({ length: 300 }, (_, i) => ({ vf: 299 - i, vlan: (i % 4094) + 1, min: i, max: i + 1000 }));
    const buf = vfList(fixtures);
    const vfs = decodeVfInfoList(buf, 0, buf.length);
    expect(vfs.map((v) => v.index)).toEqual(fixtures.map((f) => f.vf));
    expect(vfs[299]!.rate).toEqual({ min: 299, max: 1299 });
  });

  it('measures an IFLA_VFINFO_LIST longer than its 16-bit length says (256 VFs with counters)', () => {
    const vfs = Array.from({ length: 256 }, (_, i) => ({ vf: i, stats: [i, 0, 0, 0, 0, 0, 0, 0] }));
    const tail = attr(IFLA.GROUP, u32s(5));
    const buf = pfAttrs({ numVfs: 256, vfs, after: [tail] });
    const loc = locateVfInfoList(buf, 0, buf.length)!;
    expect(loc.len).toBeGreaterThan(65536);
    expect(buf.readUInt16LE(loc.start)).toBe((loc.len + 4) & 0xffff); // the header alone says less
    expect(loc.numVfs).toBe(256);
    expect(buf.subarray(loc.next)).toEqual(tail);
    const decoded = decodeVfInfoList(buf, loc.payload, loc.len);
    expect(decoded.map((v) => v.index)).toEqual(vfs.map((v) => v.vf));
    expect(decoded[255]!.stats!.rxPackets).toBe(255);
  });

  it('decodeLinkWithVfs (rt.link with RTEXT_FILTER_VF) decodes a list past 64 KiB and the attributes after it', () => {
    const vfs = Array.from({ length: 256 }, (_, i) => ({ vf: i, stats: [i, 0, 0, 0, 0, 0, 0, 0] }));
    const m = pfReply(1, { numVfs: 256, vfs, after: [attr(IFLA.GROUP, u32s(5))] });
    const link = decodeLinkWithVfs(m, 0, m.length);
    expect(link).toMatchObject({ index: 7, name: 'eth1', numVfs: 256, group: 5 });
    expect(link.vfs!.map((v) => v.index)).toEqual(vfs.map((v) => v.vf));
  });

  it('keeps the header length of a list that is merely shorter than IFLA_NUM_VF', () => {
    // A driver whose ndo_get_vf_config failed for a VF leaves that VF out.
    const tail = attr(IFLA.VFINFO_LIST + 2 /* IFLA_VF_PORTS */, Buffer.alloc(0));
    const buf = pfAttrs({ numVfs: 4, vfs: [{ vf: 0 }, { vf: 1 }, { vf: 3 }], after: [tail] });
    const loc = locateVfInfoList(buf, 0, buf.length)!;
    expect(loc.len).toBe(buf.readUInt16LE(loc.start) - 4);
    expect(decodeVfInfoList(buf, loc.payload, loc.len).map((v) => v.index)).toEqual([0, 1, 3]);
    expect(locateVfInfoList(attr(IFLA.IFNAME, cstr('lo')), 0, 8)).toBeUndefined();
  });

  it('throws ParseError for a TLV that overruns the list', () => {
    const buf = vfList([{ vf: 0 }]);
    buf.writeUInt16LE(buf.length + 8, 0);
    expect(() => decodeVfInfoList(buf, 0, buf.length)).toThrow(ParseError);
  });
});

// ── rt.vf against a fake kernel ──────────────────────────────────────────────────────────

/** The attributes of IFLA_VFINFO_LIST > IFLA_VF_INFO in a sent RTM_SETLINK: type → payload. */
function sentVfAttrs(msg: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  forEachAttr(msg, 32, msg.length, (type, at, len) => {
    expect(type).toBe(IFLA.VFINFO_LIST);
    forEachAttr(msg, at, at + len, (t2, at2, len2) => {
      expect(t2).toBe(IFLA_VF_INFO);
      forEachAttr(msg, at2, at2 + len2, (t3, at3, len3) => out.set(t3, msg.subarray(at3, at3 + len3)));
    });
  });
  return out;
}

const PF_VFS: FixtureVf[] = [
  { vf: 0, spoofchk: 0, linkState: 0, rss: 0, trust: 0 },
  { vf: 1, min: 10, max: 100, spoofchk: 0, linkState: 0, rss: 0, trust: 0 },
  { vf: 2 },
  { vf: 3 },
];

/** Runs `fn` against a fake kernel that answers RTM_GETLINK with a 4-VF PF and acks the rest. */
async function withFakePf<T>(fn: (vf: VfApi) => Promise<T>, pf: PfFixture = { numVfs: 4, vfs: PF_VFS }) {
  const t = new FakeTransport();
  const e = new Engine(t);
  const api = new VfApi(e);
  let answered = 0;
  const result = fn(api).then((v) => ({ ok: true as const, v }), (err: unknown) => ({ ok: false as const, err }));
  for (let i = 0; i < 10; i++) {
    await tick();
    const msgs = t.messages();
    while (answered < msgs.length) {
      const m = msgs[answered++]!;
      e.receive(m.type === RTM_GETLINK ? Buffer.concat([pfReply(m.seq, pf), ack(m.seq)]) : ack(m.seq));
    }
  }
  const r = await result;
  return { ...r, messages: t.messages() };
}

describe('rt.vf against a fake kernel', () => {
  it('list asks for VF info without counters, and with them only when told', async () => {
    const a = await withFakePf((vf) => vf.list('eth1'));
    expect(a.ok && a.v.map((v) => v.index)).toEqual([0, 1, 2, 3]);
    const extMask = (m: Buffer) => {
      let mask = -1;
      forEachAttr(m, 32, m.length, (t, at) => { if (t === IFLA.EXT_MASK) mask = m.readUInt32LE(at); });
      return mask;
    };
    expect(extMask(a.messages[0]!.bytes)).toBe(RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
    const b = await withFakePf((vf) => vf.list(7, { stats: true }));
    expect(extMask(b.messages[0]!.bytes)).toBe(RTEXT_FILTER_VF);
    expect(b.messages[0]!.bytes.readInt32LE(20)).toBe(7);
  });

  it('lists all 300 VFs of a PF whose VF list overflows nla_len, and decodes the attributes after it', async () => {
    const vfs = Array.from({ length: 300 }, (_, i) => ({ vf: i, vlan: i + 1, stats: [0, 0, 0, 0, 0, 0, 0, i] }));
    // A second IFNAME after the list (the kernel sends one, before it) proves the attributes
    // past the list are read: the error below names 'big0'.
    const pf = { name: 'x', numVfs: 300, vfs, after: [attr(IFLA.IFNAME, cstr('big0'))] };
    const r = await withFakePf((vf) => vf.list('big0', { stats: true }), pf);
    expect(r.ok && r.v.map((v) => v.vlans[0]!.id)).toEqual(vfs.map((v) => v.vlan));
    const bad = await withFakePf((vf) => vf.set('big0', 300, { trust: true }), pf);
    expect((bad.err as Error).message).toBe('vf: big0 has no VF 300: it has 300 (0–299)');
    const ok = await withFakePf((vf) => vf.set('big0', 299, { trust: true }), pf);
    expect(ok.ok).toBe(true);
  });

  it('list of a link without SR-IOV is empty', async () => {
    const r = await withFakePf((vf) => vf.list('veth0'), { name: 'veth0' });
    expect(r.ok && r.v).toEqual([]);
  });

  it('set sends every setting in one RTM_SETLINK, 802.1Q as the legacy IFLA_VF_VLAN', async () => {
    const r = await withFakePf((vf) => vf.set('eth1', 2, {
      mac: '02:00:00:00:00:22', vlan: { id: 10, qos: 3 }, rate: { min: 5, max: 50 },
      spoofchk: true, trust: true, linkState: 'disable', rssQuery: true,
    }));
    expect(r.ok).toBe(true);
    const set = r.messages.filter((m) => m.type === RTM_SETLINK);
    expect(set).toHaveLength(1);
    expect(set[0]!.bytes.readInt32LE(20)).toBe(7); // by the ifindex the GETLINK returned
    const a = sentVfAttrs(set[0]!.bytes);
    expect([...a.keys()]).toEqual([IFLA_VF.MAC, IFLA_VF.VLAN, IFLA_VF.RATE, IFLA_VF.SPOOFCHK, IFLA_VF.RSS_QUERY_EN, IFLA_VF.TRUST, IFLA_VF.LINK_STATE]);
    expect(a.get(IFLA_VF.MAC)).toEqual(Buffer.concat([u32s(2), macBytes('02:00:00:00:00:22')]));
    expect(a.get(IFLA_VF.VLAN)).toEqual(u32s(2, 10, 3));
    expect(a.get(IFLA_VF.RATE)).toEqual(u32s(2, 5, 50));
    expect(a.get(IFLA_VF.SPOOFCHK)).toEqual(u32s(2, 1));
    expect(a.get(IFLA_VF.RSS_QUERY_EN)).toEqual(u32s(2, 1));
    expect(a.get(IFLA_VF.TRUST)).toEqual(u32s(2, 1));
    expect(a.get(IFLA_VF.LINK_STATE)).toEqual(u32s(2, 2));
  });

  it('sends 802.1ad as IFLA_VF_VLAN_LIST with a big-endian protocol, and vlan 0 as a legacy clear', async () => {
    const r = await withFakePf((vf) => vf.set('eth1', 3, { vlan: { id: 100, qos: 7, protocol: '802.1ad' } }));
    const a = sentVfAttrs(r.messages.find((m) => m.type === RTM_SETLINK)!.bytes);
    const list = a.get(IFLA_VF.VLAN_LIST)!;
    expect(list.readUInt16LE(2)).toBe(IFLA_VF_VLAN_INFO);
    expect(list.subarray(4, 20)).toEqual(Buffer.from([3, 0, 0, 0, 100, 0, 0, 0, 7, 0, 0, 0, 0x88, 0xa8, 0, 0]));
    const c = await withFakePf((vf) => vf.set('eth1', 3, { vlan: 0 }));
    expect(sentVfAttrs(c.messages.find((m) => m.type === RTM_SETLINK)!.bytes).get(IFLA_VF.VLAN)).toEqual(u32s(3, 0, 0));
  });

  it('fills the rate side not given from the VF current rates', async () => {
    const r = await withFakePf((vf) => vf.set('eth1', 1, { rate: { max: 200 } }));
    expect(sentVfAttrs(r.messages.find((m) => m.type === RTM_SETLINK)!.bytes).get(IFLA_VF.RATE)).toEqual(u32s(1, 10, 200));
    const s = await withFakePf((vf) => vf.set('eth1', 1, { rate: { min: 0 } }));
    expect(sentVfAttrs(s.messages.find((m) => m.type === RTM_SETLINK)!.bytes).get(IFLA_VF.RATE)).toEqual(u32s(1, 0, 100));
  });

  it('encodes GUIDs on InfiniBand PFs as iproute2 does (u64, first byte most significant)', async () => {
    const ib = { type: 32, addr: Array(20).fill('80').join(':'), numVfs: 1, vfs: [{ vf: 0, addrSize: 20 }] };
    const r = await withFakePf((vf) => vf.set('ib0', 0, { nodeGuid: '01:02:03:04:05:06:07:08', portGuid: 'aa:bb:cc:dd:ee:ff:00:11' }), ib);
    expect(r.ok).toBe(true);
    const a = sentVfAttrs(r.messages.find((m) => m.type === RTM_SETLINK)!.bytes);
    expect(a.get(IFLA_VF.IB_NODE_GUID)).toEqual(Buffer.concat([u32s(0, 0), u64(0x0102030405060708n)]));
    expect(a.get(IFLA_VF.IB_PORT_GUID)).toEqual(Buffer.concat([u32s(0, 0), u64(0xaabbccddeeff0011n)]));
    // 20-byte VF addresses are accepted on IB PFs, 6-byte ones are not.
    const m = await withFakePf((vf) => vf.set('ib0', 0, { mac: '02:00:00:00:00:01' }), ib);
    expect(!m.ok && (m.err as ValidationError).field).toBe('mac');
  });

  const bad: [string, unknown, string, boolean][] = [
    // [what, call arguments (vf, changes), field, whether a GETLINK may be sent first]
    ['VF number out of range', [4, { trust: true }], 'vf', true],
    ['negative VF number', [-1, { trust: true }], 'vf', false],
    ['VLAN id 4095', [0, { vlan: { id: 4095 } }], 'vlan.id', false],
    ['VLAN qos 8', [0, { vlan: { id: 5, qos: 8 } }], 'vlan.qos', false],
    ['unknown VLAN protocol', [0, { vlan: { id: 5, protocol: '802.1x' } }], 'vlan.protocol', false],
    ['malformed MAC', [0, { mac: '02:00:00:00:00:zz' }], 'mac', false],
    ['5-byte MAC on an Ethernet PF', [0, { mac: '02:00:00:00:00' }], 'mac', true],
    ['multicast MAC', [0, { mac: '01:00:5e:00:00:01' }], 'mac', true],
    ['min rate above max rate', [0, { rate: { min: 500, max: 100 } }], 'rate', false],
    ['min rate above the current max', [1, { rate: { min: 500 } }], 'rate', true],
    ['negative rate', [0, { rate: { max: -1 } }], 'rate.max', false],
    ['unknown link state', [0, { linkState: 'up' }], 'linkState', false],
    ['non-boolean spoofchk', [0, { spoofchk: 'on' }], 'spoofchk', false],
    ['misspelled setting', [0, { spoofChk: true }], 'spoofChk', false],
    ['no setting at all', [0, {}], 'changes', false],
    ['malformed GUID', [0, { nodeGuid: '01:02:03' }], 'nodeGuid', false],
    ['GUID on an Ethernet PF', [0, { portGuid: '01:02:03:04:05:06:07:08' }], 'portGuid', true],
  ];
  it.each(bad)('rejects %s with ValidationError and sends no change', async (_what, args, field, mayGet) => {
    const [n, changes] = args as [number, any];
    const r = await withFakePf((vf) => vf.set('eth1', n, changes));
    expect(r.ok).toBe(false);
    expect(r.err).toBeInstanceOf(ValidationError);
    expect((r.err as ValidationError).field).toBe(field);
    expect(r.messages.filter((m) => m.type === RTM_SETLINK)).toHaveLength(0);
    if (!mayGet) expect(r.messages).toHaveLength(0);
  });

  it('rejects a VF of a PF with SR-IOV off, and of a link without SR-IOV', async () => {
    const off = await withFakePf((vf) => vf.set('eth1', 0, { trust: true }), { numVfs: 0 });
    expect((off.err as ValidationError).message).toMatch(/has no VFs/);
    const none = await withFakePf((vf) => vf.get('veth0', 0), { name: 'veth0' });
    expect((none.err as ValidationError).message).toMatch(/no SR-IOV/);
  });
});
