/**
 * The overlay agent: one per host. It registers the host's VTEP and VM ports in etcd under a
 * lease, watches every host's registrations, and programs this host's kernel (in its network
 * namespace, through netlinkjs alone) so that each VM reaches the VMs of its own virtual
 * network on every other host, as Neutron's l2population does:
 *
 *   - a bridge and a VXLAN device (learning off) per virtual network;
 *   - head-end replication: an all-zeros FDB entry per other VTEP of the network;
 *   - a static FDB entry per remote MAC, on the VXLAN device (`dst` its VTEP) and in the bridge;
 *   - a permanent neighbour entry per remote IP on the bridge, which with the VXLAN port's
 *     neigh_suppress makes the bridge answer ARP for remote VMs itself.
 *
 * How it stays right: the kernel's side is followed with `nl.monitor({ resync: 'auto' })`
 * (a listing at start, every change after, and a re-list with the differences if the kernel
 * ever drops notifications); the store's with an etcd watch from the revision it listed. Each
 * store event changes a few object keys (model.js); only those are compared with the kernel
 * and the differences go out together in one `rt.batch`. A restart therefore lists both sides,
 * finds them agreeing, and changes nothing.
 */
import { EventEmitter } from 'node:events';
import { Etcd3 } from 'etcd3';
import nl from './netlinkjs.js';
import { KeyLayout, OverlayModel, isHostName, isIpv4, isVni, normalizeMac } from './model.js';
import { KernelState } from './kernel-state.js';
import { ensureNetwork, ensurePort, findLink, firstIpv4 } from './devices.js';
import { ensureGateway, overlaps } from './gateway.js';

const OPTION_KEYS = new Set([
  'etcd', 'prefix', 'host', 'netns', 'underlay', 'vtep', 'port', 'ttl', 'networks', 'ports', 'gateways', 'log',
]);
const CIDR4_RE = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/** A repaired key that keeps drifting is left alone after this many repairs (and logged). */
const MAX_REPAIRS = 5;

/** Validates the agent's options; throws TypeError naming the bad one. */
function checkOptions(o) {
  if (o === null || typeof o !== 'object') throw new TypeError('options: expected an object');
  for (const k of Object.keys(o)) if (!OPTION_KEYS.has(k)) throw new TypeError(`options.${k}: unknown option`);
  if (!o.etcd) throw new TypeError('options.etcd: an Etcd3 client or { hosts } is required');
  if (!isHostName(o.host)) throw new TypeError('options.host: a host name (letters, digits, . _ -) is required');
  if (typeof o.underlay !== 'string' && typeof o.underlay !== 'number') throw new TypeError('options.underlay: the underlay device is required');
  if (o.vtep !== undefined && !isIpv4(o.vtep)) throw new TypeError('options.vtep: expected an IPv4 address');
  if (o.ttl !== undefined && !(Number.isInteger(o.ttl) && o.ttl >= 2)) throw new TypeError('options.ttl: expected whole seconds ≥ 2');
  if (!Array.isArray(o.networks) || o.networks.length === 0) throw new TypeError('options.networks: at least one network');
  for (const [i, n] of o.networks.entries()) {
    if (!isVni(n?.vni)) throw new TypeError(`options.networks.${i}.vni: expected 1–16777215`);
  }
  for (const [i, p] of (o.ports ?? []).entries()) {
    checkPort(p, `options.ports.${i}`);
    if (!o.networks.some((n) => n.vni === p.vni)) throw new TypeError(`options.ports.${i}.vni: not one of the networks`);
  }
  const gws = o.gateways ?? [];
  for (const [i, g] of gws.entries()) {
    const m = CIDR4_RE.exec(g?.address ?? '');
    if (!o.networks.some((n) => n.vni === g?.vni)) throw new TypeError(`options.gateways.${i}.vni: not one of the networks`);
    if (!m || !isIpv4(m[1]) || Number(m[2]) < 1 || Number(m[2]) > 30) throw new TypeError(`options.gateways.${i}.address: expected an IPv4 CIDR like 10.0.0.254/24`);
    if (g.outside !== undefined && (typeof g.outside !== 'string' || g.outside === '')) throw new TypeError(`options.gateways.${i}.outside: the outside interface's name`);
    for (let j = 0; j < i; j++) {
      // Gateway addresses live in the host's one routing table: overlapping tenants would need a VRF each.
      if (overlaps(gws[j].address, g.address)) throw new TypeError(`options.gateways.${i}.address: overlaps gateway ${j} (one routing table per host)`);
    }
  }
}

