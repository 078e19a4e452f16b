/**
 * The overlay agent on real namespaces and a real etcd: three hosts on an underlay bridge, each
 * with a VM on two virtual networks that use the same subnet (red, VNI 100: 10.0.0.1–3; blue,
 * VNI 200: 10.0.0.1, 10.0.0.2 and 10.0.0.4), and three agents in this process, each
 * programming its host through a namespace handle. `bridge -j fdb`, `ip -j neigh`, `ping` and an
 * nft counter on the underlay are the oracles.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bridgeJson, ipnJson, isRoot } from '../../../test/helpers/netns';
// @ts-ignore plain JavaScript module without declarations
import { startEtcd } from './helpers/etcd.js';
import { buildTopology, nsRun, ping, waitFor, type HostSpec, type Topology } from './helpers/topology';
// @ts-ignore plain JavaScript module without declarations
import { OverlayAgent } from '../lib/agent.js';
// @ts-ignore plain JavaScript module without declarations
import nl from '../lib/netlinkjs.js';
// @ts-ignore plain JavaScript module without declarations
import { gatewayMac } from '../lib/gateway.js';

const RED = 100;
const BLUE = 200;
const TTL = 4;
const IPS: Record<number, string[]> = { [RED]: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], [BLUE]: ['10.0.0.1', '10.0.0.2', '10.0.0.4'] };
/** Host A is the red network's gateway to an "outside" namespace (nftables masquerade). */
const GATEWAY = { vni: RED, address: '10.0.0.254/24', outside: 'out0' };
const OUTSIDE = '203.0.113.2';

