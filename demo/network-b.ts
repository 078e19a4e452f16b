/**
 * `sudo npm run demo` — seed "network B", built with netlinkjs alone, in namespaces:
 *
 *   vm1 ─┐ VLAN 10 (TAP)                          ┌─ vm5 (VLAN 10, veth)
 *   vm2 ─┤ VLAN 10 (TAP)   JS L2Switch            │
 *   vm3 ─┤ VLAN 20 (TAP)   (this process)  trunk ═╡ kernel bridge br0 (vlan_filtering)
 *   vm4 ─┘ VLAN 20 (TAP)   10+20 tagged    (TAP)  │   in namespace "kbr"
 *                                                 └─ vm6 (VLAN 20, veth)
 *
 * Every "VM" is a namespace with one NIC (eth0) in the same subnet 10.0.0.0/24, so only the
 * VLANs keep VLAN 10 and VLAN 20 apart. The demo pings every ordered pair, prints the
 * reachability matrix, the switch's FDB and counters, and removes everything it made — also
 * on Ctrl-C or an error.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { L2Switch, NetlinkError, netns, tap, type Rtnl, type Tap } from 'netlinkjs';
import { DemoNamespaces, runDemo } from './run-demo';

interface Vm {
  name: string;
  ns: string;
  vlan: 10 | 20;
  ip: string;
  /** How it is attached: a TAP port of the JS switch, or a veth port of the kernel bridge. */
  via: 'js-switch' | 'kernel-bridge';
}

const tag = randomBytes(2).toString('hex');
const nsName = (n: string) => `nljs-demo-${tag}-${n}`;
const VMS: Vm[] = [
  { name: 'vm1', ns: nsName('vm1'), vlan: 10, ip: '10.0.0.1', via: 'js-switch' },
  { name: 'vm2', ns: nsName('vm2'), vlan: 10, ip: '10.0.0.2', via: 'js-switch' },
  { name: 'vm3', ns: nsName('vm3'), vlan: 20, ip: '10.0.0.3', via: 'js-switch' },
  { name: 'vm4', ns: nsName('vm4'), vlan: 20, ip: '10.0.0.4', via: 'js-switch' },
  { name: 'vm5', ns: nsName('vm5'), vlan: 10, ip: '10.0.0.5', via: 'kernel-bridge' },
  { name: 'vm6', ns: nsName('vm6'), vlan: 20, ip: '10.0.0.6', via: 'kernel-bridge' },
];
const KBR = nsName('kbr');

/** Everything made, in the order it must be undone. */
const made = { spaces: new DemoNamespaces(), taps: [] as Tap[], sw: undefined as L2Switch | undefined };
const namespace = (ns: string): Promise<Rtnl> => made.spaces.add(ns);

async function cleanup(): Promise<void> {
  made.sw?.close();
  for (const t of made.taps.splice(0)) t.close(); // TAPs vanish with their last fd
  await made.spaces.release();
}

/** A VM's NIC is configured the same way whatever it is plugged into. */
async function configureNic(rt: Rtnl, vm: Vm): Promise<void> {
  await rt.link.set('eth0', { up: true, address: `02:00:00:00:00:0${vm.name.slice(2)}` });
  await rt.address.add('eth0', `${vm.ip}/24`, { noDad: true });
}

