/**
 * rt.link add/set/del and rt.bridge.vlan without a kernel: what goes on the wire for each
 * kind's options, validation that names the field and sends nothing, and the add flow (echo,
 * follow-ups) against a fake transport.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { Engine } from '../../lib/core/engine';
import { LinkApi } from '../../lib/rtnetlink/link/link';
import { BridgeVlanApi } from '../../lib/rtnetlink/bridge/vlan';
import { planAdd, planSet, type LinkAddSpec, type LinkChanges } from '../../lib/rtnetlink/link/link-spec';
import { IFLA, IFLA_INFO } from '../../lib/rtnetlink/link/link-schema';
import { forEachAttr } from '../../lib/wire/attributes';
import { AF_BRIDGE, NLM_F_ACK, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL } from '../../lib/wire/constants';
import { RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from '../../lib/rtnetlink/constants';
import { MessageWriter } from '../../lib/wire/message-writer';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../../lib/rtnetlink/structs';
import { FakeTransport, ack, tick } from '../helpers/fake-kernel';

/** A TLV tree: attribute type → payload (last wins), for reading built messages. */
function tlvs(buf: Buffer, off = 0, end = buf.length): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  forEachAttr(buf, off, end, (t, at, len) => m.set(t, buf.subarray(at, at + len)));
  return m;
}
/** Every TLV in order (for repeated attributes). */
function tlvList(buf: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  forEachAttr(buf, 0, buf.length, (t, at, len) => out.push([t, buf.subarray(at, at + len)]));
  return out;
}
const HDR = 16 + IFINFOMSG_SIZE;
/** Lets queued work reach the fake transport (requests flush on setImmediate after awaits). */
const settle = async () => {
  for (let i = 0; i < 4; i++) await tick();
};
const body = (bytes: Buffer) => tlvs(bytes, HDR);
const ifi = (bytes: Buffer) => ({ family: bytes[16], index: bytes.readInt32LE(20), flags: bytes.readUInt32LE(24), change: bytes.readUInt32LE(28) });
const cstr = (b: Buffer | undefined) => b?.toString('utf8', 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0));

/** Builds an add without sending (names must be ifindexes here: nothing resolves them). */
function addBytes(spec: LinkAddSpec): Buffer {
  const b = planAdd(spec).builder;
  b.close();
  return b.messages[0]!.w.finish().bytes;
}
function setBytes(ref: number | string, changes: LinkChanges, kind?: string, current?: Record<string, unknown>): Buffer[] {
  const b = planSet(ref, changes, kind, current);
  b.close();
  return b.messages.map((m) => m.w.finish().bytes);
}
const infoData = (bytes: Buffer) => tlvs(body(bytes).get(IFLA.LINKINFO)!).get(IFLA_INFO.DATA)!;