describe.skipIf(!isRoot)('overlay agent (etcd + netlinkjs)', () => {
  let etcd: { url: string; stop(): Promise<void> };
  let topo: Topology;
  const agents = new Map<string, any>();
  /** Hosts whose agent is registered (the others must have vanished from everyone's tables). */
  const live = new Set<string>();
  /** Errors any agent reported (none expected). */
  const errors: Error[] = [];
  /** VMs whose port was deleted (their entries must be gone everywhere). */
  const gone = new Set<string>();

  function agentFor(h: HostSpec): any {
    return new OverlayAgent({
      etcd: { hosts: etcd.url }, host: h.name, netns: h.ns, underlay: 'eth0', ttl: TTL,
      ...(process.env.OVERLAY_DEBUG ? { log: (l: string) => console.log(Date.now() % 100000, l) } : {}),
      networks: [{ vni: RED }, { vni: BLUE }],
      ports: h.vms.map((vm) => ({ vni: vm.vni, dev: vm.dev, mac: vm.mac, ip: vm.ip })),
      ...(h === topo.hosts[0] ? { gateways: [GATEWAY] } : {}),
    });
  }

  async function startAgent(h: HostSpec): Promise<any> {
    const a = agentFor(h);
    a.on('error', (err: Error) => errors.push(err));
    await a.start();
    agents.set(h.name, a);
    live.add(h.name);
    return a;
  }

  const vmOf = (h: HostSpec, vni: number) => h.vms.find((v) => v.vni === vni)!;

  /** What host `h`'s devices of network `vni` must hold, as sorted strings. */
  function expected(h: HostSpec, vni: number): { fdb: string[]; neigh: string[] } {
    const fdb: string[] = [];
    const neigh: string[] = [];
    for (const o of topo.hosts) {
      if (o === h || !live.has(o.name)) continue;
      const vm = vmOf(o, vni);
      fdb.push(`flood ${o.vtep}`);
      if (!gone.has(vm.mac)) {
        fdb.push(`self ${vm.mac} ${o.vtep} static`, `master ${vm.mac} static`);
        neigh.push(`${vm.ip} ${vm.mac}`);
      }
      if (o === topo.hosts[0] && vni === GATEWAY.vni) {
        // The gateway is registered like a VM port: its bridge's fixed MAC and address.
        const mac = gatewayMac(o.name, vni);
        fdb.push(`self ${mac} ${o.vtep} static`, `master ${mac} static`);
        neigh.push(`${GATEWAY.address.split('/')[0]} ${mac}`);
      }
    }
    return { fdb: fdb.sort(), neigh: neigh.sort() };
  }

  /** What the kernel holds, per `bridge -j fdb show dev vx-VNI` and `ip -j neigh show dev br-VNI`. */
  function actual(h: HostSpec, vni: number): { fdb: string[]; neigh: string[]; local: number } {
    const fdb: string[] = [];
    let local = 0;
    for (const e of bridgeJson<any[]>(h.ns, 'fdb', 'show', 'dev', `vx-${vni}`)) {
      const self = (e.flags ?? []).includes('self');
      if (self && e.mac === '00:00:00:00:00:00') fdb.push(`flood ${e.dst}`);
      else if (self) fdb.push(`self ${e.mac} ${e.dst} ${e.state}`);
      else if (e.master === `br-${vni}` && e.state === 'permanent') local++; // the port's own address
      else fdb.push(`master ${e.mac} ${e.state ?? 'dynamic'}`);
    }
    const neigh = ipnJson<any[]>(h.ns, 'neigh', 'show', 'dev', `br-${vni}`, 'nud', 'permanent').map((n) => `${n.dst} ${n.lladdr}`);
    return { fdb: fdb.sort(), neigh: neigh.sort(), local };
  }

  /** True when every live host (but `skip`) holds exactly what it should. */
  function converged(skip?: HostSpec): boolean {
    for (const h of topo.hosts) {
      if (!live.has(h.name) || h === skip) continue;
      for (const vni of [RED, BLUE]) {
        const a = actual(h, vni);
        const e = expected(h, vni);
        if (JSON.stringify(a.fdb) !== JSON.stringify(e.fdb) || JSON.stringify(a.neigh) !== JSON.stringify(e.neigh)) return false;
      }
    }
    return true;
  }

  beforeAll(async () => {
    etcd = await startEtcd();
    topo = buildTopology(3, (h) => [{ vni: RED, ip: IPS[RED]![h]! }, { vni: BLUE, ip: IPS[BLUE]![h]! }]);
    // The underlay counts VXLAN-carried ARP (inner EtherType at UDP payload byte 20: 8 of
    // VXLAN header, 12 of MAC addresses) on the bridge that joins the hosts.
    execFileSync('ip', ['netns', 'exec', topo.underlay, 'nft', '-f', '-'], {
      input: `table bridge overlay_test {
  counter vxlan_arp {}
  chain tunnels { type filter hook forward priority 0; udp dport 4789 @th,224,16 0x0806 counter name vxlan_arp; }
}
`,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    // The outside world: a namespace behind host A, with no route to any overlay subnet.
    const outside = topo.addNamespace('ovo');
    const A = topo.hosts[0]!;
    execFileSync('ip', ['-n', A.ns, 'link', 'add', 'out0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside]);
    execFileSync('ip', ['-n', A.ns, 'address', 'add', '203.0.113.1/24', 'dev', 'out0']);
    execFileSync('ip', ['-n', A.ns, 'link', 'set', 'out0', 'up']);
    execFileSync('ip', ['-n', outside, 'address', 'add', `${OUTSIDE}/24`, 'dev', 'eth0']);
    execFileSync('ip', ['-n', outside, 'link', 'set', 'eth0', 'up']);
    execFileSync('ip', ['netns', 'exec', A.ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  }, 60_000);

  afterEach(() => {
    // Every agent kept its lease alive throughout (a lost lease would hide real removals), and
    // the kernel accepted every change it asked for.
    for (const a of agents.values()) expect([a.stats.leaseLost, a.stats.opErrors]).toEqual([0, 0]);
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    for (const a of agents.values()) await a.stop().catch(() => {});
    topo?.cleanup();
    await etcd?.stop();
  });

  it('programs every host: one bridge and learning-off VXLAN device per network, exactly the remote entries', async () => {
    for (const h of topo.hosts) await startAgent(h);
    expect(await waitFor(converged)).toBe(true);
    for (const h of topo.hosts) {
      for (const vni of [RED, BLUE]) {
        const [vx] = ipnJson<any[]>(h.ns, '-d', 'link', 'show', `vx-${vni}`);
        expect(vx.linkinfo.info_data).toMatchObject({ id: vni, local: h.vtep, port: 4789, learning: false });
        expect(vx.master).toBe(`br-${vni}`);
        expect(vx.linkinfo.info_slave_data).toMatchObject({ neigh_suppress: true, learning: false });
        const a = actual(h, vni);
        expect(a).toEqual({ ...expected(h, vni), local: 1 });
        expect(a.fdb.filter((x) => x.startsWith('flood '))).toHaveLength(2); // the two other VTEPs
        const [port] = ipnJson<any[]>(h.ns, 'link', 'show', `vm${vni}`);
        expect(port.master).toBe(`br-${vni}`);
      }
    }
  });

  it('VMs reach their own network on other hosts and never the other network', async () => {
    const [A, B, C] = topo.hosts as [HostSpec, HostSpec, HostSpec];
    const redA = vmOf(A, RED).ns;
    const blueA = vmOf(A, BLUE).ns;
    expect(await ping(redA, '10.0.0.2')).toBe(true);
    expect(await ping(redA, '10.0.0.3')).toBe(true);
    expect(await ping(blueA, '10.0.0.2')).toBe(true);
    expect(await ping(blueA, '10.0.0.4')).toBe(true);
    // Same address in both networks: each VM reached its own network's peer.
    const mac = (ns: string, addr: string) => ipnJson<any[]>(ns, 'neigh', 'show', addr)[0]?.lladdr;
    expect(mac(redA, '10.0.0.2')).toBe(vmOf(B, RED).mac);
    expect(mac(blueA, '10.0.0.2')).toBe(vmOf(B, BLUE).mac);
    // Addresses that exist only in the other network are unreachable.
    expect(await ping(redA, '10.0.0.4')).toBe(false);
    expect(await ping(blueA, '10.0.0.3')).toBe(false);
    expect(await ping(vmOf(C, RED).ns, '10.0.0.4')).toBe(false);
  });

  it('answers ARP for a remote VM on the host: no ARP crosses the underlay', async () => {
    const [A, B, C] = topo.hosts as [HostSpec, HostSpec, HostSpec];
    const counter = () => {
      const out = JSON.parse(execFileSync('ip', ['netns', 'exec', topo.underlay, 'nft', '-j', 'list', 'counter', 'bridge', 'overlay_test', 'vxlan_arp'], { encoding: 'utf8' }));
      return out.nftables.find((x: any) => x.counter)?.counter.packets as number;
    };
    for (const vm of [vmOf(A, RED), vmOf(C, RED), vmOf(A, BLUE), vmOf(B, BLUE)]) nsRun(vm.ns, 'ip', 'neigh', 'flush', 'all');
    const before = counter();
    expect(await ping(vmOf(A, RED).ns, '10.0.0.3')).toBe(true);
    expect(await ping(vmOf(B, BLUE).ns, '10.0.0.1')).toBe(true);
    // Both directions resolved their peer (each side's host answered) …
    expect(ipnJson<any[]>(vmOf(A, RED).ns, 'neigh', 'show', '10.0.0.3')[0]?.lladdr).toBe(vmOf(C, RED).mac);
    expect(ipnJson<any[]>(vmOf(C, RED).ns, 'neigh', 'show', '10.0.0.1')[0]?.lladdr).toBe(vmOf(A, RED).mac);
    // … and not one ARP frame went through the tunnels.
    expect(counter()).toBe(before);
    // The counter does see ARP that must be flooded: an address no host registered.
    expect(await ping(vmOf(A, RED).ns, '10.0.0.9')).toBe(false);
    expect(counter()).toBeGreaterThan(before);
  });

  it('a gateway host masquerades its network to the outside (nftables), and only that network', async () => {
    const [A, B] = topo.hosts as [HostSpec, HostSpec];
    for (const h of topo.hosts) for (const vm of h.vms) nsRun(vm.ns, 'ip', 'route', 'add', 'default', 'via', '10.0.0.254');
    // The outside has no route back to 10.0.0.0/24: an answer means the source was rewritten.
    expect(await ping(vmOf(B, RED).ns, OUTSIDE)).toBe(true); // through the tunnel to A, then NAT
    expect(await ping(vmOf(A, RED).ns, OUTSIDE)).toBe(true);
    expect(await ping(vmOf(B, BLUE).ns, OUTSIDE)).toBe(false); // blue has no gateway
    const rs = JSON.parse(execFileSync('ip', ['netns', 'exec', A.ns, 'nft', '-j', 'list', 'table', 'ip', `overlay_nat_${RED}`], { encoding: 'utf8' }));
    const rule = rs.nftables.find((o: any) => o.rule)?.rule;
    expect(rule.expr).toEqual([
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 24 } } } },
      { match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'out0' } },
      { masquerade: null },
    ]);
    const [br] = ipnJson<any[]>(A.ns, 'address', 'show', 'dev', `br-${RED}`);
    expect(br.address).toBe(gatewayMac(A.name, RED));
    expect(br.addr_info.map((x: any) => `${x.local}/${x.prefixlen}`)).toContain(GATEWAY.address);
  });

  it('a host that dies disappears from every other host when its lease runs out', async () => {
    const C = topo.hosts[2]!;
    const t0 = Date.now();
    await agents.get(C.name).stop({ revoke: false }); // keepalives stop; the keys stay until the TTL
    agents.delete(C.name);
    live.delete(C.name);
    // Still there at first: nobody withdrew them, the lease has to run out.
    expect(actual(topo.hosts[0]!, RED).fdb).toContain(`flood ${C.vtep}`);
    expect(await waitFor(converged, TTL * 1000 + 5000)).toBe(true);
    console.log(`host C gone from A and B ${Date.now() - t0} ms after its agent stopped (lease TTL ${TTL} s)`);
    expect(await ping(vmOf(topo.hosts[0]!, RED).ns, '10.0.0.2')).toBe(true);
  });

  it('a restarted agent re-lists kernel and store and changes nothing that is already right', async () => {
    const A = topo.hosts[0]!;
    const natHandles = () => execFileSync('ip', ['netns', 'exec', A.ns, 'nft', '-j', '-a', 'list', 'table', 'ip', `overlay_nat_${RED}`], { encoding: 'utf8' });
    const natBefore = natHandles();
    const mon = await nl.monitor({ groups: ['link', 'address', 'neigh', 'fdb'], netns: A.ns });
    const events: any[] = [];
    mon.on('event', (ev: any) => events.push(ev));
    const agentB = agents.get(topo.hosts[1]!.name);
    const opsB = agentB.stats.ops;
    const seenB = agentB.stats.storeEvents;
    await agents.get(A.name).stop({ revoke: false }); // as if it crashed: its keys stay
    agents.delete(A.name);
    const again = await startAgent(A);
    // The restarted agent re-put its keys (2 memberships, 2 ports): B hears them, changes nothing.
    await waitFor(() => agentB.stats.storeEvents >= seenB + 4, 5000);
    await agentB.whenIdle();
    await again.whenIdle();
    mon.close();
    expect(converged()).toBe(true);
    expect(again.stats.fullReconciles).toBe(1);
    expect(again.stats.deviceChanges).toBe(0);
    expect(again.stats.ops).toBe(0);
    // Not one link, address, neighbour or FDB change (the bridge's own learning aside).
    expect(events.filter((e) => !(e.type === 'fdb' && e.fdb.state === 'dynamic'))).toEqual([]);
    expect(agentB.stats.ops).toBe(opsB);
    expect(natHandles()).toBe(natBefore); // the NAT table was not re-made
  });

  it('puts back an entry someone removed behind its back', async () => {
    const [A, B] = topo.hosts as [HostSpec, HostSpec];
    execFileSync('bridge', ['-n', A.ns, 'fdb', 'del', vmOf(B, RED).mac, 'dev', `vx-${RED}`, 'dst', B.vtep, 'self']);
    execFileSync('ip', ['-n', A.ns, 'neigh', 'del', '10.0.0.2', 'dev', `br-${BLUE}`]);
    expect(await waitFor(converged)).toBe(true);
    expect(agents.get(A.name).stats.repairs).toBe(2);
  });

  it('an agent that was down while a host came back adds exactly that host, touching nothing else', async () => {
    const [A, , C] = topo.hosts as [HostSpec, HostSpec, HostSpec];
    await agents.get(A.name).stop({ revoke: false });
    agents.delete(A.name);
    await startAgent(C);
    expect(await waitFor(() => converged(A))).toBe(true); // B (and C) have caught up; A has not
    const again = await startAgent(A);
    expect(converged()).toBe(true);
    // Per network: C's flood entry, its VM's VXLAN and bridge entries, its neighbour.
    expect(again.stats.ops).toBe(8);
    expect(again.stats.deviceChanges).toBe(0);
    expect(await ping(vmOf(A, BLUE).ns, '10.0.0.4')).toBe(true);
  });

  it('withdraws a VM whose port device goes away, everywhere', async () => {
    const B = topo.hosts[1]!;
    const vm = vmOf(B, BLUE);
    execFileSync('ip', ['-n', B.ns, 'link', 'del', vm.dev]); // the VM is destroyed
    gone.add(vm.mac);
    expect(await waitFor(converged)).toBe(true);
    expect(await ping(vmOf(topo.hosts[0]!, BLUE).ns, '10.0.0.4')).toBe(true); // the rest of blue still works
  });
});
