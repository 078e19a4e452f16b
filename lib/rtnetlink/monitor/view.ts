/**
 * The monitor's picture of the kernel's objects (with `resync: 'auto'`): every event it
 * emits is applied here, and a re-list is compared against it to find what was missed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RawAttribute } from '../../wire/attributes';
import type { Address } from '../address/address-decode';
import type { Link } from '../link/link-decode';
import type { BridgeVlanPort } from '../bridge/vlan';
import type { FdbEntry } from '../neigh/fdb';
import type { Neighbour } from '../neigh/neigh-decode';
import type { Route } from '../route/route-decode';
import type { Rule } from '../rule/rule-decode';
import type { ObjectEvent, ObjectEventType } from './events';
import { makeEvent, objectOf, type KindSpec } from './event-kinds';

/** The objects of one kind, by identity. */
class KindStore {
  readonly byKey = new Map<string, unknown>();
  /** replace key → keys, for kinds where NLM_F_REPLACE displaces another object. */
  private readonly byReplaceKey = new Map<string, Set<string>>();

  constructor(readonly kind: KindSpec) {}

  set(key: string, obj: unknown): void {
    this.byKey.set(key, obj);
    if (this.kind.replaceKey) {
      const rk = this.kind.replaceKey(obj);
      let keys = this.byReplaceKey.get(rk);
      if (!keys) this.byReplaceKey.set(rk, (keys = new Set()));
      keys.add(key);
    }
  }

  delete(key: string): void {
    const obj = this.byKey.get(key);
    if (!this.byKey.delete(key) || !this.kind.replaceKey) return;
    const rk = this.kind.replaceKey(obj);
    const keys = this.byReplaceKey.get(rk);
    keys?.delete(key);
    if (keys?.size === 0) this.byReplaceKey.delete(rk);
  }

  /** Keys of the objects a replace of `obj` displaces (same replace key, other identity). */
  displacedBy(obj: unknown, key: string): string[] {
    if (!this.kind.replaceKey) return [];
    return [...(this.byReplaceKey.get(this.kind.replaceKey(obj)) ?? [])].filter((k) => k !== key);
  }
}

/** Copy without the fields that change silently, for comparisons. */
function comparable(kind: KindSpec, obj: unknown): unknown {
  if (!kind.volatile.length || obj === null || typeof obj !== 'object') return obj;
  const copy: Record<string, unknown> = { ...(obj as Record<string, unknown>) };
  for (const f of kind.volatile) delete copy[f];
  const raw = copy.unknown;
  if (kind.volatileRaw && Array.isArray(raw)) {
    copy.unknown = raw.filter((a: RawAttribute) => !kind.volatileRaw!.includes(a.type));
  }
  return copy;
}

/** True when two objects of `kind` are equal in everything but their volatile fields. */
export function sameObject(kind: KindSpec, a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(comparable(kind, a), comparable(kind, b));
}

/** The kernel's objects as the monitor's events describe them. */
export class MonitorView {
  private readonly stores = new Map<ObjectEventType, KindStore>();

  /** @internal the monitor creates it for the kinds it tracks. */
  constructor(kinds: Iterable<KindSpec>) {
    for (const k of kinds) this.stores.set(k.type, new KindStore(k));
  }

  /** Links. Empty unless links are monitored. */
  get links(): Link[] {
    return this.list('link') as Link[];
  }

  /** Interface addresses. Empty unless addresses are monitored. */
  get addresses(): Address[] {
    return this.list('address') as Address[];
  }

  /** Routes of every table (with `oif`, without `dev` names). Empty unless routes are monitored. */
  get routes(): Route[] {
    return this.list('route') as Route[];
  }

  /** ARP/NDP neighbour and proxy entries. Empty unless neighbours are monitored. */
  get neighbours(): Neighbour[] {
    return this.list('neigh') as Neighbour[];
  }

  /** Bridge/VXLAN forwarding entries. Empty unless 'fdb' is monitored. */
  get fdb(): FdbEntry[] {
    return this.list('fdb') as FdbEntry[];
  }

  /** Policy routing rules. Empty unless rules are monitored. */
  get rules(): Rule[] {
    return this.list('rule') as Rule[];
  }

  /** Bridge ports (and bridges) with VLANs, as `bridge.vlan.list({ compressed: true })`. */
  get vlans(): BridgeVlanPort[] {
    return this.list('vlan') as BridgeVlanPort[];
  }

  /** Namespace ids assigned in the monitored namespace. Empty unless nsids are monitored. */
  get nsids(): number[] {
    return (this.list('nsid') as number[]).sort((a, b) => a - b);
  }

  /** The current objects of one kind. */
  list(type: ObjectEventType): unknown[] {
    return [...(this.stores.get(type)?.byKey.values() ?? [])];
  }

  /** True when this view tracks objects of `type`. */
  tracks(type: ObjectEventType): boolean {
    return this.stores.has(type);
  }

  /**
   * Applies one event. `replace` is the notification's NLM_F_REPLACE: the new object
   * displaces the one it replaced (a route whose next hop changed has a new identity).
   */
  apply(kind: KindSpec, ev: ObjectEvent, replace = false): void {
    const store = this.stores.get(kind.type);
    if (!store) return;
    const obj = objectOf(kind, ev);
    const key = kind.key(obj);
    store.delete(key);
    if (ev.action === 'del') return;
    if (replace) for (const k of store.displacedBy(obj, key)) store.delete(k);
    store.set(key, obj);
  }

  /**
   * Brings what is held for `kind` in line with a fresh listing and returns the events that
   * did it: deletions, then additions and changes. Objects in `touched` are left alone —
   * notifications that arrived while the listing ran speak for them, and are applied after.
   */
  reconcile(kind: KindSpec, listed: unknown[], touched?: TouchedKeys): { deleted: ObjectEvent[]; added: ObjectEvent[] } {
    const store = this.stores.get(kind.type);
    if (!store) return { deleted: [], added: [] };
    const settled = (key: string, obj: unknown) =>
      touched !== undefined && (touched.keys.has(key) || (kind.replaceKey !== undefined && touched.replaceKeys.has(kind.replaceKey(obj))));
    const fresh = new Map<string, unknown>();
    for (const obj of listed) fresh.set(kind.key(obj), obj);
    const deleted: ObjectEvent[] = [];
    const added: ObjectEvent[] = [];
    const gone: string[] = [];
    for (const [key, obj] of store.byKey) {
      if (fresh.has(key) || settled(key, obj)) continue;
      gone.push(key);
      deleted.push(synthesized(makeEvent(kind, 'del', obj)));
    }
    for (const key of gone) store.delete(key);
    for (const [key, obj] of fresh) {
      if (settled(key, obj)) continue;
      const held = store.byKey.get(key);
      if (held !== undefined && sameObject(kind, held, obj)) {
        store.byKey.set(key, obj); // the same object: keep the fresher counters
        continue;
      }
      if (held !== undefined) store.delete(key);
      store.set(key, obj);
      added.push(synthesized(makeEvent(kind, 'new', obj)));
    }
    return { deleted, added };
  }
}

/** Keys that notifications touched while a listing ran (and replace keys they displaced). */
export interface TouchedKeys {
  keys: Set<string>;
  replaceKeys: Set<string>;
}

function synthesized(ev: ObjectEvent): ObjectEvent {
  ev.synthesized = true;
  return ev;
}
