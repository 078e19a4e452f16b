/** struct tcmsg, the fixed header of every qdisc, class, filter and chain message. */
import { ParseError } from '../../errors';

/** The fields of a tcmsg. */
export interface TcMsg {
  family: number;
  /** Device index (TCM_IFINDEX_MAGIC_BLOCK for shared blocks). */
  index: number;
  handle: number;
  parent: number;
  /** Filters: priority << 16 | protocol (network order); qdiscs: refcount in dumps. */
  info: number;
}

/** sizeof(struct tcmsg). */
export const TCMSG_SIZE = 20;

/** Writes a tcmsg at `at` (the memory is zeroed by MessageWriter.struct). */
export function writeTcMsg(b: Buffer, at: number, m: Partial<TcMsg>): void {
  b[at] = m.family ?? 0;
  b.writeInt32LE(m.index ?? 0, at + 4);
  b.writeUInt32LE((m.handle ?? 0) >>> 0, at + 8);
  b.writeUInt32LE((m.parent ?? 0) >>> 0, at + 12);
  b.writeUInt32LE((m.info ?? 0) >>> 0, at + 16);
}

/** Reads a tcmsg; ParseError when it is truncated. */
export function readTcMsg(b: Buffer, at: number, len: number): TcMsg {
  if (len < TCMSG_SIZE) throw new ParseError(`tcmsg: ${len} bytes, need at least ${TCMSG_SIZE}`);
  return { family: b[at]!, index: b.readInt32LE(at + 4), handle: b.readUInt32LE(at + 8), parent: b.readUInt32LE(at + 12), info: b.readUInt32LE(at + 16) };
}
