/**
 * `sudo npm run demo -- a` — seed "network A": libvirt's default network, built with netlinkjs
 * alone (links, addresses, routes, nftables, conntrack), in throwaway namespaces:
 *
 *                        host (the hypervisor)
 *   vm1 192.168.122.11 ─┐
 *                       ├─ virbr0 192.168.122.1/24 ─┐  nftables table ip nljs_demo_a:    uplink0 ───── outside
 *   vm2 192.168.122.12 ─┘                           ├─  masquerade 192.168.122.0/24      198.51.100.1   198.51.100.254
 *                                                   │   forward: established/related,                   (a web server
 *   vm3 192.168.100.13 ─── virbr1 192.168.100.1/24 ─┘   virbr0 → uplink0, the port        on :80 that
 *       (a second, isolated network)                    forward; everything else dropped  says who came)
 *
 *   port forward: 198.51.100.1:8080 → vm1:80 (DNAT)
 *
 * The "outside" has no route to the VM networks: a VM reaches it only through the masquerade,
 * and the outside sees only the host's address. The demo shows each VM reaching the outside,
 * the address the outside saw, the port forward, the isolated network kept apart, the conntrack
 * entries the traffic made, per-VM bandwidth (rt.tc.bandwidth, where the library has it), and
 * removes everything it made — also on Ctrl-C or an error.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { conntrack, netns, nft, type Conntrack, type ConntrackEntry, type Rtnl } from 'netlinkjs';
import { DemoNamespaces, runDemo } from './run-demo';

interface Vm {
  name: string;
  ns: string;
  bridge: 'virbr0' | 'virbr1';
  ip: string;
  gateway: string;
}

const tag = randomBytes(2).toString('hex');
const nsName = (n: string) => `nljs-a-${tag}-${n}`;
const HOST = nsName('host');
const OUTSIDE = nsName('outside');
const NET = { prefix: '192.168.122.0', len: 24, gateway: '192.168.122.1' };
const ISOLATED = { gateway: '192.168.100.1' };
const UPLINK = { host: '198.51.100.1', outside: '198.51.100.254' };
const FORWARD_PORT = 8080;
const TABLE = 'nljs_demo_a';
const VMS: Vm[] = [
  { name: 'vm1', ns: nsName('vm1'), bridge: 'virbr0', ip: '192.168.122.11', gateway: NET.gateway },
  { name: 'vm2', ns: nsName('vm2'), bridge: 'virbr0', ip: '192.168.122.12', gateway: NET.gateway },
  { name: 'vm3', ns: nsName('vm3'), bridge: 'virbr1', ip: '192.168.100.13', gateway: ISOLATED.gateway },
];

/** Everything made, so it can be undone. */
const made = { spaces: new DemoNamespaces(), children: [] as ChildProcess[] };
const namespace = (ns: string): Promise<Rtnl> => made.spaces.add(ns);

async function cleanup(): Promise<void> {
  for (const c of made.children.splice(0)) c.kill();
  await made.spaces.release();
}

/** Runs a short Node program inside a namespace (the demo's stand-in for a VM's software). */
function runIn(ns: string, program: string, args: string[] = []): ChildProcess {
  const child = netns.spawn(ns, process.execPath, ['-e', program, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  made.children.push(child);
  return child;
}

/** Output of a program run to completion inside a namespace. */
function runToEnd(ns: string, program: string, args: string[] = []): Promise<string> {
  const child = runIn(ns, program, args);
  child.stdin!.end();
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('error', (err) => resolve(JSON.stringify({ error: err.message })));
    child.on('close', () => resolve(out.trim()));
  });
}

/** A web server that answers every connection with who it is and the address it saw. */
const WHOAMI = `
const [name, port] = [process.argv[1], Number(process.argv[2])];
const v4 = (a) => a.replace(/^::ffff:/, '');
require('node:net').createServer((s) => s.end(JSON.stringify({ server: name, peer: v4(s.remoteAddress), local: v4(s.localAddress), port: s.localPort }) + '\\n'))
  .listen(port, () => console.log('ready'));
process.stdin.resume(); process.stdin.on('end', () => process.exit(0));
`;

/** Connects, prints the server's answer or the error; gives up after 2 s (a dropped SYN gets no answer). */
const CLIENT = `
const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
let data = ''; s.setTimeout(2000, () => { console.log(JSON.stringify({ error: 'no answer (timed out)' })); process.exit(1); });
s.on('data', (d) => (data += d)); s.on('end', () => { console.log(data.trim()); process.exit(0); });
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(1); });
`;

