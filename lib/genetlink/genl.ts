/**
 * `nl.genl.open()`: the raw generic netlink layer, for families netlinkjs does not type
 * (wireguard, team, nl80211 …). Families are resolved by name; attributes are encoded and
 * decoded by a schema the caller passes (a `defineSchema` Schema or a plain table), and
 * anything the schema does not name comes back raw in `attrs.unknown`.
 *
 *   const g = await nl.genl.open();
 *   const fam = await g.family('wireguard');           // { id, version, ops, groups }
 *   const [dev] = await g.request('wireguard', 0, { dump: true, attrs: { ifname: 'wg0' }, schema: WG });
 *
 * @module
 */
import { ValidationError } from '../errors';
import { checkKeys } from '../core/options';
import { SOCKET_OPTION_KEYS, type SocketOptions } from '../core/socket';
import { decodeAttrs, defineSchema, encodeAttrs, type RawAttribute, type Schema } from '../wire/attributes';
import type { MessageWriter } from '../wire/message-writer';
import { NLMSG_HDRLEN } from '../wire/constants';
import { toSchema, type SchemaTable } from './attrs';
import { GENL_HDRLEN } from './constants';
import type { GenlFamily } from './ctrl';
import { openEventStream, type EventStreamOptions, type GenlEventStream } from './event-stream';
import { genlHeader } from './genl-message';
import { openGenlSocket, type GenlSocket } from './genl-socket';
import { GenlHandle } from './genl-handle';

/** Options of `nl.genl.open()`. */
export interface GenlOpenOptions extends SocketOptions {}

/** A message of a family, decoded by the caller's schema. */
export interface GenlMessage<A = Record<string, any>> {
  /** The family's name. */
  family: string;
  cmd: number;
  version: number;
  /** The family's fixed header, when it has one (hdrsize > 0). */
  header?: Buffer;
  /** Attributes per the schema; the ones it does not name are in `attrs.unknown` as { type, data }. */
  attrs: A & { unknown?: RawAttribute[] };
}

/** Options of `g.request()`. */
export interface GenlRequestOptions {
  /** Attributes to send, by the schema's names. */
  attrs?: Record<string, unknown>;
  /** Attributes to send as they are (after `attrs`). */
  rawAttrs?: readonly RawAttribute[];
  /** Encodes `attrs` and decodes replies. */
  schema?: Schema | SchemaTable;
  /** Decodes replies when they differ from the request's attributes. Default `schema`. */
  replySchema?: Schema | SchemaTable;
  /** NLM_F_DUMP: every object the command lists. */
  dump?: boolean;
  /** genlmsghdr.version; the family's version by default. */
  version?: number;
  /** The family's fixed header (families with hdrsize > 0). */
  header?: Uint8Array;
  /** More nlmsg_flags (NLM_F_CREATE, NLM_F_EXCL …). */
  flags?: number;
  signal?: AbortSignal;
}

/** Options of `g.events()`. */
export interface GenlEventsOptions extends EventStreamOptions {
  /** Decodes each notification's attributes. */
  schema?: Schema | SchemaTable;
}

const REQUEST_KEYS = ['attrs', 'rawAttrs', 'schema', 'replySchema', 'dump', 'version', 'header', 'flags', 'signal'];
const EVENT_KEYS = ['schema', 'highWaterMark', 'signal'];
const EMPTY = defineSchema('attrs', {});

function decoderFor(family: GenlFamily, schema: Schema) {
  const at = NLMSG_HDRLEN + GENL_HDRLEN;
  return (buf: Buffer, off: number, len: number): GenlMessage => {
    const { cmd, version } = genlHeader(buf, off, len);
    const start = at + family.hdrsize;
    const msg: GenlMessage = { family: family.name, cmd, version, attrs: decodeAttrs(schema, buf, off + start, off + len) };
    if (family.hdrsize > 0) msg.header = Buffer.from(buf.subarray(off + at, off + Math.min(len, start)));
    return msg;
  };
}

function checkU8(v: unknown, field: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 255) throw new ValidationError(field, 'expected an integer from 0 to 255');
  return v as number;
}

/** The raw generic netlink layer over one socket. */
export class Genl extends GenlHandle {
  /** @internal use `nl.genl.open()` */
  constructor(
    socket: GenlSocket,
    private readonly opts: GenlOpenOptions,
  ) {
    super(socket);
  }

  /**
   * A family's id, version, header size, operations and multicast groups (cached per handle).
   * Rejects with NetlinkError ENOENT naming the family when the kernel has none by that name.
   * Equivalent to: genl ctrl get name NAME
   */
  async family(name: string, opts: { signal?: AbortSignal } = {}): Promise<GenlFamily> {
    checkKeys(opts, ['signal']);
    return this.socket.family(name, opts.signal);
  }

