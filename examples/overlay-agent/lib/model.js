/**
 * The store's picture, and what it asks of this host's kernel.
 *
 * etcd holds, under a prefix (default `/overlay/`), with every key bound to its host's lease:
 *
 *   vteps/<vni>/<host>        {"vtep":"192.0.2.1"}                         host is in network <vni>
 *   ports/<vni>/<host>/<mac>  {"mac":"02:…","ip":"10.0.0.1","vtep":"192.0.2.1"}   a VM port there
 *
 * From that, a host that carries network <vni> wants, for every *other* host:
 *
 *   f|<vni>|<vtep>  head-end replication: `bridge fdb append 00:00:00:00:00:00 dev vx dst <vtep>`
 *   s|<vni>|<mac>   → vtep: `bridge fdb replace <mac> dev vx dst <vtep> self static`
 *   m|<vni>|<mac>   the bridge's own entry for it: `bridge fdb replace <mac> dev vx master static`
 *   n|<vni>|<ip>    → mac: `ip neigh replace <ip> lladdr <mac> dev br nud permanent`
 *
 * These "object keys" are the unit of work: a store event changes a handful of them, and only
 * those are compared with the kernel. Nothing here does I/O, so the model is tested on its own.
 */

/** The all-zeros MAC: a VXLAN device's default (flood) destination. */
export const ZERO_MAC = '00:00:00:00:00:00';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOST_RE = /^[A-Za-z0-9_.-]{1,253}$/;

/** Lower-cased MAC, or undefined when `s` is not one. */
export function normalizeMac(s) {
  if (typeof s !== 'string') return undefined;
  const m = s.toLowerCase();
  return MAC_RE.test(m) ? m : undefined;
}

/** True for a dotted IPv4 address (the overlay carries IPv4 ARP suppression). */
export function isIpv4(s) {
  return typeof s === 'string' && IPV4_RE.test(s);
}

/** True for a name usable as one path segment of a store key. */
export function isHostName(s) {
  return typeof s === 'string' && HOST_RE.test(s) && s !== '.' && s !== '..';
}

/** True for a VXLAN network identifier. */
export function isVni(n) {
  return Number.isInteger(n) && n >= 1 && n <= 0xff_ffff;
}

/** Store keys of one overlay (all under `prefix`). */
export class KeyLayout {
  constructor(prefix = '/overlay/') {
    this.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  /** The membership key of `host` in network `vni`. */
  vtep(vni, host) {
    return `${this.prefix}vteps/${vni}/${host}`;
  }

  /** The key of one VM port. */
  port(vni, host, mac) {
    return `${this.prefix}ports/${vni}/${host}/${mac}`;
  }

  /** { type, vni, host, mac? } of a key of this layout, or undefined. */
  parse(key) {
    if (!key.startsWith(this.prefix)) return undefined;
    const parts = key.slice(this.prefix.length).split('/');
    const vni = Number(parts[1]);
    if (!isVni(vni) || !isHostName(parts[2])) return undefined;
    if (parts[0] === 'vteps' && parts.length === 3) return { type: 'vtep', vni, host: parts[2] };
    if (parts[0] === 'ports' && parts.length === 4) {
      const mac = normalizeMac(parts[3]);
      return mac ? { type: 'port', vni, host: parts[2], mac } : undefined;
    }
    return undefined;
  }
}

/** Adds `member` (with `value`) to the set under `key` of a Map of Maps. */
function addRef(map, key, member, value) {
  let refs = map.get(key);
  if (!refs) map.set(key, (refs = new Map()));
  refs.delete(member); // re-insert: the newest claim is the last one
  refs.set(member, value);
}

function dropRef(map, key, member) {
  const refs = map.get(key);
  if (!refs) return;
  refs.delete(member);
  if (refs.size === 0) map.delete(key);
}

function lastValue(refs) {
  let v;
  if (refs) for (const x of refs.values()) v = x;
  return v;
}

/**
 * What the store says, indexed so that one store event costs O(1) and names the object keys it
 * may have changed. Entries of this host and of networks it does not carry are not kept.
 */
export class OverlayModel {
  /**
   * @param {{ self: string, vnis: Iterable<number>, layout?: KeyLayout }} opts
   */
  constructor({ self, vnis, layout = new KeyLayout() }) {
    this.self = self;
    this.vnis = new Set(vnis);
    this.layout = layout;
    /** etcd key → parsed entry (remote hosts, local networks only). */
    this.entries = new Map();
    this.flood = new Map(); // `vni|vtep` → Map<etcdKey, true>
    this.macs = new Map(); // `vni|mac` → Map<etcdKey, vtep>
    this.ips = new Map(); // `vni|ip` → Map<etcdKey, mac>
  }

