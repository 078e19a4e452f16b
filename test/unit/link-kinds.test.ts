/**
 * Per-kind codecs without a kernel: options encode to IFLA_INFO_DATA and decode back to the
 * same `link.info`; kernel-built messages (hand-made fixtures) decode tolerantly into typed
 * info, bridge ports and bridge VLAN lists.
 */
import { describe, expect, it } from 'vitest';
import { decodeLink, isLinkKind } from '../../lib/rtnetlink/link/link-decode';
import { decodeBridgeVlanPort } from '../../lib/rtnetlink/bridge/vlan';
import { linkKindCodec } from '../../lib/rtnetlink/link/kinds/registry';
import '../../lib/rtnetlink/link/kinds/index';
import { RequestBuilder } from '../../lib/rtnetlink/link/link-spec';
import { IFLA, IFLA_INFO } from '../../lib/rtnetlink/link/link-schema';
import { AF_BRIDGE, NLMSG_HDRLEN } from '../../lib/wire/constants';
import { RTM_NEWLINK } from '../../lib/rtnetlink/constants';
import { MessageWriter } from '../../lib/wire/message-writer';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../../lib/rtnetlink/structs';

/** Encodes options with a kind's codec and returns the IFLA_INFO_DATA payload. */
function encode(kind: string, opts: Record<string, unknown>, op: 'add' | 'set' = 'add'): Buffer {
  const codec = linkKindCodec(kind)!;
  const b = new RequestBuilder(op);
  b.kind = kind;
  const w = b.begin(RTM_NEWLINK, 0, {});
  w.nestStart(IFLA_INFO.DATA);
  codec.encodeData!(w, opts, codec.optionsKey!, b);
  w.nestEnd();
  const bytes = w.finish().bytes;
  const start = NLMSG_HDRLEN + IFINFOMSG_SIZE;
  return bytes.subarray(start + 4, start + bytes.readUInt16LE(start));
}
const roundTrip = (kind: string, opts: Record<string, unknown>) => {
  const data = encode(kind, opts);
  return linkKindCodec(kind)!.decodeData!(data, 0, data.length) as Record<string, unknown>;
};

describe('kind options round-trip through IFLA_INFO_DATA', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>?]>([
    ['bridge', { stp: true, forwardDelayMs: 4000, helloTimeMs: 1000, maxAgeMs: 10000, ageingTimeMs: 60000, priority: 4096, vlanFiltering: true, vlanProtocol: '802.1ad', defaultPvid: 7, mcastSnooping: false, mcastQuerier: true, groupAddress: '01:80:c2:00:00:0e', noLinklocalLearn: true, mcastMembershipIntervalMs: 5000 }],
    ['vlan', { id: 4094, protocol: '802.1Q', flags: { reorderHdr: true, gvrp: false, mvrp: true, looseBinding: false, bridgeBinding: true }, egressQos: [{ from: 0, to: 3 }, { from: 5, to: 7 }], ingressQos: [{ from: 2, to: 1 }] }],
    ['macvlan', { mode: 'passthru', nopromisc: true, bcQueueLen: 2000 }, { mode: 'passthru', nopromisc: true, nodst: false, bcQueueLen: 2000 }],
    ['macvtap', { mode: 'source', nodst: true, sourceMacs: ['02:00:00:00:00:01', '02:00:00:00:00:02'] }, { mode: 'source', nodst: true, sourceMacs: ['02:00:00:00:00:01', '02:00:00:00:00:02'] }],
    ['vxlan', { id: 0xffffff, remote: '2001:db8::2', local: '2001:db8::1', dev: 3, port: 4789, srcPortRange: { low: 1, high: 65535 }, learning: true, ttl: 10, tos: 1, df: 'inherit', label: 12345, ageing: 30, maxAddresses: 100, proxy: true, rsc: false, l2miss: true, l3miss: true, udpCsum: false, udpZeroCsum6Tx: true, udpZeroCsum6Rx: true, gbp: true, ttlInherit: true, external: false }],
    ['vxlan', { id: 1, group: '239.0.0.1', local: '192.0.2.1' }],
    ['geneve', { id: 99, remote: '192.0.2.7', ttl: 3, tos: 4, port: 6081, udpCsum: true, df: 'set', label: 1 }],
    ['geneve', { id: 99, remote: 'fd00::7', ttlInherit: true, innerProtoInherit: true }],
    ['gretap', { local: '192.0.2.1', remote: '192.0.2.2', ttl: 64, tos: 0, pmtudisc: true, ikey: 1, okey: 2, icsum: true, oseq: true, fwmark: 7, ignoreDf: false, dev: 5 }, { local: '192.0.2.1', remote: '192.0.2.2', ttl: 64, ikey: 1, okey: 2, icsum: true, ocsum: false, iseq: false, oseq: true, fwmark: 7, dev: 5 }],
    ['ip6gretap', { local: 'fd00::1', remote: 'fd00::2', key: 77, encapLimit: 4, flowinfo: 0x12345 }, { local: 'fd00::1', remote: 'fd00::2', ikey: 77, okey: 77, encapLimit: 4, flowinfo: 0x12345 }],
    ['ipvlan', { mode: 'l3', isolation: 'private' }],
    ['ipvtap', { mode: 'l2', isolation: 'bridge' }],
    ['bond', { mode: 'active-backup', miimon: 100, updelay: 200, downdelay: 200, primary: 4, primaryReselect: 'better', failOverMac: 'active', arpIpTargets: ['192.0.2.1', '192.0.2.2'], arpValidate: 'all', arpAllTargets: 'all', xmitHashPolicy: 'encap3+4', adLacpRate: 'fast', adSelect: 'count', minLinks: 1, allSlavesActive: true, tlbDynamicLb: false, adActorSystem: '02:00:00:00:00:09', nsIp6Targets: ['fd00::9'] }],
    ['vrf', { table: 4242 }],
  ])('%s', (kind, opts, expected) => {
    expect(roundTrip(kind, opts)).toMatchObject(expected ?? opts);
  });
});

