/**
 * VLAN → tunnel id (VNI) mappings of a VXLAN bridge port (`bridge vlan … tunnel_info id N`):
 * what goes on the wire, what a listing decodes, and what is refused before anything is sent.
 * The kernel side (both directions against `bridge -j vlan tunnelshow`) is in test/vm/vni.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { Engine } from '../../lib/core/engine';
import { Rtnl } from '../../lib/rtnetlink/handle';
import { decodeBridgeVlanPort, IFLA_BRIDGE } from '../../lib/rtnetlink/bridge/vlan';
import { forEachAttr } from '../../lib/wire/attributes';
import { AF_BRIDGE } from '../../lib/wire/constants';
import { RTM_DELLINK, RTM_NEWLINK, RTM_SETLINK } from '../../lib/rtnetlink/constants';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../../lib/rtnetlink/structs';
import { IFLA } from '../../lib/rtnetlink/link/link-schema';
import { FakeTransport, ack, attr, nlmsg, tick } from '../helpers/fake-kernel';

const RANGE_BEGIN = 1 << 3;
const RANGE_END = 1 << 4;

function offline() {
  const t = new FakeTransport();
  const engine = new Engine(t);
  return { rt: new Rtnl(engine, 0), t, engine };
}

/** The IFLA_AF_SPEC children of a sent AF_BRIDGE message: [type, payload]. */
function afSpec(bytes: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  expect(bytes[16]).toBe(AF_BRIDGE);
  forEachAttr(bytes, 16 + IFINFOMSG_SIZE, bytes.length, (type, at, len) => {
    if (type === IFLA.AF_SPEC) forEachAttr(bytes, at, at + len, (t, a, n) => out.push([t, bytes.subarray(a, a + n)]), 'af');
  }, 'msg');
  return out;
}

function tunnel(payload: Buffer): { id?: number; vid?: number; flags?: number } {
  const o: { id?: number; vid?: number; flags?: number } = {};
  forEachAttr(payload, 0, payload.length, (t, a, n) => {
    if (t === 1) o.id = payload.readUInt32LE(a);
    if (t === 2) o.vid = payload.readUInt16LE(a);
    if (t === 3) o.flags = payload.readUInt16LE(a);
    expect(n).toBeGreaterThan(0);
  }, 'tunnel');
  return o;
}

async function sent(op: (rt: Rtnl) => Promise<void>) {
  const { rt, t, engine } = offline();
  const p = op(rt);
  // The ifindex goes through the (async) resolver before the request is queued.
  for (let i = 0; i < 10 && !t.messages().length; i++) await tick();
  const [m] = t.messages();
  engine.receive(ack(m.seq));
  await p;
  return m;
}

describe('rt.bridge.vlan tunnel mappings', () => {
  it('one VLAN → VNI: a tunnel info nest and no VLAN info (bridge vlan add … tunnel_info id 100)', async () => {
    const m = await sent((rt) => rt.bridge.vlan.add(7, { vid: 10, tunnelId: 100 }, undefined));
    expect(m.type).toBe(RTM_SETLINK);
    const spec = afSpec(m.bytes);
    expect(spec.map(([t]) => t)).toEqual([IFLA_BRIDGE.FLAGS, IFLA_BRIDGE.VLAN_TUNNEL_INFO]);
    expect(tunnel(spec[1][1])).toEqual({ id: 100, vid: 10, flags: 0 });
  });

  it('a range maps VLAN from…to onto ids from…, framed RANGE_BEGIN / RANGE_END; del sends the same with RTM_DELLINK', async () => {
    for (const [verb, type] of [['add', RTM_SETLINK], ['del', RTM_DELLINK]] as const) {
      const m = await sent((rt) => rt.bridge.vlan[verb](7, { vid: [30, 32], tunnelId: 300 }));
      expect(m.type).toBe(type);
      const infos = afSpec(m.bytes).filter(([t]) => t === IFLA_BRIDGE.VLAN_TUNNEL_INFO).map(([, p]) => tunnel(p));
      expect(infos).toEqual([{ id: 300, vid: 30, flags: RANGE_BEGIN }, { id: 302, vid: 32, flags: RANGE_END }]);
    }
  });

  it('refuses bad mappings before sending anything', async () => {
    const { rt, t } = offline();
    const cases: [Parameters<Rtnl['bridge']['vlan']['add']>[1], string][] = [
      [{ vid: 10, tunnelId: 0 }, 'tunnelId'],
      [{ vid: 10, tunnelId: 1.5 }, 'tunnelId'],
      [{ vid: [10, 20], tunnelId: 0xfffff8 }, 'tunnelId'], // 20 → 0x1000002: past 24 bits
      [{ vid: 10, tunnelId: 100, pvid: true }, 'pvid'],
      [{ vid: 10, tunnelId: 100, self: true }, 'self'],
      [{ vid: 10, tunnelid: 100 } as any, 'tunnelid'],
    ];
    for (const [spec, field] of cases) {
      const err = await rt.bridge.vlan.add(7, spec).then(() => undefined, (e: unknown) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
    await tick();
    expect(t.messages()).toEqual([]);
  });

  it('decodes a port listing with VLANs and single and ranged tunnel mappings', () => {
    const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
    const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
    const vinfo = (flags: number, vid: number) => Buffer.concat([u16(flags), u16(vid)]);
    const tinfo = (flags: number, vid: number, id: number) => attr(IFLA_BRIDGE.VLAN_TUNNEL_INFO, Buffer.concat([attr(1, u32(id)), attr(2, u16(vid)), attr(3, u16(flags))]));
    const hdr = Buffer.alloc(IFINFOMSG_SIZE);
    writeIfInfoMsg(hdr, 0, { family: AF_BRIDGE, index: 7 });
    const spec = Buffer.concat([
      attr(IFLA_BRIDGE.VLAN_INFO, vinfo(0, 10)),
      attr(IFLA_BRIDGE.VLAN_INFO, vinfo(0, 20)),
      tinfo(0, 10, 100),
      tinfo(RANGE_BEGIN, 20, 2000),
      tinfo(RANGE_END, 22, 2002),
    ]);
    const msg = nlmsg(RTM_NEWLINK, 0, 1, Buffer.concat([hdr, attr(IFLA.IFNAME, Buffer.from('vx0\0')), attr(IFLA.AF_SPEC, spec)]));
    const port = decodeBridgeVlanPort(msg, 0, msg.length)!;
    expect(port).toMatchObject({ link: 7, name: 'vx0' });
    expect(port.vlans.map((v) => v.vid)).toEqual([10, 20]);
    expect(port.tunnels).toEqual([{ vid: 10, id: 100 }, { vid: 20, vidEnd: 22, id: 2000, idEnd: 2002 }]);
  });
});
