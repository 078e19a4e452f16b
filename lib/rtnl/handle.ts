/**
 * An rtnetlink handle: one socket, one engine, and the object APIs on top.
 * `const rt = await nl.open()`; `rt.close()` (or `await using rt = await nl.open()`).
 */
import type { NativeNetlinkSocket } from './native-netlink';
import type { Engine } from './engine';
import { openRtnlSocket, type SocketOptions } from './socket';
import { LinkApi } from './link';
import { AddressApi } from './address';
import { RouteApi } from './route';
import { NetnsIdApi } from './netns-id';

/** Options of `nl.open()`. */
export interface OpenOptions extends SocketOptions {}

/** A handle on rtnetlink in one network namespace. */
export class Rtnl {
  /** Links: list, get (and more as the link API grows). */
  readonly link: LinkApi;
  /** Interface addresses. */
  readonly address: AddressApi;
  /** Routes. */
  readonly route: RouteApi;
  /** Namespace ids (nsids) as seen from this handle's namespace. */
  readonly netns: NetnsIdApi;
  /** The netlink port id the kernel assigned to this handle's socket. */
  readonly portId: number;
  private closed = false;

  /** @internal use `nl.open()` */
  constructor(readonly engine: Engine, private readonly sock: NativeNetlinkSocket, portId: number) {
    this.portId = portId;
    this.link = new LinkApi(engine);
    this.address = new AddressApi(engine, this.link.resolver);
    this.route = new RouteApi(engine, this.link);
    this.netns = new NetnsIdApi(engine);
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the socket; outstanding requests reject. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.engine.close();
  }

  /** `await using rt = await nl.open()` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** `using rt = …` (synchronous disposal) closes it too. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens an rtnetlink handle in the current namespace, or in another one with
 * `{ netns: 'name' | '/path' | fd | handle }` or `{ netnsPid }`. The socket is opened on a
 * short-lived thread that joined that namespace; Node's own threads never move.
 */
export async function open(opts: OpenOptions = {}): Promise<Rtnl> {
  const { sock, engine, portId } = await openRtnlSocket(opts);
  return new Rtnl(engine, sock, portId);
}
