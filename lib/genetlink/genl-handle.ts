/**
 * What every generic netlink handle (Genl, Devlink, Ethtool) does with the socket it owns:
 * report whether it is closed, close it, and close it at the end of a `using` scope.
 */
import type { GenlSocket } from './genl-socket';

/** A handle owning one generic netlink socket. */
export abstract class GenlHandle {
  /** @internal */
  protected constructor(protected readonly socket: GenlSocket) {}

  /** True once close() was called (or the socket failed). */
  get isClosed(): boolean {
    return this.socket.isClosed;
  }

  /** Closes the socket; outstanding requests reject. */
  close(): void {
    this.socket.close();
  }

  /** `await using x = await …open()` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** `using x = …` (synchronous disposal) closes it too. */
  [Symbol.dispose](): void {
    this.close();
  }
}
