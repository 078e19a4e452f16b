/**
 * `Nft`: the nftables ruleset of one network namespace, in the JSON that `nft -j` speaks.
 *
 * - `apply(doc)` validates the whole document, compiles it to nf_tables messages and sends them
 *   as ONE transaction (all or nothing), returning the handle of every object it added.
 * - `list(filter?)` dumps the ruleset and prints it as `nft -j list ruleset` does (metainfo
 *   first, then per table: table, stateful objects, sets and maps, flowtables, chains, rules),
 *   so its output can be given back to `apply`.
 * - `monitor()` yields table/chain/rule/set/element/object events as `nft monitor` shows them.
 * - `generation()` is the ruleset's generation id; `apply(doc, { generation })` fails with
 *   GenerationChangedError if the ruleset changed since.
 */
import { ValidationError, NetlinkError } from '../../errors';
import { checkKeys } from '../../core/options';
import { SOCKET_OPTION_KEYS, type NetlinkSocketHandle, type SocketOptions } from '../../core/socket';
import type { Engine } from '../../core/engine';
import { forEachAttr, readString } from '../../wire/attributes';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_ECHO, SOL_SOCKET, SO_SNDBUF, SO_SNDBUFFORCE } from '../../wire/constants';
import { MessageWriter, type BuiltMessage } from '../../wire/message-writer';
import { NFNLGRP, NFNL_SUBSYS, nfnlMsg, nfnlSubsys, openNfnetlinkSocket } from '../nfnetlink';
import { runTransaction, type TransactionMessage } from '../batch';
import { FAMILIES, NFTA_GEN, NFT_MSG } from './constants';
import { buildTable, decodeTable } from './objects/table';
import { buildChain, decodeChain } from './objects/chain';
import { buildRule, decodeRule, ruleAttrPath, ruleTarget } from './objects/rule';
import {
  buildElementMessages, buildSet, encodeIpv4Intervals, buildSetRemoval, decodeElementMessage, decodeSet, elementTarget, encodeElements, formatElements,
  decodeIpv4ElementMessage, formatIpv4Intervals, isIpv4IntervalSet, type DecodedSet, type Ipv4Chunk, type KernelElement, type SetInfo,
} from './objects/set';
import { buildStateful, decodeStateful, type StatefulKind } from './objects/stateful';
import { buildFlowtable, decodeFlowtable } from './objects/flowtable';
import { nftMessage } from './objects/common';
import { compileRuleForApply, decompileRuleForList, type RuleSetView } from './rule-bridge';
import { RuleDumpDecoder, type ListedRule } from './rule-templates';
import { RuleShapes } from './apply-templates';
import type { NftFamily } from './compile';

/** What `nft -j` prints first: the version of the JSON schema. */
export const METAINFO = { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } as const;

/** A libnftables JSON document. */
export interface NftDocument {
  nftables: Record<string, unknown>[];
}

/** Options of `nl.nft.open`. */
export interface NftOpenOptions extends SocketOptions {}

/** Options of `apply`. */
export interface NftApplyOptions {
  /** Fail (GenerationChangedError) unless the ruleset is still at this generation id. */
  generation?: number;
  /** Ask the kernel to echo added objects so their handles are returned. Default true. */
  handles?: boolean;
}

/** An object `apply` added, with the handle the kernel gave it. */
export interface NftAddedObject {
  /** Index of the command in `doc.nftables`. */
  index: number;
  kind: 'table' | 'chain' | 'rule' | 'set' | 'map' | 'counter' | 'quota' | 'limit' | 'flowtable';
  family: string;
  table: string;
  /** Chain of a rule. */
  chain?: string;
  /** Name (everything but rules). */
  name?: string;
  handle: number;
}

/** What `apply` returns. */
export interface NftApplyResult {
  /** Every object added (in command order), with its handle. */
  added: NftAddedObject[];
}

/** Which part of the ruleset `list` prints. */
export interface NftListFilter {
  family?: string;
  table?: string;
  chain?: string;
  set?: string;
}

/** An event of `monitor()`, as `nft monitor` reports it. */
export interface NftEvent {
  op: 'add' | 'delete';
  kind: 'table' | 'chain' | 'rule' | 'set' | 'map' | 'element' | 'counter' | 'quota' | 'limit' | 'flowtable' | 'object' | 'generation';
  /** The object as `nft -j` prints it (elements: `{family, table, name, elem}`; generation: `{id}`). */
  object: Record<string, unknown>;
}

const VERBS = ['add', 'create', 'insert', 'replace', 'delete', 'flush'] as const;
type VerbName = (typeof VERBS)[number];
const OBJECT_KINDS = ['table', 'chain', 'rule', 'set', 'map', 'element', 'counter', 'quota', 'limit', 'flowtable', 'ruleset'] as const;
const APPLY_KEYS = ['generation', 'handles'];
/** Dependency order of object kinds in a document of additions. */
const RANKS: Readonly<Record<string, number>> = { table: 0, chain: 1, counter: 2, quota: 2, limit: 2, set: 3, map: 3, element: 4, flowtable: 4, rule: 5 };
const FILTER_KEYS = ['family', 'table', 'chain', 'set'];