  /** Every registered family. Equivalent to: genl ctrl list */
  async families(opts: { signal?: AbortSignal } = {}): Promise<GenlFamily[]> {
    checkKeys(opts, ['signal']);
    return this.socket.listFamilies(opts.signal);
  }

  /**
   * Sends command `cmd` of `family` and resolves with the replies (a dump's parts, a do's
   * answer; empty for a command that only acks). Kernel refusals reject with NetlinkError
   * carrying the extack text.
   */
  async request(family: string, cmd: number, opts: GenlRequestOptions = {}): Promise<GenlMessage[]> {
    checkKeys(opts, REQUEST_KEYS);
    checkU8(cmd, 'cmd');
    if (opts.version !== undefined) checkU8(opts.version, 'version');
    const schema = opts.schema !== undefined ? toSchema(opts.schema, 'schema') : undefined;
    const replySchema = opts.replySchema !== undefined ? toSchema(opts.replySchema, 'replySchema') : schema ?? EMPTY;
    if (opts.attrs !== undefined) {
      if (!schema) throw new ValidationError('attrs', 'attributes by name need a schema (or give rawAttrs)');
      checkKeys(opts.attrs, [...schema.byName.keys()], 'attrs');
    }
    for (const [i, a] of (opts.rawAttrs ?? []).entries()) {
      if (!Number.isInteger(a?.type) || a.type < 1 || a.type > 0xffff) throw new ValidationError(`rawAttrs[${i}].type`, 'expected an attribute type from 1 to 65535');
      if (!(a.data instanceof Uint8Array)) throw new ValidationError(`rawAttrs[${i}].data`, 'expected a Buffer');
    }
    if (opts.flags !== undefined && (!Number.isInteger(opts.flags) || opts.flags < 0 || opts.flags > 0xffff)) {
      throw new ValidationError('flags', 'expected nlmsg flags from 0 to 65535');
    }
    const fam = await this.socket.family(family, opts.signal);
    if (opts.header !== undefined && opts.header.length !== fam.hdrsize) {
      throw new ValidationError('header', `family "${fam.name}" has a ${fam.hdrsize}-byte header, got ${opts.header.length} bytes`);
    }
    const header = opts.header ?? (fam.hdrsize > 0 ? new Uint8Array(fam.hdrsize) : undefined);
    const build = (w: MessageWriter) => {
      if (opts.attrs && schema) encodeAttrs(w, schema, opts.attrs, 'attrs');
      for (const [i, a] of (opts.rawAttrs ?? []).entries()) w.bytes(a.type, a.data, `rawAttrs[${i}]`);
    };
    const decode = decoderFor(fam, replySchema);
    return this.socket.request(fam, cmd, build, {
      operation: `genl.${fam.name}.${cmd}`,
      decode: (buf, off, len) => decode(buf, off, len),
      ...(opts.dump ? { dump: true } : {}),
      ...(opts.version !== undefined ? { version: opts.version } : {}),
      ...(header ? { header } : {}),
      ...(opts.flags !== undefined ? { flags: opts.flags } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /**
   * Notifications of `family` on the multicast `groups` (by name), as an async iterable on a
   * socket of its own; leaving the loop (or `close()`) stops listening.
   * Equivalent to: genl monitor (for one family's groups)
   */
  async events(family: string, groups: string | readonly string[], opts: GenlEventsOptions = {}): Promise<GenlEventStream<GenlMessage>> {
    checkKeys(opts, EVENT_KEYS);
    const list = typeof groups === 'string' ? [groups] : groups;
    if (!Array.isArray(list) || list.length === 0 || list.some((g) => typeof g !== 'string')) {
      throw new ValidationError('groups', 'expected a group name or a non-empty list of them');
    }
    const schema = opts.schema !== undefined ? toSchema(opts.schema, 'schema') : EMPTY;
    const fam = await this.socket.family(family, opts.signal);
    const decode = decoderFor(fam, schema);
    const { schema: _s, ...streamOpts } = opts;
    return openEventStream(fam.name, list, (buf, off, len) => decode(buf, off, len), this.opts, streamOpts);
  }
}

/**
 * Opens the raw generic netlink layer in the current namespace or `{ netns }` / `{ netnsPid }`.
 */
export async function open(opts: GenlOpenOptions = {}): Promise<Genl> {
  checkKeys(opts, SOCKET_OPTION_KEYS);
  const socket = await openGenlSocket(opts);
  return new Genl(socket, opts);
}