function checkPort(p, field) {
  if (p === null || typeof p !== 'object') throw new TypeError(`${field}: expected { vni, dev, mac, ip }`);
  if (!isVni(p.vni)) throw new TypeError(`${field}.vni: expected 1–16777215`);
  if (typeof p.dev !== 'string' || p.dev === '') throw new TypeError(`${field}.dev: the VM port's device name`);
  if (!normalizeMac(p.mac)) throw new TypeError(`${field}.mac: expected a MAC address`);
  if (!isIpv4(p.ip)) throw new TypeError(`${field}.ip: expected an IPv4 address`);
}

/**
 * One host's agent.
 *
 *   const agent = new OverlayAgent({ etcd: { hosts: 'http://127.0.0.1:2379' }, host: 'hostA',
 *     netns: 'hostA', underlay: 'eth0', networks: [{ vni: 100 }],
 *     ports: [{ vni: 100, dev: 'vm1p', mac: '02:00:00:00:01:01', ip: '10.0.0.1' }] });
 *   await agent.start();   …   await agent.stop();
 *
 * Events: 'error' (a failure it cannot retry), 'log' (text), 'applied' ({ ops, failed, ms }).
 */
export class OverlayAgent extends EventEmitter {
  constructor(opts) {
    super();
    checkOptions(opts);
    this.opts = opts;
    this.host = opts.host;
    this.port = opts.port ?? 4789;
    this.ttl = opts.ttl ?? 10;
    this.layout = new KeyLayout(opts.prefix ?? '/overlay/');
    this.networks = opts.networks.map((n) => ({
      vni: n.vni, bridge: n.bridge ?? `br-${n.vni}`, vxlan: n.vxlan ?? `vx-${n.vni}`,
    }));
    this.ports = new Map(); // etcd key → { vni, dev, mac, ip }
    for (const p of opts.ports ?? []) this.ports.set(this.layout.port(p.vni, this.host, normalizeMac(p.mac)), { ...p, mac: normalizeMac(p.mac) });
    this.gateways = opts.gateways ?? [];
    this.model = new OverlayModel({ self: this.host, vnis: this.networks.map((n) => n.vni), layout: this.layout });
    this.kernel = new KernelState();
    this.dirty = new Set();
    this.repairs = new Map();
    this.flushing = false;
    this.flushScheduled = false;
    this.closed = false;
    this.idleWaiters = [];
    /** Counters: what the agent did (the tests and the scale bench read them). */
    this.stats = {
      storeEvents: 0, kernelEvents: 0, batches: 0, ops: 0, opErrors: 0, fullReconciles: 0, repairs: 0,
      deviceChanges: 0, leaseLost: 0,
    };
  }

  log(msg) {
    if (this.opts.log) this.opts.log(`[${this.host}] ${msg}`);
    this.emit('log', msg);
  }

  /** Makes the devices, registers this host, loads the store and starts following both sides. */
  async start() {
    const netns = this.opts.netns;
    this.rt = await nl.open(netns !== undefined ? { netns } : {});
    const underlay = await findLink(this.rt, this.opts.underlay);
    if (!underlay) throw new Error(`underlay device ${this.opts.underlay} does not exist`);
    this.underlay = underlay;
    this.vtep = this.opts.vtep ?? (await firstIpv4(this.rt, underlay));
    if (!this.vtep) throw new Error(`underlay ${underlay.name} has no IPv4 address; give vtep`);
    for (const net of this.networks) await this.setUpNetwork(net);
    for (const p of this.ports.values()) this.stats.deviceChanges += await ensurePort(this.rt, p.dev, this.bridgeOf(p.vni));
    for (const gw of this.gateways) await this.setUpGateway(gw);

    // The monitor lists neighbours and FDB entries once (its view) and reports every change
    // after that; nothing is read from the socket until the listener below is attached.
    this.mon = await nl.monitor({ groups: ['link', 'neigh', 'fdb'], resync: 'auto', ...(netns !== undefined ? { netns } : {}) });
    this.kernel.load(this.mon.view.fdb, this.mon.view.neighbours);
    this.mon.on('event', (ev) => this.onKernelEvent(ev));
    this.mon.on('error', (err) => this.fail(err));

    this.client = this.opts.etcd instanceof Etcd3 ? this.opts.etcd : new Etcd3(this.opts.etcd);
    this.ownsClient = !(this.opts.etcd instanceof Etcd3);
    await this.register();
    await this.loadStore();
    await this.whenIdle();
  }

  bridgeOf(vni) {
    const d = this.kernel.devices.get(vni);
    if (!d) throw new Error(`network ${vni} is not carried by this agent`);
    return d.bridge;
  }

  async setUpNetwork(net) {
    const r = await ensureNetwork(this.rt, net, { underlay: this.underlay, vtep: this.vtep, port: this.port });
    this.stats.deviceChanges += r.changes;
    this.kernel.setDevices(net.vni, r.vxlan, r.bridge);
  }