function familyNum(name: string | undefined, field: string): number {
  if (name === undefined) return 0;
  const n = FAMILIES[name];
  if (n === undefined) throw new ValidationError(field, `unknown family ${JSON.stringify(name)}`);
  return n;
}

/** Attribute numbers of name/table/chain/handle in each echoed NEW* message type. */
const ECHO_LAYOUT: Readonly<Record<number, { table?: number; name?: number; chain?: number; handle: number }>> = {
  [NFT_MSG.NEWTABLE]: { name: 1, handle: 4 },
  [NFT_MSG.NEWCHAIN]: { table: 1, name: 3, handle: 2 },
  [NFT_MSG.NEWRULE]: { table: 1, chain: 2, handle: 3 },
  [NFT_MSG.NEWSET]: { table: 1, name: 2, handle: 16 },
  [NFT_MSG.NEWOBJ]: { table: 1, name: 2, handle: 6 },
  [NFT_MSG.NEWFLOWTABLE]: { table: 1, name: 2, handle: 5 },
};

/** Reads the handle and identity of an echoed NEW* message (cheap: no expressions decoded). */
function decodeEcho(buf: Buffer, off: number, len: number, type: number): Record<string, unknown> | undefined {
  if (nfnlSubsys(type) !== NFNL_SUBSYS.nftables) return undefined;
  const msg = nfnlMsg(type);
  const out: Record<string, unknown> = { msg };
  const l = ECHO_LAYOUT[msg];
  if (!l) return undefined;
  forEachAttr(buf, off + 20, off + len, (t, o, n) => {
    if (t === l.handle && n >= 8) out.handle = buf.readUInt32BE(o) * 0x1_0000_0000 + buf.readUInt32BE(o + 4);
    else if (t === l.table) out.table = readString(buf, o, n);
    else if (t === l.name) out.name = readString(buf, o, n);
    else if (t === l.chain) out.chain = readString(buf, o, n);
  });
  return out;
}

/** Per-set bookkeeping while a document is compiled (sets defined earlier in it, by table). */
class ApplyContext {
  nextSetId = 1;
  /** Rule shapes compiled so far (apply-templates.ts). */
  readonly shapes = new RuleShapes();
  /** Sets and maps defined by the document, by "family table name". */
  readonly sets = new Map<string, SetInfo>();
  static key(family: string, table: string, name: string): string {
    return `${family}\0${table}\0${name}`;
  }
}

/** The nftables ruleset of one namespace. */
export class Nft implements AsyncDisposable {
  private closed = false;

  /** @internal use `nl.nft.open()`. */
  constructor(private readonly handle: NetlinkSocketHandle, private readonly socketOptions: SocketOptions) {}

  private get engine(): Engine {
    return this.handle.engine;
  }

  /**
   * The ruleset's generation id (it changes with every committed transaction).
   * Equivalent to: nft list ruleset (the generation nft reads before and after)
   */
  async generation(): Promise<number> {
    const w = nftMessage(NFT_MSG.GETGEN, NLM_F_ACK, 0, 32);
    const items = await this.engine.request(w.finish(), {
      operation: 'nft.generation',
      decode: (buf, off, len) => {
        let id: number | undefined;
        forEachAttr(buf, off + 20, off + len, (t, o, n) => {
          if (t === NFTA_GEN.ID && n >= 4) id = buf.readUInt32BE(o);
        });
        return id;
      },
    });
    if (items[0] === undefined) throw new NetlinkError({ errno: 61 /* ENODATA */, operation: 'nft.generation', extack: 'no generation id in the reply' });
    return items[0];
  }

  // ------------------------------------------------------------------ apply

  /**
   * Applies a libnftables JSON document in one atomic transaction: every command succeeds or
   * nothing changes. Bare objects (as `list` prints them) are added; `metainfo` is skipped.
   * Rejects with ValidationError (naming the path in the document) before anything is sent,
   * or TransactionError naming the first command the kernel refused.
   * Equivalent to: nft -j -f doc.json
   */
  async apply(doc: NftDocument, opts: NftApplyOptions = {}): Promise<NftApplyResult> {
    checkKeys(opts, APPLY_KEYS, 'options');
    if (opts.generation !== undefined && (!Number.isInteger(opts.generation) || opts.generation < 0 || opts.generation > 0xffff_ffff)) {
      throw new ValidationError('options.generation', 'expected a generation id (u32)');
    }
    if (this.closed) throw new Error('nft.apply: the nft handle is closed');
    const { messages, echoes } = await this.prepare(doc, opts.handles !== false);
    if (!messages.length) return { added: [] };
    this.ensureSendBuffer(messages);
    const replies = await runTransaction(this.engine, messages, {
      subsystem: NFNL_SUBSYS.nftables,
      operation: 'nft.apply',
      decode: (buf, off, len, type) => decodeEcho(buf, off, len, type),
      pathOf: (i) => `nftables[${i}]`,
      ...(opts.generation !== undefined ? { generation: opts.generation } : {}),
    });
    const added: NftAddedObject[] = [];
    for (const e of echoes) {
      const item = replies[e.at]?.find((r) => r && r.handle !== undefined);
      if (!item) continue;
      const obj: NftAddedObject = { index: e.index, kind: e.kind, family: e.family, table: (item.table ?? item.name) as string, handle: item.handle as number };
      if (e.kind === 'rule') obj.chain = item.chain as string;
      else obj.name = item.name as string;
      added.push(obj);
    }
    return { added };
  }

