/**
 * `rt.batch(ops)`: many address/route/neigh/fdb/rule changes validated at once, each distinct
 * link name resolved once, every message queued in one synchronous pass so the engine
 * pipelines them (many per sendmsg, bounded in flight), and each op's own outcome reported
 * instead of failing the whole batch. Equivalent to: ip -batch FILE -force.
 */
import { ValidationError } from '../errors';
import type { Engine } from '../core/engine';
import { callSignal, checkKeys, type CallOptions } from '../core/options';
import type { LinkIndexResolver, LinkRef } from './request/link-ref';
import { holdsFor, optionsFor, type PreparedRequest } from './request/prepare';
import type { AddressChange, AddressDelOptions, AddressOptions } from './address/address';
import type { RouteChange, RouteSpec } from './route/route';
import type { NeighChange, NeighSpec } from './neigh/neigh';
import type { FdbChange, FdbSpec } from './neigh/fdb';
import type { RuleChange, RuleSpec } from './rule/rule';
import type { NexthopChange, NexthopSpec } from './nexthop/nexthop';
import type { MdbChange, MdbEntry, MdbSpec } from './bridge/mdb';

/** One change of `rt.batch()`: the operation's name and the same arguments its method takes. */
export type BatchOp =
  | { op: `address.${AddressChange}`; dev: LinkRef; address: string; spec?: AddressOptions & AddressDelOptions }
  | { op: `route.${RouteChange}`; route: RouteSpec }
  | { op: `neigh.${NeighChange}`; neigh: NeighSpec }
  | { op: `fdb.${FdbChange}`; fdb: FdbSpec }
  | { op: `rule.${RuleChange}`; rule: RuleSpec }
  | { op: `nexthop.${NexthopChange}`; nexthop: NexthopSpec | { id: number } }
  | { op: `mdb.${MdbChange}`; mdb: MdbSpec | MdbEntry };

/** The `prepare*` function of each change API (passed in, so this file imports none of them). */
export interface Preparers {
  address(change: AddressChange, dev: LinkRef, address: string, spec?: AddressOptions & AddressDelOptions): PreparedRequest;
  route(change: RouteChange, spec: RouteSpec): PreparedRequest;
  neigh(change: NeighChange, spec: NeighSpec): PreparedRequest;
  fdb(change: FdbChange, spec: FdbSpec): PreparedRequest;
  rule(change: RuleChange, spec: RuleSpec): PreparedRequest;
  nexthop(change: NexthopChange, spec: NexthopSpec | { id: number }): PreparedRequest;
  mdb(change: MdbChange, spec: MdbSpec | MdbEntry): PreparedRequest;
}

const BATCH_CHANGES: Record<string, readonly string[]> = {
  address: ['add', 'replace', 'del'],
  route: ['add', 'replace', 'append', 'del'],
  neigh: ['add', 'replace', 'change', 'del'],
  fdb: ['add', 'append', 'replace', 'del'],
  rule: ['add', 'del'],
  nexthop: ['add', 'replace', 'del'],
  mdb: ['add', 'replace', 'del'],
};

/** The keys of each API's op: data only (control, `signal`, goes in rt.batch's options). */
const OP_KEYS: Record<string, readonly string[]> = {
  address: ['op', 'dev', 'address', 'spec'],
  route: ['op', 'route'],
  neigh: ['op', 'neigh'],
  fdb: ['op', 'fdb'],
  rule: ['op', 'rule'],
  nexthop: ['op', 'nexthop'],
  mdb: ['op', 'mdb'],
};

/** Validates one batch op with the matching API's prepare function. */
export function prepareBatchOp(p: Preparers, op: BatchOp, i: number): PreparedRequest {
  if (op === null || typeof op !== 'object' || typeof op.op !== 'string') throw new ValidationError(`ops.${i}`, "expected { op: 'route.add', … }");
  const [api, change] = op.op.split('.') as [string, string];
  if (!BATCH_CHANGES[api]?.includes(change)) {
    throw new ValidationError(`ops.${i}.op`, `unknown operation ${JSON.stringify(op.op)} (known: ${Object.entries(BATCH_CHANGES).flatMap(([a, cs]) => cs.map((c) => `${a}.${c}`)).join(', ')})`);
  }
  const o = op as any;
  checkKeys(op, OP_KEYS[api]!, `ops.${i}`);
  switch (api) {
    case 'address': return p.address(change as AddressChange, o.dev, o.address, o.spec ?? {});
    case 'route': return p.route(change as RouteChange, o.route);
    case 'neigh': return p.neigh(change as NeighChange, o.neigh);
    case 'fdb': return p.fdb(change as FdbChange, o.fdb);
    case 'nexthop': return p.nexthop(change as NexthopChange, o.nexthop);
    case 'mdb': return p.mdb(change as MdbChange, o.mdb);
    default: return p.rule(change as RuleChange, o.rule);
  }
}

/** The outcome of one op of `rt.batch()`, in the order the ops were given. */
export type BatchResult<Op = unknown> =
  | { op: Op; ok: true }
  | { op: Op; ok: false; error: Error };

/** The control options of `rt.batch()`: `{ signal }` covers every op. */
export type BatchOptions = CallOptions;

/**
 * Runs prepared requests as one burst: each op is validated and queued at once (a link named
 * by name waits in the queue on the lookup shared by every op naming it, so each distinct
 * name costs one RTM_GETLINK), they leave pipelined, and each op's outcome is reported.
 * `prepare` runs per op; its ValidationError becomes that op's result and nothing is sent
 * for it. Outcomes are collected by callback, not a promise per op: this is the bulk path.
 */
export function runBatch<Op>(
  engine: Engine,
  resolver: LinkIndexResolver,
  ops: readonly Op[],
  prepare: (op: Op, i: number) => PreparedRequest,
  opts?: BatchOptions,
): Promise<BatchResult<Op>[]> {
  let signal: AbortSignal | undefined;
  try {
    signal = callSignal(opts);
  } catch (err) {
    return Promise.reject(err);
  }
  if (!Array.isArray(ops)) return Promise.reject(new ValidationError('ops', 'expected an array of operations'));
  const results = new Array<BatchResult<Op>>(ops.length);
  if (ops.length === 0) return Promise.resolve(results);
  return new Promise((resolve) => {
    let left = ops.length;
    const settle = (i: number, err: Error | undefined): void => {
      results[i] = err ? { op: ops[i]!, ok: false, error: err } : { op: ops[i]!, ok: true };
      if (--left === 0) resolve(results);
    };
    for (let i = 0; i < ops.length; i++) {
      let prep: PreparedRequest;
      try {
        prep = prepare(ops[i]!, i);
      } catch (err) {
        settle(i, err as Error);
        continue;
      }
      engine.changeThen(prep.msg, optionsFor(prep, signal), holdsFor(resolver, prep.links), (err) => settle(i, err));
    }
  });
}