/** Sends data as fast as the path allows for `ms` milliseconds to whoever connects. */
const SOURCE = `
const [port, ms] = [Number(process.argv[1]), Number(process.argv[2])];
const chunk = Buffer.alloc(64 * 1024);
require('node:net').createServer((s) => {
  const end = Date.now() + ms;
  const pump = () => { while (Date.now() < end) { if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  s.on('error', () => {}); pump();
}).listen(port, () => console.log('ready'));
process.stdin.resume(); process.stdin.on('end', () => process.exit(0));
`;

/** Downloads from the source and prints the rate it measured, in Mbit/s. */
const SINK = `
const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
let bytes = 0, first = 0;
s.on('data', (d) => { if (!first) first = process.hrtime.bigint(); bytes += d.length; });
s.on('end', () => { const ns = Number(process.hrtime.bigint() - first); console.log(JSON.stringify({ mbit: bytes * 8 / (ns / 1e3) })); process.exit(0); });
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(1); });
`;

/**
 * IPv4 forwarding on in the host namespace. There is no netlink message for the
 * net.ipv4.ip_forward sysctl: a process inside the namespace writes /proc/sys, whose net/
 * entries belong to the namespace of the process reading or writing them.
 */
async function enableForwarding(ns: string): Promise<void> {
  const out = await runToEnd(ns, "require('node:fs').writeFileSync('/proc/sys/net/ipv4/ip_forward', '1'); console.log(require('node:fs').readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim())");
  if (out !== '1') throw new Error(`could not enable IP forwarding in ${ns}: ${out}`);
}

async function startServer(ns: string, name: string, port: number, program = WHOAMI, args = [name, String(port)]): Promise<void> {
  const child = runIn(ns, program, args);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name}'s server exited (${code})`)));
  });
}

async function request(ns: string, host: string, port: number): Promise<{ server?: string; peer?: string; local?: string; error?: string }> {
  const out = await runToEnd(ns, CLIENT, [host, String(port)]);
  try {
    return JSON.parse(out.split('\n').pop() || '{}');
  } catch {
    return { error: out };
  }
}