function expectField(fn: () => unknown, field: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ValidationError for ${field}`).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).field).toBe(field);
}

describe('link add encoding', () => {
  it('asks to create exclusively and echo, with common attributes and flags', () => {
    const bytes = addBytes({ name: 'br0', kind: 'bridge', mtu: 9000, address: '02:00:00:00:00:01', txqlen: 500, group: 3, up: true, master: 7, arp: false });
    const flags = bytes.readUInt16LE(6);
    expect(flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO)).toBe(NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
    expect(ifi(bytes)).toMatchObject({ index: 0, flags: 0x1 | 0x80, change: 0x1 | 0x80 });
    const a = body(bytes);
    expect(cstr(a.get(IFLA.IFNAME))).toBe('br0');
    expect(a.get(IFLA.MTU)!.readUInt32LE(0)).toBe(9000);
    expect(a.get(IFLA.ADDRESS)).toEqual(Buffer.from([2, 0, 0, 0, 0, 1]));
    expect(a.get(IFLA.TXQLEN)!.readUInt32LE(0)).toBe(500);
    expect(a.get(IFLA.GROUP)!.readUInt32LE(0)).toBe(3);
    expect(a.get(IFLA.MASTER)!.readUInt32LE(0)).toBe(7);
    expect(cstr(tlvs(a.get(IFLA.LINKINFO)!).get(IFLA_INFO.KIND))).toBe('bridge');
    // No alias at creation: the kernel ignores it there, so it is a follow-up.
    expect(a.has(IFLA.IFALIAS)).toBe(false);
    expect(planAdd({ name: 'br0', kind: 'bridge', alias: 'x' }).followUp).toEqual({ alias: 'x' });
  });

  it('veth: the peer is an ifinfomsg plus its own attributes inside VETH_INFO_PEER', () => {
    const bytes = addBytes({ name: 'v0', kind: 'veth', peer: { name: 'v1', mtu: 1400, address: '02:00:00:00:00:02', netns: 9, up: true } });
    const peer = tlvs(infoData(bytes)).get(1)!;
    expect(peer.length).toBeGreaterThan(IFINFOMSG_SIZE);
    // `up` is applied after creation (the kernel can't open a half-made pair): not in the flags.
    expect(peer.readUInt32LE(8)).toBe(0);
    const p = tlvs(peer, IFINFOMSG_SIZE);
    expect(cstr(p.get(IFLA.IFNAME))).toBe('v1');
    expect(p.get(IFLA.MTU)!.readUInt32LE(0)).toBe(1400);
    expect(p.get(IFLA.NET_NS_FD)!.readUInt32LE(0)).toBe(9);
    expect(planAdd({ name: 'v0', kind: 'veth', peer: { name: 'v1', up: true } }).peerFollowUp).toEqual({ up: true });
  });

  it('vlan: id, protocol (big-endian), flags with mask, QoS maps; parent as IFLA_LINK', () => {
    const bytes = addBytes({
      name: 'v0.10', kind: 'vlan', link: 4,
      vlan: { id: 10, protocol: '802.1ad', flags: { reorderHdr: false, gvrp: true }, egressQos: [{ from: 1, to: 5 }] },
    });
    expect(body(bytes).get(IFLA.LINK)!.readUInt32LE(0)).toBe(4);
    const d = tlvs(infoData(bytes));
    expect(d.get(1)!.readUInt16LE(0)).toBe(10);
    expect(d.get(5)!.readUInt16BE(0)).toBe(0x88a8);
    expect([d.get(2)!.readUInt32LE(0), d.get(2)!.readUInt32LE(4)]).toEqual([0x2, 0x3]);
    const map = tlvs(d.get(3)!).get(1)!;
    expect([map.readUInt32LE(0), map.readUInt32LE(4)]).toEqual([1, 5]);
  });

  it('bridge: milliseconds become hundredths, booleans u8/u32 as the kernel wants', () => {
    const d = tlvs(infoData(addBytes({
      name: 'br0', kind: 'bridge',
      bridge: { forwardDelayMs: 15000, ageingTimeMs: 300000, stp: true, vlanFiltering: true, vlanProtocol: '802.1Q', defaultPvid: 10, noLinklocalLearn: true },
    })));
    expect(d.get(1)!.readUInt32LE(0)).toBe(1500);
    expect(d.get(4)!.readUInt32LE(0)).toBe(30000);
    expect(d.get(5)!.readUInt32LE(0)).toBe(1);
    expect(d.get(7)!).toEqual(Buffer.from([1]));
    expect(d.get(8)!.readUInt16BE(0)).toBe(0x8100);
    expect(d.get(39)!.readUInt16LE(0)).toBe(10);
    expect([d.get(46)!.readUInt32LE(0), d.get(46)!.readUInt32LE(4)]).toEqual([1, 1]);
  });

  it('vxlan: remote/local pick the IPv4 or IPv6 attributes; port and range big-endian', () => {
    const v4 = tlvs(infoData(addBytes({ name: 'vx0', kind: 'vxlan', vxlan: { id: 42, remote: '192.0.2.2', local: '192.0.2.1', port: 4789, srcPortRange: { low: 1000, high: 2000 }, learning: false, dev: 3 } })));
    expect(v4.get(1)!.readUInt32LE(0)).toBe(42);
    expect([...v4.get(2)!]).toEqual([192, 0, 2, 2]);
    expect([...v4.get(4)!]).toEqual([192, 0, 2, 1]);
    expect(v4.get(15)!.readUInt16BE(0)).toBe(4789);
    expect([v4.get(10)!.readUInt16BE(0), v4.get(10)!.readUInt16BE(2)]).toEqual([1000, 2000]);
    expect(v4.get(7)!).toEqual(Buffer.from([0]));
    expect(v4.get(3)!.readUInt32LE(0)).toBe(3);
    const v6 = tlvs(infoData(addBytes({ name: 'vx6', kind: 'vxlan', vxlan: { id: 1, group: 'ff05::1', local: 'fd00::1' } })));
    expect(v6.get(16)!.length).toBe(16);
    expect(v6.get(17)!.length).toBe(16);
    expect(v6.has(2)).toBe(false);
  });

  it('macvlan source list, gre key flags, ipvlan mode/isolation, bond enums, vrf table', () => {
    const mv = tlvList(infoData(addBytes({ name: 'm', kind: 'macvlan', link: 2, macvlan: { mode: 'source', sourceMacs: ['02:00:00:00:00:0a'] } })));
    expect(mv.find(([t]) => t === 1)![1].readUInt32LE(0)).toBe(16);
    expect(mv.find(([t]) => t === 3)![1].readUInt32LE(0)).toBe(3); // MACVLAN_MACADDR_SET
    const gre = tlvs(infoData(addBytes({ name: 'g', kind: 'gretap', gre: { local: '192.0.2.1', remote: '192.0.2.2', key: 5, csum: true, ttl: 64 } })));
    expect(gre.get(2)!.readUInt16BE(0)).toBe(0x2000 | 0x8000);
    expect(gre.get(3)!.readUInt16BE(0)).toBe(0x2000 | 0x8000);
    expect(gre.get(4)!.readUInt32BE(0)).toBe(5);
    expect(gre.get(5)!.readUInt32BE(0)).toBe(5);
    const ipv = tlvs(infoData(addBytes({ name: 'i', kind: 'ipvlan', link: 2, ipvlan: { mode: 'l3s', isolation: 'vepa' } })));
    expect([ipv.get(1)!.readUInt16LE(0), ipv.get(2)!.readUInt16LE(0)]).toEqual([2, 2]);
    const bond = tlvs(infoData(addBytes({ name: 'b', kind: 'bond', bond: { mode: '802.3ad', miimon: 100, xmitHashPolicy: 'layer3+4', arpIpTargets: ['192.0.2.9'] } })));
    expect([bond.get(1)![0], bond.get(3)!.readUInt32LE(0), bond.get(14)![0]]).toEqual([4, 100, 1]);
    expect([...tlvs(bond.get(8)!).get(0)!]).toEqual([192, 0, 2, 9]);
    expect(tlvs(infoData(addBytes({ name: 'r', kind: 'vrf', vrf: { table: 10 } }))).get(1)!.readUInt32LE(0)).toBe(10);
  });

  it('other kinds pass through with raw IFLA_INFO_DATA', () => {
    const a = body(addBytes({ name: 'x0', kind: 'ipoib', data: Buffer.from([8, 0, 1, 0, 0xff, 0xff, 0, 0]) }));
    const li = tlvs(a.get(IFLA.LINKINFO)!);
    expect(cstr(li.get(IFLA_INFO.KIND))).toBe('ipoib');
    expect([...li.get(IFLA_INFO.DATA)!]).toEqual([8, 0, 1, 0, 0xff, 0xff, 0, 0]);
  });
});

describe('link add/set validation names the field', () => {
  it.each<[string, () => unknown, string]>([
    ['16-byte name', () => planAdd({ name: 'a'.repeat(16), kind: 'dummy' }), 'name'],
    ['name with /', () => planAdd({ name: 'a/b', kind: 'dummy' }), 'name'],
    ['name with :', () => planAdd({ name: 'a:b', kind: 'dummy' }), 'name'],
    ['name with space', () => planAdd({ name: 'a b', kind: 'dummy' }), 'name'],
    ['empty name', () => planAdd({ name: '', kind: 'dummy' }), 'name'],
    ['missing kind', () => planAdd({ name: 'x' } as never), 'kind'],
    ['16-byte peer name', () => planAdd({ name: 'v0', kind: 'veth', peer: { name: 'p'.repeat(16) } }), 'peer.name'],
    ['VLAN id 0', () => planAdd({ name: 'v', kind: 'vlan', link: 1, vlan: { id: 0 } }), 'vlan.id'],
    ['VLAN id 4095', () => planAdd({ name: 'v', kind: 'vlan', link: 1, vlan: { id: 4095 } }), 'vlan.id'],
    ['VLAN id 1.5', () => planAdd({ name: 'v', kind: 'vlan', link: 1, vlan: { id: 1.5 } }), 'vlan.id'],
    ['VLAN without id', () => planAdd({ name: 'v', kind: 'vlan', link: 1, vlan: {} as never }), 'vlan.id'],
    ['VLAN without parent', () => planAdd({ name: 'v', kind: 'vlan', vlan: { id: 5 } } as never), 'link'],
    ['VLAN protocol', () => planAdd({ name: 'v', kind: 'vlan', link: 1, vlan: { id: 5, protocol: '802.1x' as never } }), 'vlan.protocol'],
    ['bad MAC', () => planAdd({ name: 'v', kind: 'dummy', address: '02:00:00:00:00' }), 'address'],
    ['bad MAC digits', () => planAdd({ name: 'v', kind: 'dummy', address: 'zz:00:00:00:00:01' }), 'address'],
    ['bad peer MAC', () => planAdd({ name: 'v', kind: 'veth', peer: { address: 'nope' } }), 'peer.address'],
    ['vxlan id 2^24', () => planAdd({ name: 'x', kind: 'vxlan', vxlan: { id: 1 << 24 } }), 'vxlan.id'],
    ['vxlan multicast remote', () => planAdd({ name: 'x', kind: 'vxlan', vxlan: { id: 1, remote: '239.1.1.1' } }), 'vxlan.remote'],
    ['vxlan unicast group', () => planAdd({ name: 'x', kind: 'vxlan', vxlan: { id: 1, group: '192.0.2.1' } }), 'vxlan.group'],
    ['vxlan mixed families', () => planAdd({ name: 'x', kind: 'vxlan', vxlan: { id: 1, remote: '192.0.2.1', local: 'fd00::1' } }), 'vxlan.local'],
    ['vxlan port', () => planAdd({ name: 'x', kind: 'vxlan', vxlan: { id: 1, port: 70000 } }), 'vxlan.port'],
    ['mtu too small', () => planAdd({ name: 'x', kind: 'dummy', mtu: 10 }), 'mtu'],
    ['mtu not integer', () => planAdd({ name: 'x', kind: 'dummy', mtu: 1500.5 }), 'mtu'],
    ['peer mtu', () => planAdd({ name: 'x', kind: 'veth', peer: { mtu: 2 ** 32 } }), 'peer.mtu'],
    ['unknown option', () => planAdd({ name: 'x', kind: 'bridge', bridge: { nope: 1 } as never }), 'bridge.nope'],
    ['read-only option', () => planAdd({ name: 'x', kind: 'bridge', bridge: { rootId: 'x' } as never }), 'bridge.rootId'],
    ['unknown top-level key', () => planAdd({ name: 'x', kind: 'bridge', vxlan: {} } as never), 'vxlan'],
    ['macvlan mode', () => planAdd({ name: 'x', kind: 'macvlan', link: 1, macvlan: { mode: 'hub' as never } }), 'macvlan.mode'],
    ['source MACs without source mode', () => planAdd({ name: 'x', kind: 'macvlan', link: 1, macvlan: { mode: 'bridge', sourceMacs: [] } }), 'macvlan.sourceMacs'],
    ['bad source MAC', () => planAdd({ name: 'x', kind: 'macvlan', link: 1, macvlan: { mode: 'source', sourceMacs: ['x'] } }), 'macvlan.sourceMacs[0]'],
    ['gretap with IPv6', () => planAdd({ name: 'x', kind: 'gretap', gre: { remote: 'fd00::1' } }), 'gre.remote'],
    ['bond mode', () => planAdd({ name: 'x', kind: 'bond', bond: { mode: 'fastest' as never } }), 'bond.mode'],
    ['vrf without table', () => planAdd({ name: 'x', kind: 'vrf', vrf: {} as never }), 'vrf.table'],
    ['bridge timer', () => planAdd({ name: 'x', kind: 'bridge', bridge: { forwardDelayMs: -1 } }), 'bridge.forwardDelayMs'],
    ['up not boolean', () => planAdd({ name: 'x', kind: 'dummy', up: 1 as never }), 'up'],
    ['netns', () => planAdd({ name: 'x', kind: 'dummy', netns: 'a/b' }), 'netns'],
    ['set: master', () => planSet('v0', { master: 'bad name' }, undefined), 'master'],
    ['set: link ref', () => planSet('no/pe', { up: true }, undefined), 'link'],
    ['set: port state', () => planSet('v0', { bridgePort: { state: 'bogus' as never } }, undefined), 'bridgePort.state'],
    ['set: port read-only', () => planSet('v0', { bridgePort: { designatedPort: 1 } as never }, undefined), 'bridgePort.designatedPort'],
    ['set: two kinds', () => planSet('v0', { bridge: {}, vxlan: {} }, 'bridge'), 'vxlan'],
    ['set: wrong kind', () => planSet('v0', { vxlan: { ttl: 3 } }, 'bridge'), 'vxlan'],
    ['set: alias length', () => planSet('v0', { alias: 'x'.repeat(256) }, undefined), 'alias'],
    ['set: unknown key', () => planSet('v0', { colour: 'red' } as never, undefined), 'colour'],
  ])('%s', (_label, fn, field) => expectField(fn, field));

  it('sends nothing when validation fails', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const links = new LinkApi(e);
    const vlan = new BridgeVlanApi(e, links);
    await expect(links.add({ name: 'a'.repeat(16), kind: 'dummy' })).rejects.toMatchObject({ name: 'ValidationError', field: 'name' });
    await expect(links.add({ name: 'v', kind: 'vlan', link: 'eth0', vlan: { id: 4095 } })).rejects.toMatchObject({ field: 'vlan.id' });
    await expect(links.add({ name: 'v', kind: 'veth', master: 'br0', peer: { name: 'w', address: '1:2:3' } })).rejects.toMatchObject({ field: 'peer.address' });
    await expect(links.set('v0', { mtu: 0 })).rejects.toMatchObject({ field: 'mtu' });
    await expect(links.set('v0', { macvlan: { mode: 'nope' as never } })).rejects.toMatchObject({ field: 'macvlan.mode' });
    await expect(links.del('x'.repeat(20))).rejects.toMatchObject({ field: 'link' });
    await expect(vlan.add('p0', { vid: 0 })).rejects.toMatchObject({ field: 'vid' });
    await expect(vlan.add('p0', { vid: 4095 })).rejects.toMatchObject({ field: 'vid' });
    await expect(vlan.add('p0', { vid: [10, 20], pvid: true })).rejects.toMatchObject({ field: 'pvid' });
    await expect(vlan.add('p0', { vid: [20, 10] })).rejects.toMatchObject({ field: 'vid' });
    await tick();
    expect(t.sends).toHaveLength(0);
  });
});

describe('link set encoding', () => {
  it('puts several changes in one RTM_NEWLINK, found by name', () => {
    const [m, ...rest] = setBytes('v0', { up: false, promisc: true, mtu: 1400, alias: null, txqlen: 10, master: null, group: 2 });
    expect(rest).toHaveLength(0);
    expect(m!.readUInt16LE(4)).toBe(RTM_NEWLINK);
    expect(m!.readUInt16LE(6) & NLM_F_CREATE).toBe(0);
    expect(ifi(m!)).toMatchObject({ index: 0, flags: 0x100, change: 0x101 });
    const a = body(m!);
    expect(cstr(a.get(IFLA.IFNAME))).toBe('v0');
    expect(a.get(IFLA.MTU)!.readUInt32LE(0)).toBe(1400);
    expect(a.get(IFLA.IFALIAS)!.length).toBe(0);
    expect(a.get(IFLA.MASTER)!.readUInt32LE(0)).toBe(0);
  });

  it('a rename finds the link by ifindex; bridge port settings go as AF_BRIDGE IFLA_PROTINFO after it', () => {
    const [m, port, ...rest] = setBytes(5, { name: 'v9', bridgePort: { hairpin: true, bpduGuard: true, state: 'blocking', cost: 9 } });
    expect(rest).toHaveLength(0);
    expect(ifi(m!).index).toBe(5);
    expect(cstr(body(m!).get(IFLA.IFNAME))).toBe('v9');
    expect(body(m!).has(IFLA.LINKINFO)).toBe(false);
    expect(port!.readUInt16LE(4)).toBe(RTM_SETLINK);
    expect(ifi(port!)).toMatchObject({ family: AF_BRIDGE, index: 5 });
    // IFLA_PROTINFO must be flagged nested, or the bridge takes it as an old-style state byte.
    expect(port!.readUInt16LE(HDR + 2)).toBe(IFLA.PROTINFO | 0x8000);
    const p = tlvs(body(port!).get(IFLA.PROTINFO)!);
    expect([p.get(4)![0], p.get(5)![0], p.get(1)![0], p.get(3)!.readUInt32LE(0)]).toEqual([1, 1, 4, 9]);
  });

  it('bridge port settings alone are one AF_BRIDGE message; a port name is resolved to its ifindex', () => {
    const b = planSet('tap0', { bridgePort: { learning: false } }, undefined);
    b.close();
    expect(b.messages).toHaveLength(1);
    expect(b.messages[0]!.headerName).toBe('tap0');
  });

  it('a new master and bond port settings take two messages, in that order', () => {
    const ms = setBytes('eth1', { master: 3, bondPort: { queueId: 2 } });
    expect(ms).toHaveLength(2);
    expect(body(ms[0]!).get(IFLA.MASTER)!.readUInt32LE(0)).toBe(3);
    expect(body(ms[0]!).has(IFLA.LINKINFO)).toBe(false);
    const li = tlvs(body(ms[1]!).get(IFLA.LINKINFO)!);
    expect(cstr(li.get(IFLA_INFO.SLAVE_KIND))).toBe('bond');
    expect(tlvs(li.get(IFLA_INFO.SLAVE_DATA)!).get(5)!.readUInt16LE(0)).toBe(2);
  });

  it('gre changes carry the current settings too (the kernel resets whatever is left out)', () => {
    const current = { local: '192.0.2.2', remote: '192.0.2.1', ttl: 64, ikey: 7, okey: 7, icsum: true, ocsum: true, iseq: false, oseq: false, pmtudisc: true };
    const [m] = setBytes('gt0', { gre: { ttl: 32, remote: '192.0.2.3' } }, 'gretap', current);
    const d = tlvs(infoData(m!));
    expect([...d.get(6)!]).toEqual([192, 0, 2, 2]);
    expect([...d.get(7)!]).toEqual([192, 0, 2, 3]);
    expect(d.get(8)![0]).toBe(32);
    expect(d.get(4)!.readUInt32BE(0)).toBe(7);
    expect(d.get(2)!.readUInt16BE(0)).toBe(0x2000 | 0x8000);
    // A both-directions option replaces the pair it stands for.
    const [k] = setBytes('gt0', { gre: { key: 9, csum: false } }, 'gretap', current);
    const dk = tlvs(infoData(k!));
    expect([dk.get(4)!.readUInt32BE(0), dk.get(5)!.readUInt32BE(0), dk.get(2)!.readUInt16BE(0)]).toEqual([9, 9, 0x2000]);
  });

  it('macvlan source MAC changes go one per message: flush, removals, additions', () => {
    const ms = setBytes('m0', { macvlan: { sourceMacs: { flush: true, del: ['02:00:00:00:00:01'], add: ['02:00:00:00:00:02', '02:00:00:00:00:03'] } } }, 'macvlan');
    expect(ms).toHaveLength(4);
    const modes = ms.map((m) => tlvs(infoData(m)).get(3)!.readUInt32LE(0));
    expect(modes).toEqual([2, 1, 0, 0]);
    expect(cstr(tlvs(body(ms[1]!).get(IFLA.LINKINFO)!).get(IFLA_INFO.KIND))).toBe('macvlan');
  });
});

describe('add/set/del flow against a fake kernel', () => {
  /** A link message as the kernel sends it. */
  const linkMsg = (seq: number, index: number, name: string, kind?: string) => {
    const w = new MessageWriter(RTM_NEWLINK, 0);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { index, flags: 0x1003 }));
    w.string(IFLA.IFNAME, name);
    w.u32(IFLA.MTU, 1500);
    if (kind) {
      w.nestStart(IFLA.LINKINFO);
      w.string(IFLA_INFO.KIND, kind);
      w.nestEnd();
    }
    const bytes = Buffer.from(w.finish().bytes);
    bytes.writeUInt32LE(seq, 8);
    return bytes;
  };

  it('returns the echoed link without asking again', async () => {
    const t = new FakeTransport();
    const links = new LinkApi(new Engine(t));
    const p = links.add({ name: 'br0', kind: 'bridge' });
    await settle();
    const [m] = t.messages();
    expect(m!.flags & NLM_F_ACK).toBe(NLM_F_ACK);
    (links as any).engine.receive(Buffer.concat([linkMsg(m!.seq, 7, 'br0', 'bridge'), ack(m!.seq)]));
    await expect(p).resolves.toMatchObject({ index: 7, name: 'br0', kind: 'bridge' });
    expect(t.messages()).toHaveLength(1);
  });

  it('without an echo (older kernels) reads the link back; resolves names first', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const links = new LinkApi(e);
    const p = links.add({ name: 'v0.5', kind: 'vlan', link: 'eth0', vlan: { id: 5 } });
    await settle();
    const [get] = t.messages();
    expect(get!.type).toBe(RTM_GETLINK);
    e.receive(Buffer.concat([linkMsg(get!.seq, 2, 'eth0'), ack(get!.seq)]));
    await settle();
    const add = t.messages()[1]!;
    expect(add.type).toBe(RTM_NEWLINK);
    // The parent's ifindex was patched into IFLA_LINK.
    expect(body(add.bytes).get(IFLA.LINK)!.readUInt32LE(0)).toBe(2);
    e.receive(ack(add.seq));
    await settle();
    const back = t.messages()[2]!;
    expect(back.type).toBe(RTM_GETLINK);
    e.receive(Buffer.concat([linkMsg(back.seq, 9, 'v0.5', 'vlan'), ack(back.seq)]));
    await expect(p).resolves.toMatchObject({ index: 9, kind: 'vlan' });
  });

  it('a missing master is an ENODEV NetlinkError naming the field, and nothing is created', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const p = new LinkApi(e).add({ name: 'v0', kind: 'veth', master: 'nope' });
    await settle();
    const [get] = t.messages();
    e.receive(ack(get!.seq, 19));
    await expect(p).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENODEV', operation: 'link.add', attribute: 'master' });
    expect(t.messages().filter((m) => m.type === RTM_NEWLINK)).toHaveLength(0);
  });

  it('deletes the new link when a follow-up setting fails', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const p = new LinkApi(e).add({ name: 'd0', kind: 'dummy', alias: 'hello' });
    await settle();
    const [add] = t.messages();
    e.receive(Buffer.concat([linkMsg(add!.seq, 4, 'd0', 'dummy'), ack(add!.seq)]));
    await settle();
    const set = t.messages()[1]!;
    expect(ifi(set.bytes).index).toBe(4);
    e.receive(ack(set.seq, 22, { msg: 'nope' }));
    await settle();
    const del = t.messages()[2]!;
    expect(del.type).toBe(RTM_DELLINK);
    expect(ifi(del.bytes).index).toBe(4);
    e.receive(ack(del.seq));
    await expect(p).rejects.toMatchObject({ code: 'EINVAL', extack: 'nope' });
  });

  it('bridge vlan add: AF_BRIDGE RTM_SETLINK with a range, SELF for the bridge itself', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const vlan = new BridgeVlanApi(e, new LinkApi(e));
    // Changes leave with an acked NLMSG_NOOP barrier after them (engine.ts); skip those here.
    const sent = () => t.messages().filter((x) => x.type !== 1 /* NLMSG_NOOP */);
    const p1 = vlan.add(6, { vid: [10, 20], untagged: true, self: false });
    await settle();
    const [m] = sent();
    expect(m!.type).toBe(RTM_SETLINK);
    expect(ifi(m!.bytes)).toMatchObject({ family: AF_BRIDGE, index: 6 });
    const spec = tlvList(body(m!.bytes).get(IFLA.AF_SPEC)!);
    expect(spec.map(([t]) => t)).toEqual([0, 2, 2]);
    expect(spec[0]![1].readUInt16LE(0)).toBe(1); // BRIDGE_FLAGS_MASTER
    expect(spec.slice(1).map(([, b]) => [b.readUInt16LE(0), b.readUInt16LE(2)])).toEqual([[4 | 8, 10], [4 | 16, 20]]);
    e.receive(ack(m!.seq));
    await p1;
    const p2 = vlan.del('br0', { vid: 10 });
    await settle();
    const get = sent()[1]!;
    e.receive(Buffer.concat([linkMsg(get.seq, 3, 'br0', 'bridge'), ack(get.seq)]));
    await settle();
    const del = sent()[2]!;
    expect(del.type).toBe(RTM_DELLINK);
    expect(tlvList(body(del.bytes).get(IFLA.AF_SPEC)!)[0]![1].readUInt16LE(0)).toBe(2); // BRIDGE_FLAGS_SELF
    e.receive(ack(del.seq));
    await p2;
  });
});



describe('VLAN QoS maps', () => {
  it('ingress maps a PCP 0–7 to any skb priority; egress any priority to a PCP 0–7', () => {
    const ok = (vlan: object) => planAdd({ name: 'v.1', kind: 'vlan', link: 'v0', vlan: { id: 1, ...vlan } } as any).builder.close();
    expect(() => ok({ ingressQos: [{ from: 3, to: 100_000 }] })).not.toThrow();
    expect(() => ok({ egressQos: [{ from: 100_000, to: 3 }] })).not.toThrow();
    expect(() => ok({ ingressQos: [{ from: 8, to: 1 }] })).toThrow(expect.objectContaining({ field: 'vlan.ingressQos[0].from' }));
    expect(() => ok({ egressQos: [{ from: 1, to: 8 }] })).toThrow(expect.objectContaining({ field: 'vlan.egressQos[0].to' }));
  });
});