  /** Adds a network this host carries (its entries arrive with the next full load). */
  addNetwork(vni) {
    this.vnis.add(vni);
  }

  /**
   * Applies one store change. Returns the object keys whose wanted state may have changed
   * (empty when the key is not ours to act on, or its value is malformed — `onBad` hears why).
   */
  apply(action, key, value, onBad) {
    const dirty = [];
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.unindex(key, old, dirty);
    }
    if (action !== 'put') return dirty;
    const id = this.layout.parse(key);
    if (!id) {
      onBad?.(key, 'not a key of this overlay');
      return dirty;
    }
    if (id.host === this.self || !this.vnis.has(id.vni)) return dirty;
    let v;
    try {
      v = JSON.parse(value);
    } catch {
      onBad?.(key, 'value is not JSON');
      return dirty;
    }
    if (v === null || typeof v !== 'object' || !isIpv4(v.vtep)) {
      onBad?.(key, 'value has no IPv4 "vtep"');
      return dirty;
    }
    let entry;
    if (id.type === 'vtep') entry = { type: 'vtep', vni: id.vni, host: id.host, vtep: v.vtep };
    else {
      const mac = normalizeMac(v.mac);
      if (mac !== id.mac || !isIpv4(v.ip)) {
        onBad?.(key, 'port value needs "mac" (matching the key) and an IPv4 "ip"');
        return dirty;
      }
      entry = { type: 'port', vni: id.vni, host: id.host, vtep: v.vtep, mac, ip: v.ip };
    }
    this.entries.set(key, entry);
    this.index(key, entry, dirty);
    return dirty;
  }

  index(key, e, dirty) {
    if (e.type === 'vtep') {
      addRef(this.flood, `${e.vni}|${e.vtep}`, key, true);
      dirty.push(`f|${e.vni}|${e.vtep}`);
      return;
    }
    addRef(this.macs, `${e.vni}|${e.mac}`, key, e.vtep);
    addRef(this.ips, `${e.vni}|${e.ip}`, key, e.mac);
    dirty.push(`s|${e.vni}|${e.mac}`, `m|${e.vni}|${e.mac}`, `n|${e.vni}|${e.ip}`);
  }

  unindex(key, e, dirty) {
    if (e.type === 'vtep') {
      dropRef(this.flood, `${e.vni}|${e.vtep}`, key);
      dirty.push(`f|${e.vni}|${e.vtep}`);
      return;
    }
    dropRef(this.macs, `${e.vni}|${e.mac}`, key);
    dropRef(this.ips, `${e.vni}|${e.ip}`, key);
    dirty.push(`s|${e.vni}|${e.mac}`, `m|${e.vni}|${e.mac}`, `n|${e.vni}|${e.ip}`);
  }

  /** Forgets everything (before a full re-load); returns the object keys that were wanted. */
  clear() {
    const keys = [...this.wantedKeys()];
    this.entries.clear();
    this.flood.clear();
    this.macs.clear();
    this.ips.clear();
    return keys;
  }

  /**
   * The wanted state of one object key: `true` (flood entry, bridge entry), the remote VTEP
   * (a MAC's VXLAN entry), the MAC (a neighbour), or undefined (must not exist).
   */
  wanted(objKey) {
    const kind = objKey[0];
    const rest = objKey.slice(2);
    if (kind === 'f') return this.flood.has(rest) ? true : undefined;
    if (kind === 's') return lastValue(this.macs.get(rest));
    if (kind === 'm') return this.macs.has(rest) ? true : undefined;
    if (kind === 'n') return lastValue(this.ips.get(rest));
    return undefined;
  }

  /** Every object key that is wanted now. */
  *wantedKeys() {
    for (const k of this.flood.keys()) yield `f|${k}`;
    for (const k of this.macs.keys()) {
      yield `s|${k}`;
      yield `m|${k}`;
    }
    for (const k of this.ips.keys()) yield `n|${k}`;
  }
}