/** ping -c2 from one namespace to an address; true if any reply came back. */
function ping(from: Vm, to: Vm): Promise<boolean> {
  return new Promise((resolve) => {
    // Generous waits: under a software-emulated VM a reply can take a while.
    const child = netns.spawn(from.ns, 'ping', ['-n', '-q', '-c', '3', '-i', '0.3', '-W', '3', to.ip], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

async function build(): Promise<L2Switch> {
  // The kernel bridge host: br0 filters VLANs; its uplink (a TAP whose other side is the JS
  // switch's trunk port) carries 10 and 20 tagged.
  const kbr = await namespace(KBR);
  try {
    await kbr.link.add({ name: 'br0', kind: 'bridge', bridge: { vlanFiltering: true, stp: false } });
  } catch (err) {
    if (err instanceof NetlinkError && err.code === 'EOPNOTSUPP') throw new NoVlanFiltering();
    throw err;
  }
  await kbr.link.set('br0', { up: true });

  const sw = new L2Switch({ ageingMs: 300_000 });
  made.sw = sw;

  for (const vm of VMS) {
    const rt = await namespace(vm.ns);
    if (vm.via === 'js-switch') {
      // The VM's NIC is a TAP inside its namespace; this process holds the other end.
      const t = await tap.open({ name: 'eth0', netns: vm.ns });
      made.taps.push(t);
      sw.addPort(t, { name: vm.name, vlan: vm.vlan });
    } else {
      // A veth cable from the VM into the kernel bridge, as an access port of its VLAN.
      const port = `p-${vm.name}`;
      await kbr.link.add({ name: port, kind: 'veth', peer: { name: 'eth0', netns: vm.ns } });
      await kbr.link.set(port, { master: 'br0', up: true });
      await kbr.bridge.vlan.del(port, { vid: 1 });
      await kbr.bridge.vlan.add(port, { vid: vm.vlan, pvid: true, untagged: true });
    }
    await configureNic(rt, vm);
  }

  const uplink = await tap.open({ name: 'uplink', netns: KBR });
  made.taps.push(uplink);
  await kbr.link.set('uplink', { master: 'br0', up: true });
  await kbr.bridge.vlan.del('uplink', { vid: 1 });
  await kbr.bridge.vlan.add('uplink', { vid: 10 });
  await kbr.bridge.vlan.add('uplink', { vid: 20 });
  sw.addPort(uplink, { name: 'trunk', trunk: [10, 20] });
  return sw;
}

function printMatrix(results: Map<string, boolean>): void {
  const head = ['from \\ to', ...VMS.map((v) => `${v.name}/${v.vlan}`)];
  const rows = VMS.map((a) => [`${a.name}/${a.vlan}`, ...VMS.map((b) => (a === b ? '-' : results.get(`${a.name}>${b.name}`) ? 'yes' : 'no'))]);
  const w = Math.max(...[head, ...rows].flat().map((c) => c.length)) + 2;
  console.log([head, ...rows].map((r) => r.map((c) => c.padEnd(w)).join('')).join('\n'));
}

async function main(): Promise<number> {
  console.log('netlinkjs demo: network B — 4 VMs on a JavaScript switch (VLANs 10, 20) + a trunk to a kernel bridge');
  const sw = await build();
  console.log(`built: ${made.spaces.names.length} namespaces, switch ports: ${sw.ports.map((p) => p.name).join(', ')}\n`);

  const pairs = VMS.flatMap((a) => VMS.filter((b) => b !== a).map((b) => [a, b] as const));
  const results = new Map<string, boolean>();
  // A few pings at a time: all thirty at once would mostly measure process start-up.
  for (let i = 0; i < pairs.length; i += 6) {
    await Promise.all(pairs.slice(i, i + 6).map(async ([a, b]) => results.set(`${a.name}>${b.name}`, await ping(a, b))));
  }

  console.log('reachability (ping; same VLAN should say yes, across VLANs no):');
  printMatrix(results);
  const wrong = pairs.filter(([a, b]) => results.get(`${a.name}>${b.name}`) !== (a.vlan === b.vlan));
  console.log(wrong.length ? `\nUNEXPECTED: ${wrong.map(([a, b]) => `${a.name}->${b.name}`).join(', ')}` : '\nall pairs as expected: VLANs isolate, the trunk carries both');

  console.log('\nswitch FDB:');
  for (const e of sw.fdb) {
    console.log(`  vlan ${e.vlan}  ${e.mac}  port ${e.port.padEnd(6)} age ${(e.ageMs / 1000).toFixed(1)}s`);
  }
  const s = sw.stats;
  console.log('\nswitch counters:');
  console.log(`  rx ${s.rxFrames} frames in ${s.rxBatches} batches, forwarded ${s.forwarded}, flooded ${s.flooded}, tx ${s.txFrames}`);
  console.log(`  drops: ${Object.entries(s.drops).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const p of sw.ports) {
    const ps = p.stats;
    console.log(`  port ${p.name.padEnd(6)} rx ${ps.rxFrames} (${ps.rxBytes} B) tx ${ps.txFrames} drops rx ${ps.rxDrops} tx ${ps.txDrops}`);
  }
  return wrong.length ? 1 : 0;
}

/** This kernel's bridge was built without CONFIG_BRIDGE_VLAN_FILTERING. */
class NoVlanFiltering extends Error {
  constructor() {
    super("this kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)");
  }
}

/**
 * Without VLAN filtering here, the whole demo runs in the VM tier (scripts/vm/run boots the
 * project's test kernel, which has it) when QEMU and a kernel image are at hand.
 */
function runInVm(reason: string): number {
  const run = path.resolve(__dirname, '../scripts/vm/run');
  if (process.env.NETLINKJS_VM === '1' || !existsSync(run) || spawnSync(run, ['--check'], { stdio: 'ignore' }).status !== 0) {
    console.error(`demo: ${reason}, and the VM tier is not available to run it instead (see README, "Testing in a VM").`);
    return 1;
  }
  console.log(`demo: ${reason}; running it in the VM tier (Linux 6.1 under QEMU) instead …\n`);
  return spawnSync(run, ['--', process.execPath, __filename], { stdio: 'inherit' }).status ?? 1;
}

runDemo(main, cleanup, (err) => (err instanceof NoVlanFiltering ? runInVm(err.message) : undefined));