  /**
   * The batch is one datagram, which netlink refuses (EMSGSIZE) above the socket's send
   * buffer: grow the buffer to fit a large document (forced when privileged).
   */
  private ensureSendBuffer(messages: readonly TransactionMessage[]): void {
    let bytes = 64 * 1024;
    for (const m of messages) bytes += (m.msg.bytes.length + 3) & ~3;
    const sock = this.handle.sock;
    // The kernel reports (and enforces) twice the value set.
    if (sock.getIntOption(SOL_SOCKET, SO_SNDBUF) >= bytes) return;
    const want = Math.ceil(bytes / 2) + 4096;
    try {
      sock.setIntOption(SOL_SOCKET, SO_SNDBUFFORCE, want);
    } catch {
      sock.setIntOption(SOL_SOCKET, SO_SNDBUF, want);
    }
  }

  /** Validates and compiles the whole document (nothing sent). */
  private async prepare(doc: NftDocument, wantHandles: boolean): Promise<{ messages: TransactionMessage[]; echoes: { at: number; index: number; kind: NftAddedObject['kind']; family: string }[] }> {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ValidationError('document', 'expected {"nftables": [...]}');
    checkKeys(doc, ['nftables'], '');
    if (!Array.isArray(doc.nftables)) throw new ValidationError('nftables', 'expected a list of commands');
    const ctx = new ApplyContext();
    const echo = wantHandles ? NLM_F_ECHO : 0;
    // Per command: its messages, the echo that reports its handle, and its rank (see below).
    const groups: { rank: number; add: boolean; msgs: TransactionMessage[]; echo?: { at: number; index: number; kind: NftAddedObject['kind']; family: string } }[] = [];
    // Element commands naming sets the document does not define need the set's types from the kernel.
    const namesInterfaces = await this.loadReferencedSets(doc.nftables, ctx);
    // `meta iif "eth0"` is compiled to the index in the target namespace, as nft does.
    const ifindexes = namesInterfaces ? new Map([...(await this.linkNames())].map(([i, n]) => [n, i])) : undefined;
    doc.nftables.forEach((cmd, index) => {
      const path = `nftables[${index}]`;
      if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd)) throw new ValidationError(path, 'expected a command object');
      const keys = Object.keys(cmd);
      if (keys.length !== 1) throw new ValidationError(path, `expected exactly one command key (${VERBS.join(', ')}) or object, got ${keys.length}`);
      const first = keys[0]!;
      if (first === 'metainfo') return;
      let verb: VerbName = 'add';
      let inner: Record<string, unknown> = cmd;
      let innerPath = path;
      if ((VERBS as readonly string[]).includes(first)) {
        verb = first as VerbName;
        innerPath = `${path}.${first}`;
        const v = (cmd as Record<string, unknown>)[first];
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(innerPath, 'expected an object such as {"table": {...}}');
        inner = v as Record<string, unknown>;
        const ik = Object.keys(inner);
        if (ik.length !== 1) throw new ValidationError(innerPath, 'expected exactly one object (table, chain, rule, set, map, element, counter, quota, limit, flowtable)');
      } else if (!(OBJECT_KINDS as readonly string[]).includes(first)) {
        throw new ValidationError(`${path}.${first}`, `unknown command "${first}" (${VERBS.join(', ')}, or a bare object)`);
      }
      const kind = Object.keys(inner)[0]!;
      if (!(OBJECT_KINDS as readonly string[]).includes(kind)) {
        throw new ValidationError(`${innerPath}.${kind}`, `unknown object "${kind}" (${OBJECT_KINDS.join(', ')})`);
      }
      const objPath = `${innerPath}.${kind}`;
      let body = inner[kind];
      // A bare object is a listing's: its handle named it there and means nothing here (in an
      // explicit "add rule" a handle is the position to add after).
      if (innerPath === path && body && typeof body === 'object' && !Array.isArray(body) && 'handle' in body) {
        const { handle: _h, ...rest } = body as Record<string, unknown>;
        body = rest;
      }
      const op = `${verb} ${kind}`;
      const group: (typeof groups)[number] = { rank: RANKS[kind] ?? 9, add: verb === 'add' || verb === 'create', msgs: [] };
      groups.push(group);
      const messages = group.msgs;
      const push = (msg: BuiltMessage) => messages.push({ msg, command: index, operation: op });
      const pushEcho = (msg: BuiltMessage, k: NftAddedObject['kind'], family: string) => {
        if (echo) group.echo = { at: messages.length, index, kind: k, family };
        push(msg);
      };
      const familyName = (body as any)?.family as string;
      switch (kind) {
        case 'ruleset': {
          if (verb !== 'flush' && verb !== 'delete') throw new ValidationError(objPath, `the ruleset can only be flushed`);
          const fam = body && typeof body === 'object' ? familyNum((body as any).family, `${objPath}.family`) : 0;
          push(nftMessage(NFT_MSG.DELTABLE, 0, fam).finish());
          return;
        }
        case 'table': {
          const m = buildTable(verb, body, objPath, echo);
          if (verb === 'add' || verb === 'create') pushEcho(m, 'table', familyName);
          else push(m);
          return;
        }
        case 'chain': {
          const m = buildChain(verb, body, objPath, echo);
          if (verb === 'add' || verb === 'create') pushEcho(m, 'chain', familyName);
          else push(m);
          return;
        }
        case 'set':
        case 'map': {
          if (verb === 'delete' || verb === 'flush') {
            push(buildSetRemoval(verb, body, objPath));
            return;
          }
          if (verb !== 'add' && verb !== 'create') throw new ValidationError(objPath, `a ${kind} cannot be given to "${verb}"`);
          const p = buildSet(kind, verb, body, objPath, echo, ctx.nextSetId++);
          ctx.sets.set(ApplyContext.key(p.info.family, p.info.table, p.info.name), p.info);
          ctx.shapes.clear(); // a rule naming it compiles differently now
          pushEcho(p.msg!, kind, familyName);
          if (p.elems?.length) {
            const elems = encodeIpv4Intervals(p.info, p.elems) ?? encodeElements(p.info, p.elems, `${objPath}.elem`);
            for (const m of buildElementMessages('add', FAMILIES[p.info.family]!, p.info, elems, objPath)) push(m);
          }
          return;
        }
        case 'element': {
          if (verb === 'insert' || verb === 'replace') throw new ValidationError(objPath, `elements cannot be given to "${verb}"`);
          const t = elementTarget(body, objPath);
          const info = ctx.sets.get(ApplyContext.key(t.family, t.table, t.name));
          if (!info) throw new ValidationError(`${objPath}.name`, `set ${t.family} ${t.table} ${t.name} does not exist`);
          if (verb === 'flush') {
            push(buildSetRemoval('flush', { family: t.family, table: t.table, name: t.name }, objPath));
            return;
          }
          const elems = (verb !== 'delete' ? encodeIpv4Intervals(info, t.elems) : undefined) ?? encodeElements(info, t.elems, `${objPath}.elem`);
          for (const m of buildElementMessages(verb, FAMILIES[t.family]!, info, elems, objPath)) push(m);
          return;
        }
        case 'rule': {
          const t = ruleTarget(verb, body, objPath);
          if (verb === 'delete') {
            messages.push({ msg: buildRule(verb, t, [], objPath, 0), command: index, operation: op, path: objPath, attrPath: ruleAttrPath });
            return;
          }
          // A rule of a shape compiled before: its bytes with this rule's values.
          const fromShape = ctx.shapes.build(t.family, t.table, t.expr!);
          if (fromShape) {
            if (echo) group.echo = { at: messages.length, index, kind: 'rule', family: t.family };
            messages.push({ msg: buildRule(verb, t, fromShape, objPath, echo), command: index, operation: op, path: objPath, attrPath: ruleAttrPath });
            return;
          }
          const rec = ctx.shapes.recorder(`${objPath}.expr`);
          const compiled = compileRuleForApply(t, `${objPath}.expr`, () => ctx.nextSetId++, (f, tb, n) => ctx.sets.get(ApplyContext.key(f, tb, n)), ifindexes, rec);
          if (!compiled.anonymousSets.length) ctx.shapes.learn(t.family, t.table, t.expr!, compiled.exprs, rec);
          for (const s of compiled.anonymousSets) {
            push(s.msg);
            for (const m of buildElementMessages('add', t.familyNum, s.info, s.elems, `${objPath}.expr`, true)) push(m);
          }
          if (echo) group.echo = { at: messages.length, index, kind: 'rule', family: t.family };
          messages.push({ msg: buildRule(verb, t, compiled.exprs, objPath, echo), command: index, operation: op, path: objPath, attrPath: ruleAttrPath });
          return;
        }
        case 'counter':
        case 'quota':
        case 'limit': {
          if (verb === 'flush' || verb === 'insert' || verb === 'replace') throw new ValidationError(objPath, `a ${kind} cannot be given to "${verb}"`);
          const m = buildStateful(kind as StatefulKind, verb, body, objPath, echo);
          if (verb === 'delete') push(m);
          else pushEcho(m, kind as NftAddedObject['kind'], familyName);
          return;
        }
        case 'flowtable': {
          const m = buildFlowtable(verb, body, objPath, echo);
          if (verb === 'delete') push(m);
          else pushEcho(m, 'flowtable', familyName);
          return;
        }
      }
    });
    // Each run of consecutive additions (a whole ruleset as `list` prints it, or what follows a
    // `flush ruleset`) goes in dependency order: tables, chains, stateful objects, sets and maps
    // with their elements (verdict maps name chains), flowtables, then rules, each kind in
    // document order. Additions commute, so this changes nothing but makes forward references
    // work, as they do in an `nft -f` file. Other commands keep their place.
    const ordered: typeof groups = [];
    for (let i = 0; i < groups.length; ) {
      if (!groups[i]!.add) {
        ordered.push(groups[i++]!);
        continue;
      }
      const run: typeof groups = [];
      while (i < groups.length && groups[i]!.add) run.push(groups[i++]!);
      run.sort((a, b) => a.rank - b.rank);
      ordered.push(...run);
    }
    const messages: TransactionMessage[] = [];
    const echoes: { at: number; index: number; kind: NftAddedObject['kind']; family: string }[] = [];
    for (const g of ordered) {
      if (g.echo) echoes.push({ ...g.echo, at: messages.length + g.echo.at });
      for (const m of g.msgs) messages.push(m);
    }
    return { messages, echoes };
  }

  /**
   * Fetches the sets that element commands and rules name but the document does not define.
   * True when a rule matches `meta iif` / `oif` (found in the same walk over the statements).
   */
  private async loadReferencedSets(cmds: unknown[], ctx: ApplyContext): Promise<boolean> {
    let namesInterfaces = false;
    const defined = new Set<string>();
    const wanted = new Map<string, { family: string; table: string; name: string }>();
    const refs = new Set<string>();
    for (const cmd of cmds) {
      if (!cmd || typeof cmd !== 'object' || Array.isArray(cmd)) continue;
      for (const verb in cmd) {
        const v = (cmd as Record<string, unknown>)[verb];
        const inner = (VERBS as readonly string[]).includes(verb) ? v : { [verb]: v };
        if (!inner || typeof inner !== 'object') continue;
        for (const kind in inner as object) {
          const body = (inner as Record<string, unknown>)[kind];
          if (!body || typeof body !== 'object') continue;
          const b = body as Record<string, unknown>;
          if (kind === 'rule' && typeof b.family === 'string' && typeof b.table === 'string' && FAMILIES[b.family] !== undefined) {
            // `@name` in a rule: a map's value type is needed to compile it.
            refs.clear();
            if (scanStatements(b.expr, refs)) namesInterfaces = true;
            for (const name of refs) {
              const key = ApplyContext.key(b.family, b.table, name);
              if (!defined.has(key)) wanted.set(key, { family: b.family, table: b.table, name });
            }
            continue;
          }
          if (typeof b.family !== 'string' || typeof b.table !== 'string' || typeof b.name !== 'string') continue;
          const key = ApplyContext.key(b.family, b.table, b.name);
          if ((kind === 'set' || kind === 'map') && (verb === 'add' || verb === 'create' || !(VERBS as readonly string[]).includes(verb))) defined.add(key);
          else if (kind === 'element' && !defined.has(key) && FAMILIES[b.family] !== undefined) wanted.set(key, { family: b.family, table: b.table, name: b.name });
        }
      }
    }
    await Promise.all([...wanted].map(async ([key, s]) => {
      const w = nftMessage(NFT_MSG.GETSET, NLM_F_ACK, FAMILIES[s.family]!, 64);
      w.string(1, s.table);
      w.string(2, s.name);
      try {
        const items = await this.engine.request(w.finish(), { operation: 'nft.apply (set lookup)', decode: (b, o, l) => decodeSet(b, o, l) });
        if (items[0]) ctx.sets.set(key, items[0].info);
      } catch (err) {
        if (!(err instanceof NetlinkError && (err.code === 'ENOENT' || err.code === 'EINVAL'))) throw err;
        // Left undefined: the command naming it reports it by its path (or the kernel does).
      }
    }));
    return namesInterfaces;
  }

  // ------------------------------------------------------------------ list

  private dump<T>(msg: number, family: number, operation: string, decode: (buf: Buffer, off: number, len: number) => T, attrs?: (w: MessageWriter) => void): Promise<T[]> {
    const w = nftMessage(msg, NLM_F_DUMP, family, 64);
    attrs?.(w);
    return this.engine.request(w.finish(), { operation, dump: true, decode: (b, o, l) => decode(b, o, l) });
  }

  /**
   * The ruleset (or one family / table / chain / set) as `nft -j list ruleset` prints it.
   * Anonymous sets are printed inside the rules that use them, never on their own.
   * Equivalent to: nft -j list ruleset (nft -j list table inet t, list chain …, list set …)
   */
  async list(filter: NftListFilter = {}): Promise<NftDocument> {
    checkKeys(filter, FILTER_KEYS, 'filter');
    for (const k of FILTER_KEYS) {
      const v = (filter as Record<string, unknown>)[k];
      if (v !== undefined && typeof v !== 'string') throw new ValidationError(`filter.${k}`, 'expected a string');
    }
    if ((filter.chain !== undefined || filter.set !== undefined) && (filter.table === undefined || filter.family === undefined)) {
      throw new ValidationError(filter.chain !== undefined ? 'filter.chain' : 'filter.set', 'listing a chain or set needs "family" and "table"');
    }
    if (filter.table !== undefined && filter.family === undefined) throw new ValidationError('filter.table', 'listing a table needs "family"');
    const fam = familyNum(filter.family, 'filter.family');
    // Like nft: read the generation before and after, and start over if it moved in between.
    for (let attempt = 0; ; attempt++) {
      const before = await this.generation();
      const out = await this.listOnce(fam, filter);
      const after = await this.generation();
      if (before === after || attempt >= 4) return out;
    }
  }

  private async listOnce(fam: number, filter: NftListFilter): Promise<NftDocument> {
    const tableAttr = filter.table !== undefined ? (w: MessageWriter) => w.string(1, filter.table!) : undefined;
    const none = Promise.resolve([]);
    const noObjects = filter.chain !== undefined || filter.set !== undefined;
    // Queued together (the engine runs them one after another without waiting a turn between).
    const ruleDecoder = new RuleDumpDecoder();
    const [allTables, chains, sets, objs, flowtables, rules] = await Promise.all([
      this.dump(NFT_MSG.GETTABLE, fam, 'nft.list tables', decodeTable),
      filter.set !== undefined ? none : this.dump(NFT_MSG.GETCHAIN, fam, 'nft.list chains', decodeChain, tableAttr),
      this.dump(NFT_MSG.GETSET, fam, 'nft.list sets', decodeSet, tableAttr),
      noObjects ? none : this.dump(NFT_MSG.GETOBJ, fam, 'nft.list objects', decodeStateful, tableAttr),
      noObjects ? none : this.dump(NFT_MSG.GETFLOWTABLE, fam, 'nft.list flowtables', decodeFlowtable, tableAttr),
      filter.set !== undefined ? none : this.dump(NFT_MSG.GETRULE, fam, 'nft.list rules', ruleDecoder.decode, (w) => {
        if (filter.table !== undefined) w.string(1, filter.table);
        if (filter.chain !== undefined) w.string(2, filter.chain);
      }),
    ] as const);
    const tables = allTables.filter((t) => filter.table === undefined || t.name === filter.table);
    // Elements: every set a listed rule uses (anonymous ones print inline) and every listed set.
    const wantedSets = sets.filter((s) => (filter.set === undefined ? true : s.info.name === filter.set || s.anonymous));
    const elements = new Map<DecodedSet, KernelElement[] | Ipv4Chunk[]>();
    // Queued together: the engine runs one dump at a time but starts each as the last ends.
    await Promise.all(wantedSets.filter((s) => filter.set === undefined || !s.anonymous).map(async (s) => {
      elements.set(s, await this.dumpElementsFor(s));
    }));
    const key = (f: string, t: string) => `${f}\0${t}`;
    // Rules matching `meta iif`/`oif` hold an ifindex; nft prints the name it has here.
    const names = ruleDecoder.ifindex ? await this.linkNames() : undefined;
    const view: RuleSetView = {
      ...(names ? { ifname: (i: number) => names.get(i) } : {}),
      set: (family, table, name) => {
        const s = sets.find((x) => x.info.family === family && x.info.table === table && x.info.name === name);
        if (!s) return undefined;
        const e = elements.get(s);
        // Only anonymous sets are printed inline, and those never take the IPv4 path.
        return { info: s.info, elems: e && !isChunks(e) ? (e as KernelElement[]) : [] };
      },
    };
    // Rules that print an anonymous set's elements or interface names, now that those are known.
    ruleDecoder.finish(rules, (r) => ({
      family: r.family as NftFamily,
      ...(view.ifname ? { ifname: view.ifname } : {}),
      set: (name: string) => {
        const s = view.set(r.family, r.table, name);
        return s ? { flags: s.info.flags, elements: s.elems } : undefined;
      },
    }));
    const out: Record<string, unknown>[] = [{ metainfo: { ...METAINFO } }];
    for (const t of tables) {
      const k = key(t.family, t.name);
      const inTable = <X extends { family?: unknown; table?: unknown }>(x: X) => key(x.family as string, x.table as string) === k;
      if (filter.chain === undefined && filter.set === undefined) out.push({ table: t });
      if (filter.chain === undefined) {
        if (filter.set === undefined) for (const o of objs) if (inTable(o.json)) out.push({ [o.kind]: o.json });
        for (const s of sets) {
          if (s.anonymous || !inTable(s.info) || (filter.set !== undefined && s.info.name !== filter.set)) continue;
          const json = { ...s.json };
          const elems = elements.get(s);
          if (elems && countElements(elems)) json.elem = setElemJson(s, elems);
          out.push({ [s.kind]: json });
        }
        for (const f of flowtables) if (inTable(f)) out.push({ flowtable: f });
      }
      if (filter.set !== undefined) continue;
      const tableChains = chains.filter((c) => inTable(c) && (filter.chain === undefined || c.name === filter.chain));
      for (const c of tableChains) out.push({ chain: c });
      // The table's rules by chain, in dump order (one pass, not one per chain).
      const byChain = new Map<string, ListedRule[]>();
      for (const r of rules) {
        if (r.table !== t.name || r.family !== t.family) continue;
        const list = byChain.get(r.chain);
        if (list) list.push(r);
        else byChain.set(r.chain, [r]);
      }
      for (const c of tableChains) {
        for (const r of byChain.get(c.name) ?? []) {
          out.push({ rule: r });
        }
      }
    }
    return { nftables: out };
  }

  /** The elements of a listed set: IPv4 interval sets in dump parts (no object per element). */
  private async dumpElementsFor(s: DecodedSet): Promise<KernelElement[] | Ipv4Chunk[]> {
    if (!s.anonymous && isIpv4IntervalSet(s.info)) {
      const chunks = await this.dump(NFT_MSG.GETSETELEM, FAMILIES[s.info.family] ?? 0, 'nft.list elements', decodeIpv4ElementMessage, (w) => {
        w.string(1, s.info.table);
        w.string(2, s.info.name);
      });
      if (!chunks.some((c) => c.complex)) return chunks;
    }
    return this.dumpElements(s);
  }

  /** ifindex → name of the links in this handle's namespace (a short-lived rtnetlink handle). */
  private async linkNames(): Promise<Map<number, string>> {
    const { netns, netnsPid } = this.socketOptions;
    // Loaded on first use: most rulesets name no interfaces, and rtnetlink's modules are a
    // sizeable share of a short-lived process's startup.
    const { open: openRtnl } = await import('../../rtnetlink/handle');
    const rt = await openRtnl({ ...(netns !== undefined ? { netns } : {}), ...(netnsPid !== undefined ? { netnsPid } : {}) });
    try {
      return await rt.link.names();
    } finally {
      rt.close();
    }
  }

  private async dumpElements(s: DecodedSet): Promise<KernelElement[]> {
    // One item per dump part (a restarted dump starts from nothing), flattened at the end.
    const parts = await this.dump(NFT_MSG.GETSETELEM, FAMILIES[s.info.family] ?? 0, 'nft.list elements', (b, o, l) => decodeElementMessage(b, o, l).elems, (w) => {
      w.string(1, s.info.table);
      w.string(2, s.info.name);
    });
    return parts.length === 1 ? parts[0]! : parts.flat();
  }

  // ------------------------------------------------------------------ monitor

  /**
   * Table, chain, rule, set, element and object events as they are committed (and a
   * 'generation' event closing each transaction). Leaving the loop closes the subscription.
   * Equivalent to: nft monitor
   */
  monitor(): AsyncIterableIterator<NftEvent> {
    if (this.closed) throw new Error('nft.monitor: the nft handle is closed');
    return new NftMonitor(this.socketOptions);
  }

  /** Closes the socket; pending requests reject. Equivalent to: (closing nft) */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.engine.close();
  }

  /** `await using nft = await nl.nft.open()` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}


/**
 * One walk over a rule's statements (apply walks every rule of the document, so no closure or
 * Set per rule): adds to `refs` the sets referenced as `"@name"`, and is true when they match
 * `meta iif` / `oif` (whose names need the namespace's interface indexes).
 */