function ping(ns: string, addr: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = netns.spawn(ns, 'ping', ['-n', '-q', '-c', '2', '-i', '0.3', '-W', '2', addr], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/**
 * The ruleset, in the JSON `nft -j` speaks, as libvirt's network driver would write it for a
 * NAT network with one port forward. Equivalent to (`nft -f`):
 *   table ip nljs_demo_a {
 *     chain postrouting { type nat hook postrouting priority srcnat; policy accept;
 *       ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 oifname "uplink0" masquerade }
 *     chain prerouting { type nat hook prerouting priority dstnat; policy accept;
 *       iifname "uplink0" tcp dport 8080 dnat to 192.168.122.11:80 }
 *     chain forward { type filter hook forward priority filter; policy drop;
 *       ct state established,related accept
 *       iifname "virbr0" oifname "virbr0" accept
 *       iifname "virbr0" ip saddr 192.168.122.0/24 oifname "uplink0" accept
 *       iifname "uplink0" ip daddr 192.168.122.11 tcp dport 80 accept }
 *   }
 */
function ruleset(vm: Vm): { nftables: Record<string, unknown>[] } {
  const t = { family: 'ip', table: TABLE };
  const subnet = { prefix: { addr: NET.prefix, len: NET.len } };
  const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
  const daddr = { payload: { protocol: 'ip', field: 'daddr' } };
  const dport = { payload: { protocol: 'tcp', field: 'dport' } };
  const iif = { meta: { key: 'iifname' } };
  const oif = { meta: { key: 'oifname' } };
  const rule = (chain: string, expr: unknown[]) => ({ add: { rule: { ...t, chain, expr } } });
  return {
    nftables: [
      { add: { table: { family: 'ip', name: TABLE } } },
      { add: { chain: { ...t, name: 'postrouting', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
      { add: { chain: { ...t, name: 'prerouting', type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } } },
      { add: { chain: { ...t, name: 'forward', type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } } },
      rule('postrouting', [
        { match: { op: '==', left: saddr, right: subnet } },
        { match: { op: '!=', left: daddr, right: subnet } },
        { match: { op: '==', left: oif, right: 'uplink0' } },
        { masquerade: null },
      ]),
      rule('prerouting', [
        { match: { op: '==', left: iif, right: 'uplink0' } },
        { match: { op: '==', left: dport, right: FORWARD_PORT } },
        { dnat: { addr: vm.ip, port: 80 } },
      ]),
      rule('forward', [
        { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } },
        { accept: null },
      ]),
      // VM to VM on the same bridge (libvirt's guest_cross): bridged frames meet this hook too
      // when br_netfilter is loaded with bridge-nf-call-iptables=1.
      rule('forward', [
        { match: { op: '==', left: iif, right: 'virbr0' } },
        { match: { op: '==', left: oif, right: 'virbr0' } },
        { accept: null },
      ]),
      rule('forward', [
        { match: { op: '==', left: iif, right: 'virbr0' } },
        { match: { op: '==', left: saddr, right: subnet } },
        { match: { op: '==', left: oif, right: 'uplink0' } },
        { accept: null },
      ]),
      rule('forward', [
        { match: { op: '==', left: iif, right: 'uplink0' } },
        { match: { op: '==', left: daddr, right: vm.ip } },
        { match: { op: '==', left: dport, right: 80 } },
        { accept: null },
      ]),
    ],
  };
}

async function build(): Promise<{ host: Rtnl; ct: Conntrack; rules: number }> {
  const host = await namespace(HOST);
  for (const [br, addr] of [['virbr0', `${NET.gateway}/${NET.len}`], ['virbr1', `${ISOLATED.gateway}/24`]] as const) {
    await host.link.add({ name: br, kind: 'bridge', bridge: { stp: false } });
    await host.address.add(br, addr, { noDad: true });
    await host.link.set(br, { up: true });
  }
  for (const vm of VMS) {
    const rt = await namespace(vm.ns);
    // The VM's NIC (eth0) and its host-side port (vnet-vmN, as libvirt's vnetN) are one veth pair.
    const port = `vnet-${vm.name}`;
    await host.link.add({ name: port, kind: 'veth', peer: { name: 'eth0', netns: vm.ns } });
    await host.link.set(port, { master: vm.bridge, up: true });
    await rt.link.set('eth0', { up: true });
    await rt.address.add('eth0', `${vm.ip}/24`, { noDad: true });
    await rt.route.add({ dst: 'default', gateway: vm.gateway });
  }
  const outside = await namespace(OUTSIDE);
  await host.link.add({ name: 'uplink0', kind: 'veth', peer: { name: 'eth0', netns: OUTSIDE } });
  await host.address.add('uplink0', `${UPLINK.host}/24`, { noDad: true });
  await host.link.set('uplink0', { up: true });
  await outside.link.set('eth0', { up: true });
  await outside.address.add('eth0', `${UPLINK.outside}/24`, { noDad: true });

  await enableForwarding(HOST);
  const fw = await nft.open({ netns: HOST });
  made.spaces.handles.push(fw);
  await fw.apply(ruleset(VMS[0]!));
  const listed = await fw.list({ family: 'ip', table: TABLE });
  const rules = listed.nftables.filter((o) => 'rule' in o).length;
  const ct = await conntrack.open({ netns: HOST });
  made.spaces.handles.push(ct);

  await startServer(OUTSIDE, 'outside', 80);
  await startServer(VMS[0]!.ns, VMS[0]!.name, 80);
  await startServer(OUTSIDE, 'source', 9000, SOURCE, ['9000', '1000']);
  return { host, ct, rules };
}

/** The rt.tc.bandwidth recipe, where this build of the library has it. */
type BandwidthFn = (dev: string, spec: { egress?: { rate: string } } | null) => Promise<void>;

/**
 * Per-VM bandwidth, as libvirt's <bandwidth><inbound average=…/> does it: the host side of
 * vm2's cable (vnet-vm2) may send vm2 at most LIMIT (a tbf made by rt.tc.bandwidth); each VM
 * downloads from the outside for a second and the rates are printed side by side.
 */
async function bandwidth(host: Rtnl): Promise<void> {
  const tc = (host as unknown as { tc?: { bandwidth?: BandwidthFn } }).tc;
  if (typeof tc?.bandwidth !== 'function') {
    console.log('\nper-VM bandwidth: skipped (this build of netlinkjs has no rt.tc.bandwidth)');
    return;
  }
  const LIMIT = 20;
  const [vm1, vm2] = VMS as [Vm, Vm];
  console.log(`\nper-VM bandwidth: rt.tc.bandwidth('vnet-${vm2.name}', { egress: { rate: '${LIMIT}mbit' } }) — what the host sends ${vm2.name}:`);
  await tc.bandwidth.call(tc, `vnet-${vm2.name}`, { egress: { rate: `${LIMIT}mbit` } });
  const measure = async (vm: Vm) => JSON.parse((await runToEnd(vm.ns, SINK, [UPLINK.outside, '9000'])).split('\n').pop() || '{}') as { mbit?: number; error?: string };
  const free = await measure(vm1);
  const limited = await measure(vm2);
  const show = (r: { mbit?: number; error?: string }) => (r.mbit !== undefined ? `${r.mbit.toFixed(1)} Mbit/s` : r.error);
  // Rates are printed, not judged: they depend on the machine (the test of this demo asserts no timing).
  check(free.mbit !== undefined, `${vm1.name} (unlimited) downloads at ${show(free)}`);
  check(limited.mbit !== undefined, `${vm2.name} (limited to ${LIMIT} Mbit/s) downloads at ${show(limited)}`
    + (limited.mbit !== undefined && limited.mbit > LIMIT * 1.5 ? ' — above its limit?' : ''));
  await tc.bandwidth.call(tc, `vnet-${vm2.name}`, null);
}

let failures = 0;
function check(ok: boolean, text: string): void {
  if (!ok) failures++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`);
}

function describeEntry(e: ConntrackEntry): string {
  const t = (x: ConntrackEntry['orig']) => `src=${x.src} dst=${x.dst}`
    + (x.sport !== undefined ? ` sport=${x.sport} dport=${x.dport}` : x.type !== undefined ? ` type=${x.type} code=${x.code} id=${x.id}` : '');
  const flags = e.status.filter((s) => s === 'ASSURED' || s === 'SRC_NAT' || s === 'DST_NAT').map((s) => `[${s}]`).join(' ');
  return `${e.protocol.padEnd(5)} ${(e.state ?? '').padEnd(11)} ${t(e.orig).padEnd(66)} ${t(e.reply).padEnd(66)} ${flags}`;
}

async function main(): Promise<number> {
  console.log('netlinkjs demo: network A — libvirt\'s default network: a bridge, NAT to the outside, a port forward');
  const { host, ct, rules } = await build();
  console.log(`built: ${made.spaces.names.length} namespaces, bridges virbr0 (NAT) and virbr1 (isolated), nftables table ip ${TABLE} with ${rules} rules (listed back with nft.list())\n`);

  const [vm1, vm2, vm3] = VMS as [Vm, Vm, Vm];
  console.log('VMs reaching the outside (TCP to 198.51.100.254:80, which reports the address it saw):');
  for (const vm of [vm1, vm2]) {
    const r = await request(vm.ns, UPLINK.outside, 80);
    check(r.server === 'outside' && r.peer === UPLINK.host,
      `${vm.name} (${vm.ip}) → outside: ${r.error ?? `reached; the outside saw ${r.peer}`}`);
    check(await ping(vm.ns, UPLINK.outside), `${vm.name} pings the outside`);
  }
  const direct = await ping(OUTSIDE, vm1.ip);
  check(!direct, `the outside → ${vm1.ip} directly: ${direct ? 'reachable' : 'unreachable (no route, nothing forwarded)'}`);

  console.log(`\nport forward ${UPLINK.host}:${FORWARD_PORT} → ${vm1.name}:80:`);
  const fwd = await request(OUTSIDE, UPLINK.host, FORWARD_PORT);
  check(fwd.server === vm1.name && fwd.peer === UPLINK.outside,
    `outside → ${UPLINK.host}:${FORWARD_PORT}: ${fwd.error ?? `served by ${fwd.server} (${fwd.local}:80), which saw the client ${fwd.peer}`}`);
  const other = await request(OUTSIDE, UPLINK.host, 80);
  check(other.error !== undefined, `outside → ${UPLINK.host}:80 (not forwarded): ${other.error ? 'refused' : `answered by ${other.server}`}`);

  console.log('\nthe isolated network (virbr1) and the NAT network (virbr0) stay apart:');
  const reach = (ok: boolean) => (ok ? 'reachable' : 'blocked');
  const cross1 = await ping(vm3.ns, vm1.ip);
  check(!cross1, `${vm3.name} (${vm3.ip}) → ${vm1.name}: ${reach(cross1)}`);
  const cross2 = await ping(vm1.ns, vm3.ip);
  check(!cross2, `${vm1.name} → ${vm3.name}: ${reach(cross2)}`);
  const out3 = await request(vm3.ns, UPLINK.outside, 80);
  check(out3.error !== undefined, `${vm3.name} → outside: ${out3.error ? 'blocked' : `reached (${out3.peer})`}`);
  const same = await ping(vm1.ns, vm2.ip);
  check(same, `${vm1.name} → ${vm2.name} (same bridge): ${reach(same)}`);

  await bandwidth(host);

  const entries = await ct.list({ family: 'ipv4' });
  console.log(`\nconntrack entries in the host (ct.list(), as conntrack -L), ${entries.length}:`);
  for (const e of entries) console.log(`  ${describeEntry(e)}`);
  const masq = entries.filter((e) => e.status.includes('SRC_NAT') && e.reply.dst === UPLINK.host);
  const dnat = entries.filter((e) => e.status.includes('DST_NAT') && e.reply.src === vm1.ip);
  check(masq.length >= 2, `${masq.length} masqueraded connections (reply to ${UPLINK.host})`);
  check(dnat.length >= 1, `${dnat.length} port-forwarded connection (reply from ${vm1.ip})`);

  console.log(failures ? `\n${failures} UNEXPECTED result(s)` : '\nall as expected: NAT out, port forward in, isolation holds');
  return failures ? 1 : 0;
}

runDemo(main, cleanup);
