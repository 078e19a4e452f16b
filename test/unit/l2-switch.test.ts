/**
 * L2Switch forwarding without root: learning, flooding, ageing, filtering, hairpin, VLAN
 * access/trunk/native handling byte for byte, egress refusals and port removal.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { L2Switch } from '../../lib/switch/l2-switch';
import { buildFrame } from '../../lib/switch/ethernet';
import { ValidationError } from '../../lib/errors';
import { FakeDevice, MAC } from './l2-switch-fakes';

const PAYLOAD = Buffer.from('0123456789abcdef0123456789abcdef0123456789ab'); // 46 bytes

const frame = (dst: string, src: string, vid?: number): Buffer => buildFrame(dst, src, 0x88b5, PAYLOAD, vid);

const switches: L2Switch[] = [];
function newSwitch(opts?: ConstructorParameters<typeof L2Switch>[0]): L2Switch {
  const sw = new L2Switch(opts);
  switches.push(sw);
  return sw;
}

afterEach(() => {
  for (const s of switches.splice(0)) s.close();
  vi.useRealTimers();
});

describe('L2Switch forwarding', () => {
  it('floods unknown destinations, learns sources and then forwards known unicast to one port', () => {
    const sw = newSwitch();
    const [p1, p2, p3] = [new FakeDevice('p1'), new FakeDevice('p2'), new FakeDevice('p3')];
    for (const p of [p1, p2, p3]) sw.addPort(p);

    p1.feed([frame(MAC.b, MAC.a)]); // b unknown: flooded to p2 and p3, not back to p1
    expect(p1.take()).toHaveLength(0);
    expect(p2.take()).toEqual([frame(MAC.b, MAC.a)]);
    expect(p3.take()).toEqual([frame(MAC.b, MAC.a)]);

    p2.feed([frame(MAC.a, MAC.b)]); // a was learned on p1
    expect(p1.take()).toEqual([frame(MAC.a, MAC.b)]);
    expect(p3.take()).toHaveLength(0);

    p1.feed([frame(MAC.b, MAC.a)]); // now b is known on p2
    expect(p2.take()).toHaveLength(1);
    expect(p3.take()).toHaveLength(0);

    expect(sw.fdb).toEqual([
      expect.objectContaining({ mac: MAC.a, vlan: 1, port: 'p1', static: false }),
      expect.objectContaining({ mac: MAC.b, vlan: 1, port: 'p2', static: false }),
    ]);
    const st = sw.stats;
    expect(st.flooded).toBe(1);
    expect(st.forwarded).toBe(2);
    expect(st.txFrames).toBe(4);
    expect(st.fdbEntries).toBe(2);
  });

  it('floods broadcast and multicast but not 802.1D link-local groups', () => {
    const sw = newSwitch();
    const [p1, p2] = [new FakeDevice('p1'), new FakeDevice('p2')];
    sw.addPort(p1);
    sw.addPort(p2);
    p1.feed([frame(MAC.bcast, MAC.a), frame(MAC.mcast, MAC.a), frame(MAC.stp, MAC.a)]);
    expect(p2.take()).toEqual([frame(MAC.bcast, MAC.a), frame(MAC.mcast, MAC.a)]);
    expect(sw.stats.drops.linkLocal).toBe(1);

    const hub = newSwitch({ forwardLinkLocal: true });
    const [h1, h2] = [new FakeDevice('h1'), new FakeDevice('h2')];
    hub.addPort(h1);
    hub.addPort(h2);
    h1.feed([frame(MAC.stp, MAC.a)]);
    expect(h2.take()).toHaveLength(1);
  });

  it('writes each port once per batch, whatever the number of frames', () => {
    const sw = newSwitch();
    const [p1, p2] = [new FakeDevice('p1'), new FakeDevice('p2')];
    sw.addPort(p1);
    sw.addPort(p2);
    p1.feed(Array.from({ length: 100 }, (_, i) => frame(MAC.bcast, `02:00:00:00:01:${(i % 256).toString(16).padStart(2, '0')}`)));
    expect(p2.calls).toBe(1);
    expect(p2.take()).toHaveLength(100);
  });

  it('filters frames for a station behind the ingress port, unless hairpin', () => {
    const sw = newSwitch();
    const [p1, p2] = [new FakeDevice('p1'), new FakeDevice('p2')];
    sw.addPort(p1);
    sw.addPort(p2);
    p1.feed([frame(MAC.bcast, MAC.a), frame(MAC.bcast, MAC.c)]); // a and c both behind p1
    p2.take();
    p1.feed([frame(MAC.c, MAC.a)]);
    expect(p1.take()).toHaveLength(0);
    expect(p2.take()).toHaveLength(0);
    expect(sw.stats.drops.filtered).toBe(1);

    const hp = newSwitch();
    const [v1, v2] = [new FakeDevice('v1'), new FakeDevice('v2')];
    hp.addPort(v1, { hairpin: true });
    hp.addPort(v2);
    v1.feed([frame(MAC.bcast, MAC.a)]);
    expect(v1.take()).toHaveLength(1); // reflected
    v1.feed([frame(MAC.bcast, MAC.c), frame(MAC.c, MAC.a)]);
    expect(v1.take()).toHaveLength(2); // the broadcast and the unicast to c, both reflected
  });

  it('forgets stations after ageingMs and re-points stations that move', () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const sw = newSwitch({ ageingMs: 1000 });
    const [p1, p2, p3] = [new FakeDevice('p1'), new FakeDevice('p2'), new FakeDevice('p3')];
    for (const p of [p1, p2, p3]) sw.addPort(p);
    p1.feed([frame(MAC.bcast, MAC.a)]);
    p2.feed([frame(MAC.a, MAC.b)]);
    expect(p1.take()).toHaveLength(1); // a is known: only p1 gets it
    p3.take();
    vi.advanceTimersByTime(1500);
    p2.feed([frame(MAC.a, MAC.b)]); // a aged out: flooded again
    expect(p1.take()).toHaveLength(1);
    expect(p3.take()).toHaveLength(1);
    p3.feed([frame(MAC.bcast, MAC.a)]); // a moved to p3
    p1.take();
    p2.take();
    p2.feed([frame(MAC.a, MAC.b)]);
    expect(p3.take()).toHaveLength(1);
    expect(p1.take()).toHaveLength(0);
    vi.advanceTimersByTime(5000); // the sweeper drops idle stations
    expect(sw.stats.fdbEntries).toBe(0);
  });

  it('keeps static entries and stops learning when the FDB is full', () => {
    const sw = newSwitch({ maxFdbEntries: 1 });
    const [p1, p2] = [new FakeDevice('p1'), new FakeDevice('p2')];
    sw.addPort(p1);
    sw.addPort(p2);
    sw.addStaticFdb(MAC.c, 'p2');
    p1.feed([frame(MAC.c, MAC.a)]);
    expect(p2.take()).toHaveLength(1);
    expect(sw.stats.fdbFull).toBe(1);
    p1.feed([frame(MAC.bcast, MAC.c)]); // a frame claiming c on p1 does not move a static entry
    expect(sw.fdb).toEqual([expect.objectContaining({ mac: MAC.c, port: 'p2', static: true })]);
    expect(sw.deleteFdb(MAC.c)).toBe(true);
    expect(() => sw.addStaticFdb('nope', 'p1')).toThrow(ValidationError);
  });

  it('keeps stations apart whose MACs share the lower half', () => {
    const sw = newSwitch();
    const [p1, p2, p3] = [new FakeDevice('p1'), new FakeDevice('p2'), new FakeDevice('p3')];
    for (const p of [p1, p2, p3]) sw.addPort(p);
    const x = '02:00:00:00:00:0a';
    const y = '06:11:22:00:00:0a'; // same NIC half as x, other OUI
    p1.feed([frame(MAC.bcast, x)]);
    p2.feed([frame(MAC.bcast, y)]);
    for (const p of [p1, p2, p3]) p.take();
    p3.feed([frame(y, MAC.c), frame(x, MAC.c)]);
    expect(p2.take()).toEqual([frame(y, MAC.c)]);
    expect(p1.take()).toEqual([frame(x, MAC.c)]);
    expect(sw.fdb.map((e) => [e.mac, e.port])).toEqual([
      [x, 'p1'],
      [MAC.c, 'p3'],
      [y, 'p2'],
    ]);
    sw.removePort(p1);
    p3.feed([frame(y, MAC.c)]);
    expect(p2.take()).toHaveLength(1);
  });

  it('counts frames the egress device refuses', () => {
    const sw = newSwitch();
    const [p1, p2] = [new FakeDevice('p1'), new FakeDevice('p2')];
    const q1 = sw.addPort(p1);
    const q2 = sw.addPort(p2);
    p2.accept = 1;
    p1.feed([frame(MAC.bcast, MAC.a), frame(MAC.bcast, MAC.a), frame(MAC.bcast, MAC.a)]);
    expect(q2.stats.txFrames).toBe(1);
    expect(q2.stats.txDrops).toBe(2);
    expect(q1.stats.rxFrames).toBe(3);
    expect(sw.stats.drops.egress).toBe(2);
  });

  it("removes a port whose device closes, with its FDB entries", () => {
    const sw = newSwitch();
    const [p1, p2] = [new FakeDevice('p1'), new FakeDevice('p2')];
    sw.addPort(p1);
    const port2 = sw.addPort(p2);
    p2.feed([frame(MAC.bcast, MAC.b)]);
    const removed: unknown[] = [];
    sw.on('portRemoved', (p, err) => removed.push(p, err));
    const err = Object.assign(new Error('gone'), { code: 'EBADFD' });
    p2.emit('close', err);
    expect(removed).toEqual([port2, err]);
    expect(sw.ports).toHaveLength(1);
    expect(sw.fdb).toEqual([]);
    expect(p2.listenerCount('frames')).toBe(0);
    p1.feed([frame(MAC.b, MAC.a)]); // nowhere to go, nothing breaks
    expect(p2.take()).toHaveLength(0);
  });

  it('validates ports', () => {
    const sw = newSwitch();
    const d = new FakeDevice('d');
    const bad: [object, string][] = [
      [{ vlan: 0 }, 'vlan'],
      [{ vlan: 4095 }, 'vlan'],
      [{ vlan: 10, trunk: [20] }, 'vlan'],
      [{ trunk: [] }, 'trunk'],
      [{ trunk: [10, 5000] }, 'trunk[1]'],
      [{ native: 10 }, 'native'],
      [{ trunk: [10], native: 10 }, 'native'],
    ];
    for (const [opts, field] of bad) {
      let err: unknown;
      try {
        sw.addPort(d, opts);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
    const tun = Object.assign(new FakeDevice('tun0'), { kind: 'tun' as const });
    expect(() => sw.addPort(tun as unknown as FakeDevice)).toThrow(ValidationError);
    sw.addPort(d);
    expect(() => sw.addPort(d)).toThrow(/already a port/);
    expect(() => new L2Switch({ ageingMs: -1 })).toThrow(ValidationError);
    expect(sw.addPort(new FakeDevice('d')).name).toBe('d-2');
  });
});

describe('L2Switch VLANs', () => {
  function vlanSwitch() {
    const sw = newSwitch();
    const a10 = new FakeDevice('a10');
    const b20 = new FakeDevice('b20');
    const c10 = new FakeDevice('c10');
    const trunk = new FakeDevice('trunk');
    const native = new FakeDevice('native');
    sw.addPort(a10, { vlan: 10 });
    sw.addPort(b20, { vlan: 20 });
    sw.addPort(c10, { vlan: 10 });
    sw.addPort(trunk, { trunk: [10, 20] });
    sw.addPort(native, { trunk: [20], native: 10 });
    return { sw, a10, b20, c10, trunk, native };
  }

  it('tags towards trunks, keeps access ports untagged and VLANs apart', () => {
    const { sw, a10, b20, c10, trunk, native } = vlanSwitch();
    a10.feed([frame(MAC.bcast, MAC.a)]);
    expect(c10.take()).toEqual([frame(MAC.bcast, MAC.a)]);
    expect(trunk.take()).toEqual([frame(MAC.bcast, MAC.a, 10)]); // tag pushed
    expect(native.take()).toEqual([frame(MAC.bcast, MAC.a)]); // VLAN 10 is native there: untagged
    expect(b20.take()).toHaveLength(0);
    expect(sw.fdb).toEqual([expect.objectContaining({ mac: MAC.a, vlan: 10, port: 'a10' })]);
  });

  it('untags trunk frames into access ports and drops VLANs a port does not carry', () => {
    const { sw, a10, b20, c10, trunk, native } = vlanSwitch();
    trunk.feed([frame(MAC.bcast, MAC.b, 20), frame(MAC.bcast, MAC.c, 30)]);
    expect(b20.take()).toEqual([frame(MAC.bcast, MAC.b)]); // tag popped
    expect(native.take()).toEqual([frame(MAC.bcast, MAC.b, 20)]); // trunk to trunk: as it was
    expect(a10.take()).toHaveLength(0);
    expect(c10.take()).toHaveLength(0);
    expect(sw.stats.drops.vlan).toBe(1);
    // Untagged on a trunk without native VLAN: dropped; on one with native 10: VLAN 10.
    trunk.feed([frame(MAC.bcast, MAC.c)]);
    expect(sw.stats.drops.untagged).toBe(1);
    native.feed([frame(MAC.bcast, MAC.c)]);
    expect(a10.take()).toEqual([frame(MAC.bcast, MAC.c)]);
    expect(trunk.take()).toEqual([frame(MAC.bcast, MAC.c, 10)]);
    // A tagged frame of another VLAN arriving on an access port is dropped.
    a10.feed([frame(MAC.bcast, MAC.a, 20)]);
    expect(b20.take()).toHaveLength(0);
    expect(sw.stats.drops.vlan).toBe(2);
  });

  it('learns per VLAN: the same MAC in two VLANs is two stations', () => {
    const { sw, a10, b20, c10, trunk, native } = vlanSwitch();
    a10.feed([frame(MAC.bcast, MAC.a)]);
    b20.feed([frame(MAC.bcast, MAC.a)]);
    for (const d of [a10, b20, c10, trunk, native]) d.take();
    trunk.feed([frame(MAC.a, MAC.c, 20), frame(MAC.a, MAC.c, 10)]);
    expect(b20.take()).toEqual([frame(MAC.a, MAC.c)]);
    expect(a10.take()).toEqual([frame(MAC.a, MAC.c)]);
    expect(c10.take()).toHaveLength(0); // known unicast: no flooding
    expect(sw.fdb.filter((e) => e.mac === MAC.a).map((e) => [e.vlan, e.port])).toEqual([
      [10, 'a10'],
      [20, 'b20'],
    ]);
  });

  it('rewrites priority tags (VLAN 0) to the port VLAN or pops them', () => {
    const { a10, c10, trunk } = vlanSwitch();
    const prio = frame(MAC.bcast, MAC.a, 10);
    prio.writeUInt16BE(0xa000, 14); // PCP 5, VID 0
    a10.feed([prio]);
    expect(c10.take()).toEqual([frame(MAC.bcast, MAC.a)]);
    const tagged = trunk.take()[0];
    expect(tagged.readUInt16BE(14)).toBe(0xa000 | 10); // priority kept, VLAN filled in
  });
});
