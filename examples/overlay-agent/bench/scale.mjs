#!/usr/bin/env node
/**
 * Scale: one real agent against a store that simulates HOSTS hosts × VMS VMs (default 50 × 20,
 * half of each host's VMs on each of two virtual networks). Prints what it measured; asserts
 * nothing about time.
 *
 *   sudo node examples/overlay-agent/bench/scale.mjs [--hosts 50] [--vms 20] [--events 100]
 *
 * Phases:
 *   1. small store (1 other host): the agent's cold start, then EVENTS single-port events
 *      (a put, then its delete), each timed from the put to the agent's batch being acked;
 *   2. the other HOSTS-2 hosts register while the agent runs (a burst): time to converge;
 *   3. the same EVENTS single-port events against the full store (flat = same as phase 1);
 *   4. a cold start against the full store (kernel empty), and a restart over it (kernel right);
 *   5. one host leaves (its lease revoked): time until its entries are gone.
 * The kernel is checked with `bridge -j fdb show` / `ip -j neigh show` after each phase.
 * etcd (Debian's etcd-server) runs on 127.0.0.1 with a temporary data directory.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { OverlayAgent } from '../lib/agent.js';
import { startEtcd } from '../test/helpers/etcd.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    vms: { type: 'string', default: '20' },
    events: { type: 'string', default: '100' },
  },
});
const HOSTS = Number(values.hosts);
const VMS = Number(values.vms);
const EVENTS = Number(values.events);
const NETS = [100, 200];
const TTL = 30;

if (process.getuid?.() !== 0) {
  console.error('scale.mjs needs root (it makes a network namespace)');
  process.exit(1);
}

const ip = (...args) => execFileSync('ip', args, { encoding: 'utf8' });
const json = (cmd, ...args) => JSON.parse(execFileSync(cmd, ['-j', ...args], { encoding: 'utf8' }) || '[]');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const ns = `nljs-ovscale-${randomBytes(3).toString('hex')}`;
const etcd = await startEtcd();
const client = new Etcd3({ hosts: etcd.url });
const leases = new Map(); // simulated host → lease
let agent;

const vtepOf = (h) => `198.18.${h >> 8}.${h & 255}`;
const macOf = (h, v) => `02:5c:${(h >> 8).toString(16).padStart(2, '0')}:${(h & 255).toString(16).padStart(2, '0')}:${v.toString(16).padStart(2, '0')}:01`;
const ipOf = (h, v) => `10.${h >> 8}.${h & 255}.${v + 1}`; // unique per host and VM

/** Registers simulated host h (1-based; host 0 is the real one) with its VMs, on its own lease. */
async function registerHost(h) {
  const lease = client.lease(TTL);
  leases.set(h, lease);
  const puts = [];
  for (const vni of NETS) puts.push(lease.put(`/overlay/vteps/${vni}/sim${h}`).value(JSON.stringify({ vtep: vtepOf(h) })));
  for (let v = 0; v < VMS; v++) {
    const vni = NETS[v % NETS.length];
    const mac = macOf(h, v);
    puts.push(lease.put(`/overlay/ports/${vni}/sim${h}/${mac}`).value(JSON.stringify({ mac, ip: ipOf(h, v), vtep: vtepOf(h) })));
  }
  await Promise.all(puts);
}

/** What the kernel holds: [fdb entries the agent owns, permanent neighbours on the bridges]. */
function kernelCounts() {
  let fdb = 0;
  let neigh = 0;
  for (const vni of NETS) {
    for (const e of json('bridge', '-n', ns, 'fdb', 'show', 'dev', `vx-${vni}`)) if (e.state !== 'permanent' || e.mac === '00:00:00:00:00:00') fdb++;
    neigh += json('ip', '-n', ns, 'neigh', 'show', 'dev', `br-${vni}`, 'nud', 'permanent').length;
  }
  return { fdb, neigh };
}

/** What the kernel must hold with `n` other hosts. */
const expectedCounts = (n) => ({ fdb: n * NETS.length + 2 * n * VMS, neigh: n * VMS });

function check(label, n) {
  const got = kernelCounts();
  const want = expectedCounts(n);
  const ok = got.fdb === want.fdb && got.neigh === want.neigh;
  console.log(`  kernel after ${label}: ${got.fdb} FDB entries, ${got.neigh} neighbours (expected ${want.fdb}, ${want.neigh}) ${ok ? 'ok' : 'MISMATCH'}`);
  if (!ok) process.exitCode = 1;
}