function scanStatements(v: unknown, refs: Set<string>, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof v === 'string') {
    if (v.length > 1 && v.charCodeAt(0) === 64 /* @ */) refs.add(v.slice(1));
    return false;
  }
  if (v === null || typeof v !== 'object') return false;
  let found = false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (scanStatements(v[i], refs, depth + 1)) found = true;
    return found;
  }
  const o = v as Record<string, unknown>;
  const m = o.meta as Record<string, unknown> | undefined;
  if (m && typeof m === 'object' && (m.key === 'iif' || m.key === 'oif')) found = true;
  for (const k in o) if (scanStatements(o[k], refs, depth + 1)) found = true;
  return found;
}

/** True for the dump parts of an IPv4 interval set. */
function isChunks(elems: KernelElement[] | Ipv4Chunk[]): elems is Ipv4Chunk[] {
  return elems.length > 0 && 'keys' in elems[0]!;
}

function countElements(elems: KernelElement[] | Ipv4Chunk[]): number {
  if (!isChunks(elems)) return elems.length;
  let n = 0;
  for (const c of elems as Ipv4Chunk[]) n += c.n;
  return n;
}

/** A listed set's "elem" JSON (IPv4 interval sets take a path with no Buffer per element). */
function setElemJson(s: DecodedSet, elems: KernelElement[] | Ipv4Chunk[]): unknown[] {
  return isChunks(elems) ? formatIpv4Intervals(elems) : formatElements(s.info, elems);
}