/** A kernel-style RTM_NEWLINK: header, ifinfomsg, then whatever `fill` writes. */
function linkMessage(fill: (w: MessageWriter) => void, hdr: { family?: number; index?: number; flags?: number } = {}): Buffer {
  const w = new MessageWriter(RTM_NEWLINK, 0);
  w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { index: 5, flags: 0x1043, ...hdr }));
  w.string(IFLA.IFNAME, 'x0');
  w.u32(IFLA.MTU, 1500);
  fill(w);
  return w.finish().bytes;
}
const decode = (b: Buffer) => decodeLink(b, 0, b.length);

describe('link decoding', () => {
  it('a TAP device (kind tun) decodes its IFLA_TUN_* info', () => {
    const link = decode(linkMessage((w) => {
      w.nestStart(IFLA.LINKINFO);
      w.string(IFLA_INFO.KIND, 'tun');
      w.nestStart(IFLA_INFO.DATA);
      w.u8(3, 2); // type tap
      w.u8(4, 0);
      w.u8(5, 1);
      w.u8(6, 1);
      w.u8(7, 0);
      w.u32(8, 1);
      w.u32(9, 0);
      w.nestEnd();
      w.nestEnd();
    }));
    expect(link).toMatchObject({ kind: 'tun', info: { type: 'tap', pi: false, vnetHdr: true, persist: true, multiQueue: false, numQueues: 1 } });
    expect(isLinkKind(link, 'tun') && link.info?.type).toBe('tap');
  });

  it('a bridge port: slave data in a link dump, IFLA_PROTINFO in an AF_BRIDGE dump', () => {
    const port = (w: MessageWriter) => {
      w.u8(1, 3); // forwarding
      w.u16(2, 32);
      w.u32(3, 100);
      w.u8(4, 1); // hairpin
      w.u8(8, 0); // learning off
      w.u8(9, 1);
      w.u8(33, 1); // isolated
      w.u64(21, 250); // message age timer, hundredths
    };
    const viaSlave = decode(linkMessage((w) => {
      w.u32(IFLA.MASTER, 2);
      w.nestStart(IFLA.LINKINFO);
      w.string(IFLA_INFO.KIND, 'veth');
      w.string(IFLA_INFO.SLAVE_KIND, 'bridge');
      w.nestStart(IFLA_INFO.SLAVE_DATA);
      port(w);
      w.nestEnd();
      w.nestEnd();
    }));
    const expected = { state: 'forwarding', priority: 32, cost: 100, hairpin: true, learning: false, flood: true, isolated: true, messageAgeTimerMs: 2500 };
    expect(viaSlave).toMatchObject({ kind: 'veth', slaveKind: 'bridge', master: 2, bridgePort: expected });
    expect(viaSlave.slaveInfo).toBeUndefined();
    const viaProtinfo = decode(linkMessage((w) => {
      w.nestStart(IFLA.PROTINFO);
      port(w);
      w.nestEnd();
    }, { family: AF_BRIDGE }));
    expect(viaProtinfo.bridgePort).toEqual(expected);
  });

  it('keeps unknown attributes and malformed kind data as bytes instead of failing the link', () => {
    const link = decode(linkMessage((w) => {
      w.nestStart(IFLA.LINKINFO);
      w.string(IFLA_INFO.KIND, 'vlan');
      w.nestStart(IFLA_INFO.DATA);
      w.u16(1, 10);
      w.u32(60, 7); // an attribute from a future kernel
      w.nestEnd();
      w.nestEnd();
    }));
    expect(link.info).toMatchObject({ id: 10, unknown: [{ type: 60 }] });
    // A nest whose TLV overruns it: the link still decodes, the nest stays raw.
    const broken = decode(linkMessage((w) => {
      w.nestStart(IFLA.LINKINFO);
      w.string(IFLA_INFO.KIND, 'vxlan');
      w.bytes(IFLA_INFO.DATA, Buffer.from([40, 0, 1, 0, 1, 0, 0, 0]));
      w.nestEnd();
    }));
    expect(broken).toMatchObject({ name: 'x0', kind: 'vxlan', info: { raw: Buffer.from([40, 0, 1, 0, 1, 0, 0, 0]) } });
    // A kind with no codec keeps its data raw.
    const other = decode(linkMessage((w) => {
      w.nestStart(IFLA.LINKINFO);
      w.string(IFLA_INFO.KIND, 'wireguard');
      w.bytes(IFLA_INFO.DATA, Buffer.from([8, 0, 1, 0, 9, 0, 0, 0]));
      w.nestEnd();
    }));
    expect(other).toMatchObject({ kind: 'wireguard', info: { raw: Buffer.from([8, 0, 1, 0, 9, 0, 0, 0]) } });
  });

  it('vxlan: a unicast peer is remote, a multicast one group; zero addresses are absent', () => {
    const vx = (fill: (w: MessageWriter) => void) => decode(linkMessage((w) => {
      w.nestStart(IFLA.LINKINFO);
      w.string(IFLA_INFO.KIND, 'vxlan');
      w.nestStart(IFLA_INFO.DATA);
      w.u32(1, 5);
      fill(w);
      w.nestEnd();
      w.nestEnd();
    })).info;
    expect(vx((w) => w.bytes(16, Buffer.from('ff020000000000000000000000000001', 'hex')))).toMatchObject({ group: 'ff02::1' });
    expect(vx((w) => w.bytes(2, Buffer.from([10, 0, 0, 1])))).toMatchObject({ remote: '10.0.0.1' });
    const none = vx((w) => w.bytes(4, Buffer.from([0, 0, 0, 0])));
    expect(none).not.toHaveProperty('local');
    expect(none).not.toHaveProperty('remote');
  });
});

