/**
 * nfnetlink transactions: NFNL_MSG_BATCH_BEGIN … NFNL_MSG_BATCH_END around a subsystem's
 * messages, sent as ONE datagram, which the kernel applies all or nothing.
 *
 * The kernel's rules (net/netfilter/nfnetlink.c, nfnetlink_rcv_batch):
 * - the batch is the whole datagram: whatever follows BATCH_END in it is dropped, so the batch
 *   leaves in a sendmsg of its own (Engine.group);
 * - every message is processed even after one fails (so all errors are reported); errors are
 *   queued and delivered after the batch, each with the failing message's sequence number and
 *   extack; a message is acked on success only when it asks (NLM_F_ACK);
 * - if any message failed, the whole batch is aborted: nothing changes;
 * - a failed commit is reported against the BATCH_BEGIN message; so is a generation mismatch
 *   (NFNL_BATCH_GENID on BEGIN) as ERESTART, before anything is processed;
 * - echoes (NLM_F_ECHO) of committed objects arrive with their request's sequence number.
 * Success is known when the acked barrier that follows the batch (a second sendmsg) is
 * answered: the kernel has processed the batch synchronously by then.
 */
import { NetlinkError } from '../errors';
import type { Decoder, Engine } from '../core/engine';
import { MessageWriter, type BuiltMessage } from '../wire/message-writer';
import { NFNL_BATCH_GENID, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, writeNfgenmsg } from './nfnetlink';

/** One message of a transaction and the caller's command it belongs to. */
export interface TransactionMessage {
  msg: BuiltMessage;
  /** Index of the command in the caller's list (undefined for messages of no command). */
  command?: number;
  /** What the command does, for errors (`add rule`). */
  operation: string;
  /**
   * For messages built without attribute names (rules, by the ten thousand): the command's
   * path in the document (`nftables[3].add.rule`) and how to name, from the message's bytes,
   * the attribute an extack offset points into (`expr[2]`). Resolved only when the kernel
   * refuses the message, so a large transaction records nothing per attribute.
   */
  path?: string;
  attrPath?: AttrPathResolver;
}

/**
 * Names the attribute at or around byte `offset` of the message `bytes`, relative to the
 * command (`table`, `expr[2]`), or undefined.
 */
export type AttrPathResolver = (bytes: Buffer, offset: number) => string | undefined;

/** One failed message of a transaction. */
export interface TransactionFailure {
  /** Index of the command in the caller's list (0-based), undefined for the batch itself. */
  index?: number;
  /** The command's operation, e.g. 'add rule'. */
  operation: string;
  errno: number;
  code: string;
  extack?: string;
  attribute?: string;
}

/** A transaction the kernel refused: nothing was changed. Names the first failing command. */
export class TransactionError extends NetlinkError {
  /** Index (0-based) in the caller's command list of the first failing command. */
  readonly index?: number;
  /** Path of that command in the document (`nftables[49]`), when the caller gave one. */
  readonly path?: string;
  /** The failing command's operation (`add rule`). */
  readonly command: string;
  /** Every failure the kernel reported, in command order (later ones may follow from the first). */
  readonly failures: TransactionFailure[];

  constructor(operation: string, first: TransactionFailure, failures: TransactionFailure[], pathOf?: (index: number) => string) {
    super({
      errno: first.errno,
      operation,
      ...(first.extack !== undefined ? { extack: first.extack } : {}),
      ...(first.attribute !== undefined ? { attribute: first.attribute } : {}),
    });
    this.name = 'TransactionError';
    if (first.index !== undefined) {
      this.index = first.index;
      this.path = pathOf ? pathOf(first.index) : `[${first.index}]`;
    }
    this.command = first.operation;
    this.failures = failures;
    const where = first.index !== undefined ? `command ${first.index + 1} (${this.path}, ${first.operation})` : first.operation;
    this.message = `${operation}: ${where}: ${this.code}${first.extack ? `: ${first.extack}` : ''}${first.attribute ? ` (attribute ${first.attribute})` : ''}; nothing was changed`;
  }
}

