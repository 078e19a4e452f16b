/**
 * One generic netlink socket and its engine, with the families it has resolved cached: every
 * typed family (devlink, ethtool) and the raw layer sit on this.
 */
import { NetlinkError, ValidationError, type SystemError } from '../errors';
import type { Engine, RequestOptions } from '../core/engine';
import type { NativeNetlinkSocket } from '../core/native-netlink';
import { openNetlinkSocket, type SocketOptions } from '../core/socket';
import type { MessageWriter } from '../wire/message-writer';
import { CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, GENL_ID_CTRL, NETLINK_GENERIC } from './constants';
import { decodeFamily, type GenlFamily } from './ctrl';
import { genlWriter } from './genl-message';

/** Options of one request on a GenlSocket. */
export interface GenlRequest<T> {
  /** Library operation name for errors ('devlink.port.get'). */
  operation: string;
  dump?: boolean;
  /** Decodes one reply (called only for messages of the family); undefined skips it. */
  decode?: (buf: Buffer, off: number, len: number, cmd: number) => T | undefined;
  /** nlmsg_flags beyond NLM_F_REQUEST (NLM_F_DUMP is added for dumps). */
  flags?: number;
  /** genlmsghdr.version; the family's own version when omitted. */
  version?: number;
  /** The family's fixed header (only for families with hdrsize > 0). */
  header?: Uint8Array;
  signal?: AbortSignal;
}

const NLM_F_DUMP = 0x300;

/** A generic netlink socket: family resolution, requests, multicast membership. */
export class GenlSocket {
  private readonly families = new Map<string, Promise<GenlFamily>>();

  constructor(
    readonly sock: NativeNetlinkSocket,
    readonly engine: Engine,
    readonly portId: number,
  ) {}

  /**
   * Resolves a family by name (CTRL_CMD_GETFAMILY), once per socket. A name the kernel does
   * not know rejects with NetlinkError ENOENT naming it.
   * Equivalent to: genl ctrl get name NAME
   */
  family(name: string, signal?: AbortSignal): Promise<GenlFamily> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 15) {
      return Promise.reject(new ValidationError('family', 'expected a family name of 1 to 15 characters'));
    }
    let p = this.families.get(name);
    if (!p) {
      p = this.resolve(name, signal);
      this.families.set(name, p);
      // A failure is not cached: the module may be loaded later.
      p.catch(() => this.families.delete(name));
    }
    return p;
  }

  private async resolve(name: string, signal?: AbortSignal): Promise<GenlFamily> {
    const w = genlWriter(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
    w.string(CTRL_ATTR_FAMILY_NAME, name, 'family');
    try {
      const [fam] = await this.engine.request(w.finish(), {
        operation: 'genl.family',
        decode: (buf, off, len, type) => (type === GENL_ID_CTRL ? decodeFamily(buf, off, len) : undefined),
        ...(signal ? { signal } : {}),
      });
      if (!fam) throw new NetlinkError({ errno: 2, operation: 'genl.family', extack: `no reply resolving generic netlink family "${name}"` });
      return fam;
    } catch (err) {
      if (err instanceof NetlinkError && err.code === 'ENOENT') {
        const why = `no generic netlink family "${name}"${err.extack ? ` (${err.extack})` : ''}`;
        throw new NetlinkError({ errno: err.errno, operation: 'genl.family', extack: why });
      }
      throw err;
    }
  }

  /** Every family the kernel has registered (a CTRL_CMD_GETFAMILY dump). Equivalent to: genl ctrl list */
  async listFamilies(signal?: AbortSignal): Promise<GenlFamily[]> {
    const w = genlWriter(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_DUMP);
    return this.engine.request(w.finish(), {
      operation: 'genl.families',
      dump: true,
      decode: (buf, off, len, type) => (type === GENL_ID_CTRL ? decodeFamily(buf, off, len) : undefined),
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Builds and sends one request of `family`: `build` adds the attributes. Resolves with every
   * decoded reply (dump parts, the do reply) once the ack or NLMSG_DONE arrives.
   */
  request<T>(family: GenlFamily, cmd: number, build: ((w: MessageWriter) => void) | undefined, req: GenlRequest<T>): Promise<T[]> {
    const flags = (req.flags ?? 0) | (req.dump ? NLM_F_DUMP : 0);
    const w = genlWriter(family.id, cmd, req.version ?? family.version, flags, req.header);
    build?.(w);
    const decode = req.decode;
    const opts: RequestOptions<T> = {
      operation: req.operation,
      ...(req.dump ? { dump: true } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      // Every request gets a decoder so it is acked (not completed by a barrier): generic
      // netlink do-handlers may answer with a message, and the ack orders it before completion.
      decode: (buf, off, len, type) => (type === family.id && decode ? decode(buf, off, len, buf[off + 16]!) : undefined),
    };
    return this.engine.request(w.finish(), opts);
  }

  /** Joins a multicast group of `family` by name; ValidationError naming `field` if it has none such. */
  join(family: GenlFamily, group: string, field = 'group'): number {
    const g = family.groups.find((x) => x.name === group);
    if (!g) {
      const known = family.groups.map((x) => `"${x.name}"`).join(', ') || 'none';
      throw new ValidationError(field, `family "${family.name}" has no multicast group "${group}" (it has: ${known})`);
    }
    this.sock.addMembership(g.id);
    return g.id;
  }

  get isClosed(): boolean {
    return this.engine.isClosed;
  }

  close(): void {
    this.engine.close();
  }
}

/** Opens a NETLINK_GENERIC socket (here or in another namespace) with its engine. */
export async function openGenlSocket(opts: SocketOptions = {}, onError?: (err: SystemError) => void): Promise<GenlSocket> {
  const { sock, engine, portId } = await openNetlinkSocket(NETLINK_GENERIC, opts, onError);
  return new GenlSocket(sock, engine, portId);
}