/** Set types the monitor knows (elements events carry only the set's name). */
export type SetTypeCache = Map<string, SetInfo>;

/** Decodes one event message into the event `nft monitor` would show. */
export function decodeNftEvent(buf: Buffer, off: number, len: number, type: number, sets: SetTypeCache = new Map()): NftEvent | undefined {
  if (nfnlSubsys(type) !== NFNL_SUBSYS.nftables) return undefined;
  const msg = nfnlMsg(type);
  switch (msg) {
    case NFT_MSG.NEWTABLE: case NFT_MSG.DELTABLE:
      return { op: msg === NFT_MSG.NEWTABLE ? 'add' : 'delete', kind: 'table', object: { ...decodeTable(buf, off, len) } };
    case NFT_MSG.NEWCHAIN: case NFT_MSG.DELCHAIN:
      return { op: msg === NFT_MSG.NEWCHAIN ? 'add' : 'delete', kind: 'chain', object: { ...decodeChain(buf, off, len) } };
    case NFT_MSG.NEWRULE: case NFT_MSG.DELRULE: {
      const r = decodeRule(buf, off, len);
      const object: Record<string, unknown> = { family: r.family, table: r.table, chain: r.chain, handle: r.handle };
      if (r.comment !== undefined) object.comment = r.comment;
      if (msg === NFT_MSG.NEWRULE) object.expr = decompileRuleForList(r, { set: () => undefined });
      return { op: msg === NFT_MSG.NEWRULE ? 'add' : 'delete', kind: 'rule', object };
    }
    case NFT_MSG.NEWSET: case NFT_MSG.DELSET: {
      const s = decodeSet(buf, off, len);
      const k = `${s.info.family}\0${s.info.table}\0${s.info.name}`;
      if (msg === NFT_MSG.NEWSET) sets.set(k, s.info);
      else sets.delete(k);
      if (s.anonymous) return undefined;
      return { op: msg === NFT_MSG.NEWSET ? 'add' : 'delete', kind: s.kind, object: s.json };
    }
    case NFT_MSG.NEWSETELEM: case NFT_MSG.DELSETELEM: {
      const { table, set, elems } = decodeElementMessage(buf, off, len);
      const family = familyName(buf[off + 16]!);
      const info = sets.get(`${family}\0${table}\0${set}`);
      if (info?.anonymous) return undefined;
      // Keys of a set the monitor has not seen (made before it started and not listed) stay hex.
      const elem = info ? formatElements(info, elems) : elems.map((e) => ({ key: `0x${e.key.toString('hex')}`, ...(e.flags ? { flags: e.flags } : {}) }));
      return { op: msg === NFT_MSG.NEWSETELEM ? 'add' : 'delete', kind: 'element', object: { family, table, name: set, elem } };
    }
    case 18: case 20: { // NEWOBJ / DELOBJ
      const o = decodeStateful(buf, off, len);
      return { op: msg === NFT_MSG.NEWOBJ ? 'add' : 'delete', kind: o.kind as NftEvent['kind'], object: o.json };
    }
    case NFT_MSG.NEWFLOWTABLE: case NFT_MSG.DELFLOWTABLE:
      return { op: msg === NFT_MSG.NEWFLOWTABLE ? 'add' : 'delete', kind: 'flowtable', object: decodeFlowtable(buf, off, len) };
    case NFT_MSG.NEWGEN: {
      const object: Record<string, unknown> = {};
      forEachAttr(buf, off + 20, off + len, (t, o, n) => {
        if (t === NFTA_GEN.ID && n >= 4) object.id = buf.readUInt32BE(o);
        else if (t === NFTA_GEN.PROC_PID && n >= 4) object.pid = buf.readUInt32BE(o);
        else if (t === NFTA_GEN.PROC_NAME) object.name = readString(buf, o, n);
      });
      return { op: 'add', kind: 'generation', object };
    }
  }
  return undefined;
}

