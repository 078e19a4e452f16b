/**
 * This host's kernel as far as the agent owns it, in the object keys of model.js, and the
 * `rt.batch` op that moves one key from what the kernel has to what the store wants.
 *
 * The agent owns, per network, on its VXLAN device: the all-zeros `self` entries (flood list),
 * every other `self` entry with a `dst` (remote MACs) and the bridge's `static` entries on that
 * port; on its bridge: the `permanent` IPv4 neighbours. Everything else (the port's own
 * permanent address in the bridge, MACs the bridge learned on VM ports, the host's own ARP
 * cache) is not the agent's and is never touched.
 */
import { ZERO_MAC } from './model.js';

/** What the kernel holds for the agent's object keys, kept current from monitor events. */
export class KernelState {
  constructor() {
    /** object key → true | vtep | mac (see OverlayModel.wanted). */
    this.actual = new Map();
    /** ifindex → vni, for the VXLAN devices and the bridges of the networks. */
    this.vxlanVni = new Map();
    this.bridgeVni = new Map();
    /** vni → { vxlan: ifindex, bridge: ifindex }. */
    this.devices = new Map();
  }

  /** Records a network's devices (after they were made or found). */
  setDevices(vni, vxlan, bridge) {
    const old = this.devices.get(vni);
    if (old) {
      this.vxlanVni.delete(old.vxlan);
      this.bridgeVni.delete(old.bridge);
    }
    this.devices.set(vni, { vxlan, bridge });
    this.vxlanVni.set(vxlan, vni);
    this.bridgeVni.set(bridge, vni);
  }

  /** Forgets what was held for one network (its devices are being re-made). */
  forgetNetwork(vni) {
    for (const key of [...this.actual.keys()]) if (vniOf(key) === vni) this.actual.delete(key);
  }

  /** The object key and value of an FDB entry, or undefined when it is not the agent's. */
  classifyFdb(e) {
    const vni = this.vxlanVni.get(e.index);
    if (vni === undefined) return undefined;
    if (e.flags.includes('self')) {
      if (e.dst === undefined) return undefined;
      if (e.lladdr === ZERO_MAC) return { key: `f|${vni}|${e.dst}`, value: true };
      return { key: `s|${vni}|${e.lladdr}`, value: e.dst };
    }
    if (e.state === 'static') return { key: `m|${vni}|${e.lladdr}`, value: true };
    return undefined;
  }

  /**
   * The object key and value of a neighbour entry on a network's bridge, or undefined when it
   * is on no such bridge. An entry that is not permanent has the value undefined: the agent
   * holds nothing there (deleting a permanent entry can be reported as a change to 'failed').
   */
  classifyNeigh(n) {
    const vni = this.bridgeVni.get(n.index);
    if (vni === undefined || n.family !== 'inet' || n.flags.includes('proxy')) return undefined;
    return { key: `n|${vni}|${n.address}`, value: n.state.includes('permanent') ? n.lladdr : undefined };
  }

  /** Loads a listing (the monitor's view at start or after its re-list). */
  load(fdb, neighbours) {
    this.actual.clear();
    for (const e of fdb) {
      const c = this.classifyFdb(e);
      if (c) this.actual.set(c.key, c.value);
    }
    for (const n of neighbours) {
      const c = this.classifyNeigh(n);
      if (c && c.value !== undefined) this.actual.set(c.key, c.value);
    }
  }

  /**
   * Applies one monitor event ('fdb' or 'neigh'); returns the object key it touched, if it
   * is one of the agent's. A deletion only counts when it names what is held (a replaced
   * VXLAN remote may be reported gone after its successor arrived).
   */
  applyEvent(ev) {
    const c = ev.type === 'fdb' ? this.classifyFdb(ev.fdb) : ev.type === 'neigh' ? this.classifyNeigh(ev.neigh) : undefined;
    if (!c) return undefined;
    if (ev.action === 'del') {
      if (this.actual.get(c.key) === c.value) this.actual.delete(c.key);
    } else if (c.value === undefined) this.actual.delete(c.key);
    else this.actual.set(c.key, c.value);
    return c.key;
  }

  /** Records the effect of an op the kernel accepted. */
  applied(key, value) {
    if (value === undefined) this.actual.delete(key);
    else this.actual.set(key, value);
  }

  /**
   * The `rt.batch` op that takes `key` from what the kernel holds to `wanted`, or undefined
   * when they already agree (or the network has no devices yet).
   */
  opFor(key, wanted) {
    const have = this.actual.get(key);
    if (have === wanted) return undefined;
    const [kind, vniText, id] = splitKey(key);
    const dev = this.devices.get(Number(vniText));
    if (!dev) return undefined;
    switch (kind) {
      case 'f': // bridge fdb append|del 00:00:00:00:00:00 dev vx dst VTEP
        return { op: wanted ? 'fdb.append' : 'fdb.del', fdb: { dev: dev.vxlan, lladdr: ZERO_MAC, dst: id } };
      case 's': // bridge fdb replace MAC dev vx dst VTEP self static | del … dst OLD
        return wanted !== undefined
          ? { op: 'fdb.replace', fdb: { dev: dev.vxlan, lladdr: id, dst: wanted, self: true, state: 'static' } }
          : { op: 'fdb.del', fdb: { dev: dev.vxlan, lladdr: id, dst: have, self: true } };
      case 'm': // bridge fdb replace MAC dev vx master static
        return wanted
          ? { op: 'fdb.replace', fdb: { dev: dev.vxlan, lladdr: id, master: true, state: 'static' } }
          : { op: 'fdb.del', fdb: { dev: dev.vxlan, lladdr: id, master: true } };
      case 'n': // ip neigh replace IP lladdr MAC dev br nud permanent
        return wanted !== undefined
          ? { op: 'neigh.replace', neigh: { dev: dev.bridge, address: id, lladdr: wanted, state: 'permanent' } }
          : { op: 'neigh.del', neigh: { dev: dev.bridge, address: id } };
      default:
        return undefined;
    }
  }
}

/** [kind, vni, id] of an object key (ids contain no '|'). */
export function splitKey(key) {
  const a = key.indexOf('|');
  const b = key.indexOf('|', a + 1);
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
}

function vniOf(key) {
  return Number(splitKey(key)[1]);
}