  /** Gives a network its gateway address and NAT, and registers the gateway like a VM port. */
  async setUpGateway(gw) {
    const net = this.networks.find((n) => n.vni === gw.vni);
    const r = await ensureGateway(this.rt, this.opts.netns, this.host, net, { ...gw, outside: gw.outside ?? this.underlay.name });
    this.stats.deviceChanges += r.changes;
    this.ports.set(this.layout.port(gw.vni, this.host, r.mac), { vni: gw.vni, dev: net.bridge, mac: r.mac, ip: r.ip, gateway: true });
  }

  /** Grants a lease and puts this host's keys on it (again, when the lease was lost). */
  async register() {
    const lease = this.client.lease(this.ttl);
    this.lease = lease;
    lease.on('lost', (err) => {
      if (this.closed || this.lease !== lease) return;
      this.stats.leaseLost++;
      this.log(`lease lost (${err.message}); registering again`);
      this.register().catch((e) => this.fail(e));
    });
    const puts = [];
    for (const net of this.networks) puts.push(lease.put(this.layout.vtep(net.vni, this.host)).value(JSON.stringify({ vtep: this.vtep })));
    for (const [key, p] of this.ports) puts.push(lease.put(key).value(JSON.stringify({ mac: p.mac, ip: p.ip, vtep: this.vtep })));
    await Promise.all(puts);
  }

  /**
   * Lists the store, re-computes what is wanted, and watches from the listed revision on, so no
   * change falls between the two. Every key wanted before or now, and every key the kernel
   * holds, is compared once.
   */
  async loadStore() {
    this.stats.fullReconciles++;
    await this.watcher?.cancel().catch(() => {});
    const res = await this.client.getAll().prefix(this.layout.prefix).exec();
    const before = this.model.clear();
    const bad = (key, why) => this.log(`ignoring ${key}: ${why}`);
    for (const kv of res.kvs) this.model.apply('put', kv.key.toString(), kv.value.toString(), bad);
    this.repairs.clear();
    this.markDirty(before);
    this.markDirty(this.model.wantedKeys());
    this.markDirty(this.kernel.actual.keys());
    const next = (BigInt(res.header.revision) + 1n).toString();
    const watcher = await this.client.watch().prefix(this.layout.prefix).startRevision(next).create();
    this.watcher = watcher;
    watcher.on('put', (kv) => this.onStore('put', kv));
    watcher.on('delete', (kv) => this.onStore('delete', kv));
    watcher.on('error', (err) => {
      // e.g. the revision was compacted away while disconnected: start over from a listing.
      if (this.closed || this.watcher !== watcher) return;
      this.log(`watch failed (${err.message}); re-listing the store`);
      this.loadStore().catch((e) => this.fail(e));
    });
  }

  onStore(action, kv) {
    if (this.closed) return;
    this.stats.storeEvents++;
    const key = kv.key.toString();
    const dirty = this.model.apply(action, key, kv.value.toString(), (k, why) => this.log(`ignoring ${k}: ${why}`));
    this.markDirty(dirty);
  }

  onKernelEvent(ev) {
    if (this.closed) return;
    this.stats.kernelEvents++;
    if (ev.type === 'resync') {
      // The monitor re-listed after an overrun and already emitted the differences; compare all.
      this.kernel.load(this.mon.view.fdb, this.mon.view.neighbours);
      this.markDirty(this.kernel.actual.keys());
      this.markDirty(this.model.wantedKeys());
      return;
    }
    if (ev.type === 'link') {
      if (ev.action !== 'del') return;
      const vni = this.kernel.vxlanVni.get(ev.link.index) ?? this.kernel.bridgeVni.get(ev.link.index);
      if (vni !== undefined) this.rebuildNetwork(vni);
      else this.portGone(ev.link.name);
      return;
    }
    const key = this.kernel.applyEvent(ev);
    if (key === undefined || this.dirty.has(key) || this.kernel.actual.get(key) === this.model.wanted(key)) return;
    // Someone else changed an object the agent owns: put it back, but never fight forever.
    const n = (this.repairs.get(key) ?? 0) + 1;
    this.repairs.set(key, n);
    if (n > MAX_REPAIRS) {
      if (n === MAX_REPAIRS + 1) this.log(`${key} keeps changing behind the agent's back; leaving it until the next full reconcile`);
      return;
    }
    this.stats.repairs++;
    this.markDirty([key]);
  }

  /** A VM port's device went away (its VM was destroyed): withdraw its registration. */
  portGone(dev) {
    for (const [key, p] of this.ports) {
      if (p.gateway || p.dev !== dev) continue;
      this.ports.delete(key);
      this.log(`port ${dev} is gone; withdrawing ${key}`);
      this.client.delete().key(key).catch((err) => this.fail(err));
    }
  }