async function waitConverged(n, timeoutMs = 60_000) {
  const want = expectedCounts(n);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await agent.whenIdle();
    const got = kernelCounts();
    if (got.fdb === want.fdb && got.neigh === want.neigh) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function newAgent() {
  return new OverlayAgent({
    etcd: { hosts: etcd.url }, host: 'real', netns: ns, underlay: 'eth0', ttl: TTL,
    networks: NETS.map((vni) => ({ vni })),
    ports: NETS.map((vni) => ({ vni, dev: `vm${vni}`, mac: `02:00:00:00:${(vni >> 8).toString(16).padStart(2, '0')}:${(vni & 255).toString(16).padStart(2, '0')}`, ip: '10.255.0.1' })),
  });
}

/** EVENTS port events (put, then delete), each timed from the put to its batch's ack. */
async function singleEvents(label) {
  const lat = [];
  const ops0 = agent.stats.ops;
  const cpu0 = process.cpuUsage();
  const h = 60000; // a simulated host outside the others' range
  for (let i = 0; i < EVENTS; i++) {
    const vni = NETS[i % NETS.length];
    const mac = macOf(h, i % 200);
    const key = `/overlay/ports/${vni}/sim${h}/${mac}`;
    for (const action of ['put', 'delete']) {
      const applied = once(agent, 'applied');
      const t0 = process.hrtime.bigint();
      if (action === 'put') await client.put(key).value(JSON.stringify({ mac, ip: `10.254.${i >> 8}.${i & 255}`, vtep: '198.19.0.1' }));
      else await client.delete().key(key);
      await applied;
      lat.push(ms(t0));
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const n = EVENTS * 2;
  console.log(`  ${label}: ${n} events, latency put→kernel median ${median(lat).toFixed(2)} ms, p90 ${pct(lat, 0.9).toFixed(2)} ms; ` +
    `${((agent.stats.ops - ops0) / n).toFixed(1)} kernel ops/event; ${((cpu.user + cpu.system) / n / 1000).toFixed(2)} ms CPU/event (agent + client)`);
  return median(lat);
}

try {
  // The real host: an underlay device with an address, and one VM port per network.
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  ip('-n', ns, 'address', 'add', '192.0.2.1/24', 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  ip('-n', ns, 'link', 'set', 'eth1', 'up');
  for (const vni of NETS) ip('-n', ns, 'link', 'add', `vm${vni}`, 'type', 'veth', 'peer', 'name', `vm${vni}p`);

  console.log(`overlay agent scale: ${HOSTS} hosts × ${VMS} VMs (${NETS.length} networks), one real agent, etcd ${etcd.url}`);

  console.log('1. small store: 1 other host');
  await registerHost(1);
  let t0 = process.hrtime.bigint();
  agent = newAgent();
  await agent.start();
  await waitConverged(1);
  console.log(`  cold start: ${ms(t0).toFixed(0)} ms, ${agent.stats.ops} kernel ops in ${agent.stats.batches} batch(es)`);
  check('cold start', 1);
  const small = await singleEvents('single events');

  console.log(`2. ${HOSTS - 2} more hosts register while the agent runs`);
  const opsBefore = agent.stats.ops;
  t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: HOSTS - 2 }, (_, i) => registerHost(i + 2)));
  const putMs = ms(t0);
  await waitConverged(HOSTS - 1);
  console.log(`  burst of ${(HOSTS - 2) * (VMS + NETS.length)} keys: stored in ${putMs.toFixed(0)} ms, kernel programmed ${ms(t0).toFixed(0)} ms after the first put; ` +
    `${agent.stats.ops - opsBefore} kernel ops`);
  check('burst', HOSTS - 1);

  console.log(`3. full store: ${HOSTS - 1} other hosts, ${(HOSTS - 1) * VMS} remote VMs`);
  const full = await singleEvents('single events');
  console.log(`  per-event latency full/small: ${(full / small).toFixed(2)}×`);

  console.log('4. restarts against the full store');
  await agent.stop({ revoke: false });
  for (const vni of NETS) ip('-n', ns, 'link', 'del', `vx-${vni}`), ip('-n', ns, 'link', 'del', `br-${vni}`); // the kernel forgets all
  t0 = process.hrtime.bigint();
  agent = newAgent();
  await agent.start();
  await waitConverged(HOSTS - 1);
  console.log(`  cold start (kernel empty): ${ms(t0).toFixed(0)} ms, ${agent.stats.ops} kernel ops in ${agent.stats.batches} batch(es)`);
  check('cold start', HOSTS - 1);
  await agent.stop({ revoke: false });
  t0 = process.hrtime.bigint();
  agent = newAgent();
  await agent.start();
  console.log(`  restart (kernel already right): ${ms(t0).toFixed(0)} ms, ${agent.stats.ops} kernel ops, ${agent.stats.deviceChanges} device changes`);
  check('restart', HOSTS - 1);

  console.log('5. one host leaves (lease revoked)');
  const opsLeave = agent.stats.ops;
  t0 = process.hrtime.bigint();
  await leases.get(1).revoke();
  leases.delete(1);
  const want = expectedCounts(HOSTS - 2);
  for (;;) {
    await agent.whenIdle();
    const got = kernelCounts();
    if (got.fdb === want.fdb && got.neigh === want.neigh) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  console.log(`  its ${VMS} VMs and ${NETS.length} memberships gone from the kernel in ${ms(t0).toFixed(0)} ms, ${agent.stats.ops - opsLeave} kernel ops`);
  check('leave', HOSTS - 2);
} finally {
  await agent?.stop().catch(() => {});
  for (const l of leases.values()) await l.revoke().catch(() => {});
  client.close();
  await etcd.stop();
  try {
    ip('netns', 'del', ns);
  } catch {
    /* not made */
  }
}
