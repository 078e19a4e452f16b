/**
 * Wire layouts of nexthop, MDB, VNI and altname requests and the decoders of their replies,
 * on bytes built by hand (and one MDB dump captured from Linux 6.18).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { decodeNexthop, prepareNexthop } from '../../lib/rtnetlink/nexthop/nexthop';
import { decodeMdbMessage, prepareMdb } from '../../lib/rtnetlink/bridge/mdb';
import { decodeVniMessage, prepareVni } from '../../lib/rtnetlink/bridge/vni';
import { prepareAltnames } from '../../lib/rtnetlink/link/link-props';

/** The TLVs after a fixed header of `hdr` bytes, as [type, payload hex]. */
function tlvs(bytes: Buffer, hdr: number): [number, string][] {
  const out: [number, string][] = [];
  for (let at = 16 + hdr; at + 4 <= bytes.length;) {
    const len = bytes.readUInt16LE(at);
    out.push([bytes.readUInt16LE(at + 2) & 0x3fff, bytes.subarray(at + 4, at + len).toString('hex')]);
    at += (len + 3) & ~3;
  }
  return out;
}

describe('nexthop codec', () => {
  it('a weighted resilient group: nexthop_grp weights as weight-1, timers in clock_t', () => {
    const { msg } = prepareNexthop('add', { id: 7, group: [{ id: 1, weight: 3 }, { id: 2 }], resilient: { buckets: 16, idleTimer: 1.5 } });
    const b = msg.bytes;
    expect(b.readUInt16LE(4)).toBe(104); // RTM_NEWNEXTHOP
    expect(b[16]).toBe(0); // AF_UNSPEC for a group
    expect(tlvs(b, 8)).toEqual([
      [1, '07000000'],
      [2, '0100000002000000' + '0200000000000000'],
      [3, '0100'], // NEXTHOP_GRP_TYPE_RES
      [12, '0600010010000000' + '08000200' + '96000000'],
    ]);
  });

  it('a gateway next hop is AF_INET with NHA_OIF / NHA_GATEWAY; onlink in nh_flags', () => {
    const { msg, links } = prepareNexthop('replace', { id: 1, gateway: '10.0.0.2', dev: 5, onlink: true });
    expect(msg.bytes[16]).toBe(2);
    expect(msg.bytes.readUInt32LE(20)).toBe(4);
    expect(tlvs(msg.bytes, 8)).toEqual([[1, '01000000'], [5, '05000000'], [6, '0a000002']]);
    expect(links).toEqual([]);
    expect(prepareNexthop('add', { id: 1, dev: 'eth0' }).links).toEqual([{ field: 'dev', name: 'eth0', at: 16 + 8 + 8 + 4 }]);
  });

  it('decodes what it encodes (group, type, resilient args)', () => {
    const { msg } = prepareNexthop('add', { id: 9, group: [{ id: 4, weight: 256 }], resilient: { buckets: 8, idleTimer: 120, unbalancedTimer: 30 } });
    const nh = decodeNexthop(msg.bytes, 0, msg.bytes.length);
    expect(nh).toMatchObject({ id: 9, family: 'unspec', type: 'resilient', group: [{ id: 4, weight: 256 }], resilient: { buckets: 8, idleTimer: 120, unbalancedTimer: 30 } });
  });

  it('refuses mixtures the kernel would refuse, naming the field', () => {
    expect(() => prepareNexthop('add', { id: 1, blackhole: true, gateway: '10.0.0.1' })).toThrow(ValidationError);
    expect(() => prepareNexthop('add', { id: 1, gateway: '10.0.0.1', type: 'mpath' })).toThrow(/only a group/);
    expect(() => prepareNexthop('add', { id: 1, group: [{ id: 2 }], type: 'mpath', resilient: { buckets: 2 } })).toThrow(/resilient/);
    expect(() => prepareNexthop('del', { id: 1, gatway: 'x' } as any)).toThrow(ValidationError);
  });
});

describe('MDB codec', () => {
  it('decodes a captured RTM_GETMDB dump part (Linux 6.18)', () => {
    const hex = '50000000560002001c232b17ba69000000000000020000003800010034000100300001000400000001000000ef0101010000000000000000000000000800000008000100000000000500050004000000';
    const buf = Buffer.from(hex, 'hex');
    expect(decodeMdbMessage(buf, 0, buf.length)).toEqual([
      { index: 2, portIndex: 4, group: '239.1.1.1', state: 'permanent', flags: [], timer: 0, protocol: 'static' },
    ]);
  });

  it('builds struct br_mdb_entry with the port, state, VLAN, group and protocol', () => {
    const { msg, links } = prepareMdb('add', { bridge: 2, port: 'p0', group: 'ff0e::1', vlan: 10, permanent: true, source: '2001:db8::1' });
    expect(msg.bytes.readUInt16LE(4)).toBe(84);
    expect(msg.bytes[16]).toBe(7);
    expect(msg.bytes.readUInt32LE(20)).toBe(2);
    const entry = Buffer.from(tlvs(msg.bytes, 8)[0]![1], 'hex');
    expect(entry.length).toBe(28);
    expect([entry[4], entry.readUInt16LE(6), entry.readUInt16BE(24)]).toEqual([1, 10, 0x86dd]);
    expect(entry.subarray(8, 24).toString('hex')).toBe('ff0e0000000000000000000000000001');
    expect(links).toEqual([{ field: 'port', name: 'p0', at: 16 + 8 + 4 }]);
    expect(tlvs(msg.bytes, 8)[1]).toEqual([2, '1400010020010db8000000000000000000000001']);
  });
});

describe('VNI filter codec', () => {
  it('encodes a range with its group, and decodes entries naming unicast groups `remote`', () => {
    const { msg } = prepareVni('add', 3, { vni: 100, vniEnd: 110, remote: '10.0.0.2' });
    expect(msg.bytes.readUInt16LE(4)).toBe(120);
    expect(tlvs(msg.bytes, 8)).toEqual([[1, '0800010064000000' + '080002006e000000' + '080003000a000002']]);
    // The same bytes as a kernel reply: RTM_NEWTUNNEL with one entry.
    const reply = Buffer.from(msg.bytes);
    expect(decodeVniMessage(reply, 0, reply.length)).toEqual([{ index: 3, vni: 100, vniEnd: 110, remote: '10.0.0.2' }]);
    expect(() => prepareVni('add', 3, { vni: 5, group: '10.0.0.1' })).toThrow(/multicast/);
  });
});

describe('altname codec', () => {
  it('adds then deletes, a long name looked up as IFLA_ALT_IFNAME', () => {
    const msgs = prepareAltnames('a-name-longer-than-fifteen', { add: ['x1'], del: ['y1'] });
    expect(msgs.map((m) => m.bytes.readUInt16LE(4))).toEqual([108, 109]);
    const add = tlvs(msgs[0]!.bytes, 16);
    expect(add[0]![0]).toBe(53);
    expect(Buffer.from(add[0]![1], 'hex').toString()).toBe('a-name-longer-than-fifteen\0');
    expect(add[1]).toEqual([52, '0700350078310000']); // IFLA_PROP_LIST { IFLA_ALT_IFNAME "x1" + padding }
  });
});