  /** A network's bridge or VXLAN device was deleted: make it again and re-program it. */
  rebuildNetwork(vni) {
    const net = this.networks.find((n) => n.vni === vni);
    this.log(`devices of network ${vni} went away; re-making them`);
    this.kernel.forgetNetwork(vni);
    const job = (async () => {
      await this.setUpNetwork(net);
      for (const p of this.ports.values()) {
        if (p.vni === vni && !p.gateway) this.stats.deviceChanges += await ensurePort(this.rt, p.dev, this.bridgeOf(vni)).catch(() => 0);
      }
      for (const gw of this.gateways) if (gw.vni === vni) await this.setUpGateway(gw);
      const keys = [];
      for (const k of this.model.wantedKeys()) if (k.split('|')[1] === String(vni)) keys.push(k);
      this.markDirty(keys);
    })();
    job.catch((err) => this.fail(err));
  }

  markDirty(keys) {
    for (const k of keys) this.dirty.add(k);
    this.scheduleFlush();
  }

  scheduleFlush() {
    if (this.flushScheduled || this.flushing || this.closed || this.dirty.size === 0) return;
    this.flushScheduled = true;
    // setImmediate: a burst of store events (a host's twenty ports) leaves as one batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush().catch((err) => this.fail(err));
    });
  }

  /** Compares every dirty key with the kernel and sends the differences as one rt.batch. */
  async flush() {
    if (this.flushing || this.closed) return;
    this.flushing = true;
    try {
      while (this.dirty.size > 0 && !this.closed) {
        const keys = [...this.dirty];
        this.dirty.clear();
        const ops = [];
        const meta = [];
        for (const key of keys) {
          const wanted = this.model.wanted(key);
          const op = this.kernel.opFor(key, wanted);
          if (op) {
            ops.push(op);
            meta.push({ key, wanted });
          }
        }
        if (ops.length === 0) continue;
        const t0 = process.hrtime.bigint();
        const results = await this.rt.batch(ops);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        this.stats.batches++;
        this.stats.ops += ops.length;
        let failed = 0;
        for (let i = 0; i < results.length; i++) {
          const r = results[i];
          const { key, wanted } = meta[i];
          // Deleting what is already gone is done.
          if (r.ok || (wanted === undefined && (r.error?.code === 'ENOENT' || r.error?.code === 'ESRCH'))) {
            this.kernel.applied(key, wanted);
          } else {
            failed++;
            this.stats.opErrors++;
            this.log(`${r.op.op} for ${key} failed: ${r.error.message}`);
          }
        }
        this.emit('applied', { ops: ops.length, failed, ms });
      }
    } finally {
      this.flushing = false;
      if (this.dirty.size > 0) this.scheduleFlush();
      else this.settleIdle();
    }
  }

  settleIdle() {
    if (this.flushing || this.flushScheduled || this.dirty.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when no comparison or batch is pending (store events still on the wire are not). */
  whenIdle() {
    if (!this.flushing && !this.flushScheduled && this.dirty.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Adds a VM port: puts it on its bridge and registers it. */
  async addPort(port) {
    checkPort(port, 'port');
    const p = { ...port, mac: normalizeMac(port.mac) };
    const key = this.layout.port(p.vni, this.host, p.mac);
    this.stats.deviceChanges += await ensurePort(this.rt, p.dev, this.bridgeOf(p.vni));
    this.ports.set(key, p);
    await this.lease.put(key).value(JSON.stringify({ mac: p.mac, ip: p.ip, vtep: this.vtep }));
  }

  /** Removes a VM port's registration (the device itself is left to whoever made it). */
  async removePort({ vni, mac }) {
    const key = this.layout.port(vni, this.host, normalizeMac(mac));
    this.ports.delete(key);
    await this.client.delete().key(key);
  }

  fail(err) {
    if (this.closed) return;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.log(`error: ${err?.stack ?? err}`);
  }

  /**
   * Stops following. `revoke: true` (default) withdraws this host's keys at once, as a clean
   * shutdown; `revoke: false` stops the keepalives and lets the lease run out, as a host that
   * died would. The kernel is left as programmed, so a restart finds it right.
   */
  async stop({ revoke = true } = {}) {
    if (this.closed) return;
    this.closed = true;
    this.mon?.close();
    await this.watcher?.cancel().catch(() => {});
    if (this.lease) {
      if (revoke) await this.lease.revoke().catch(() => {});
      else this.lease.release();
    }
    if (this.ownsClient) this.client.close();
    this.rt?.close();
    this.settleIdle();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