/** The ruleset changed since the generation the transaction was tied to (ERESTART). */
export class GenerationChangedError extends NetlinkError {
  constructor(operation: string, readonly expected: number) {
    super({ errno: 85 /* ERESTART */, operation, extack: `the ruleset changed since generation ${expected}` });
    this.name = 'GenerationChangedError';
  }
}

/** Options of runTransaction. */
export interface TransactionOptions<T> {
  /** Subsystem whose batch this is (NFNL_SUBSYS_*), the res_id of BEGIN/END. */
  subsystem: number;
  /** Library operation for errors ('nft.apply'). */
  operation: string;
  /** Fail with GenerationChangedError unless the ruleset is still at this generation. */
  generation?: number;
  /** Decoder for echoed objects. */
  decode?: Decoder<T>;
  /** Document path of a command index, for error messages (`nftables[3]`). */
  pathOf?: (index: number) => string;
}

function delimiter(type: number, subsystem: number, generation?: number): BuiltMessage {
  const w = new MessageWriter(type, 0, 32);
  writeNfgenmsg(w, 0, subsystem);
  if (generation !== undefined) w.u32be(NFNL_BATCH_GENID, generation, 'generation');
  return w.finish();
}

/**
 * Runs `messages` as one atomic batch. Resolves with each message's echoed replies (in the
 * order given); rejects with TransactionError naming the first failing command (nothing
 * changed), GenerationChangedError, or the commit's own NetlinkError.
 */
export async function runTransaction<T>(engine: Engine, messages: readonly TransactionMessage[], opts: TransactionOptions<T>): Promise<T[][]> {
  const all = [delimiter(NFNL_MSG_BATCH_BEGIN, opts.subsystem, opts.generation), ...messages.map((m) => m.msg), delimiter(NFNL_MSG_BATCH_END, opts.subsystem)];
  const operations = ['batch begin', ...messages.map((m) => m.operation), 'batch end'];
  const replies = await engine.group(all, { operation: opts.operation, operations, ...(opts.decode ? { decode: opts.decode } : {}) });
  const begin = replies[0]!.error;
  if (begin) {
    if (begin instanceof NetlinkError && begin.code === 'ERESTART' && opts.generation !== undefined) {
      throw new GenerationChangedError(opts.operation, opts.generation);
    }
    if (begin instanceof NetlinkError) {
      throw new TransactionError(opts.operation, { operation: 'commit', errno: begin.errno, code: begin.code, ...(begin.extack ? { extack: begin.extack } : {}) }, []);
    }
    throw begin;
  }
  const failures: TransactionFailure[] = [];
  for (let i = 0; i < messages.length; i++) {
    const err = replies[i + 1]!.error;
    if (!err) continue;
    if (!(err instanceof NetlinkError)) throw err; // the socket failed: not a kernel verdict
    const m = messages[i]!;
    let attribute = err.attribute;
    if (m.attrPath && err.offset !== undefined) {
      const rel = m.attrPath(m.msg.bytes, err.offset);
      if (rel !== undefined) attribute = m.path !== undefined ? `${m.path}.${rel}` : rel;
    }
    failures.push({
      ...(m.command !== undefined ? { index: m.command } : {}),
      operation: m.operation,
      errno: err.errno,
      code: err.code,
      ...(err.extack !== undefined ? { extack: err.extack } : {}),
      ...(attribute !== undefined ? { attribute } : {}),
    });
  }
  const endErr = replies[replies.length - 1]!.error;
  if (endErr && !(endErr instanceof NetlinkError)) throw endErr;
  if (failures.length) throw new TransactionError(opts.operation, failures[0]!, failures, opts.pathOf);
  return replies.slice(1, -1).map((r) => r.items);
}