function familyName(n: number): string {
  for (const [k, v] of Object.entries(FAMILIES)) if (v === n) return k;
  return String(n);
}

/** The async iterator of `monitor()`: its own socket, subscribed to NFNLGRP_NFTABLES. */
class NftMonitor implements AsyncIterableIterator<NftEvent> {
  private readonly items: NftEvent[] = [];
  private waiter: { resolve: (r: IteratorResult<NftEvent>) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private error: Error | undefined;
  private handle: NetlinkSocketHandle | undefined;
  private readonly sets: SetTypeCache = new Map();
  /** Resolves once the subscription is live (events committed after it are seen). */
  readonly ready: Promise<void>;

  constructor(opts: SocketOptions) {
    this.ready = openNfnetlinkSocket(opts, (err) => this.end(err)).then(async (h) => {
      if (this.ended) {
        h.engine.close();
        return;
      }
      this.handle = h;
      h.engine.onNotification = (buf, off, len, type) => {
        const ev = decodeNftEvent(buf, off, len, type, this.sets);
        if (ev) this.push(ev);
      };
      h.sock.addMembership(NFNLGRP.nftables);
      // The types of the sets that exist already, so their element events print as nft does.
      const w = nftMessage(NFT_MSG.GETSET, NLM_F_DUMP, 0, 32);
      const existing = await h.engine.request(w.finish(), { operation: 'nft.monitor', dump: true, decode: (b, o, l) => decodeSet(b, o, l) });
      for (const s of existing) {
        const k = `${s.info.family}\0${s.info.table}\0${s.info.name}`;
        if (!this.sets.has(k)) this.sets.set(k, s.info);
      }
    }).catch((err) => this.end(err));
  }

  private push(ev: NftEvent): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: ev, done: false });
    } else this.items.push(ev);
  }

  private end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    this.handle?.engine.close();
    if (this.waiter && !this.items.length) {
      const w = this.waiter;
      this.waiter = undefined;
      if (err) w.reject(err);
      else w.resolve({ value: undefined, done: true });
    }
  }

  async next(): Promise<IteratorResult<NftEvent>> {
    await this.ready;
    if (this.items.length) return { value: this.items.shift()!, done: false };
    if (this.ended) {
      if (this.error) {
        const e = this.error;
        this.error = undefined;
        throw e;
      }
      return { value: undefined, done: true };
    }
    this.handle?.sock.ref();
    return new Promise((resolve, reject) => {
      this.waiter = {
        resolve: (r) => {
          this.handle?.sock.unref();
          resolve(r);
        },
        reject: (e) => {
          this.handle?.sock.unref();
          reject(e);
        },
      };
    });
  }

  async return(): Promise<IteratorResult<NftEvent>> {
    this.end();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<NftEvent> {
    return this;
  }
}

/** Opens the nftables ruleset of this namespace or of `opts.netns`. Equivalent to: nft (in ip netns exec NS) */
export async function openNft(opts: NftOpenOptions = {}): Promise<Nft> {
  checkKeys(opts, SOCKET_OPTION_KEYS, 'options');
  const handle = await openNfnetlinkSocket(opts);
  return new Nft(handle, opts);
}

/** The nftables entry point: `nl.nft.open({ netns })`. */
export const nft = {
  /** Opens an nftables handle (here, or in `{ netns }` / `{ netnsPid }`). Equivalent to: nft … (any command) */
  open: openNft,
};