describe('bridge vlan decoding', () => {
  /** An AF_BRIDGE link message with VLAN infos in IFLA_AF_SPEC. */
  const port = (index: number, name: string, master: number | undefined, vlans: [number, number][]) => {
    const w = new MessageWriter(RTM_NEWLINK, 0);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_BRIDGE, index }));
    w.string(IFLA.IFNAME, name);
    if (master !== undefined) w.u32(IFLA.MASTER, master);
    w.nestStart(IFLA.PROTINFO);
    w.u8(1, 3);
    w.nestEnd();
    w.nestStart(IFLA.AF_SPEC);
    for (const [flags, vid] of vlans) {
      const b = Buffer.alloc(4);
      b.writeUInt16LE(flags, 0);
      b.writeUInt16LE(vid, 2);
      w.bytes(2, b);
    }
    w.nestEnd();
    return w.finish().bytes;
  };

  it('decodes flags and folds compressed ranges', () => {
    const b = port(4, 'p0', 3, [[2 | 4, 1], [8, 10], [16, 20], [4, 30]]);
    expect(decodeBridgeVlanPort(b, 0, b.length)).toEqual({
      link: 4, name: 'p0', master: 3,
      vlans: [{ vid: 1, pvid: true, untagged: true }, { vid: 10, vidEnd: 20, pvid: false, untagged: false }, { vid: 30, pvid: false, untagged: true }],
    });
  });

  it('the bridge itself has no master; a port without VLANs is left out', () => {
    const br = port(3, 'br0', 3, [[2 | 4, 1]]);
    expect(decodeBridgeVlanPort(br, 0, br.length)).toEqual({ link: 3, name: 'br0', vlans: [{ vid: 1, pvid: true, untagged: true }] });
    const empty = port(5, 'p1', 3, []);
    expect(decodeBridgeVlanPort(empty, 0, empty.length)).toBeUndefined();
  });
});
