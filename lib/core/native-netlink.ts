/** The typed interface of native/netlink-socket.cc. */
import type { NativeNsTarget } from '../netns/netns-ref';

/** A non-blocking AF_NETLINK socket on uv_poll; owns its fd. */
export interface NativeNetlinkSocket {
  readonly fd: number;
  /** bind() with the legacy group mask; returns the port id the kernel assigned. */
  bind(groups?: number): number;
  setIntOption(level: number, name: number, value: number): void;
  getIntOption(level: number, name: number): number;
  addMembership(group: number): void;
  dropMembership(group: number): void;
  /** One sendmsg of a buffer holding one or many messages; returns bytes sent. */
  send(buf: Uint8Array): number;
  ref(): void;
  unref(): void;
  pause(): void;
  resume(): void;
  close(): void;
}

/** Exports of netlink-socket.cc. */
export interface NetlinkNative {
  NetlinkSocket: new (
    fd: number,
    onData: (buf: Buffer, ends: Int32Array, nsids?: Int32Array) => void,
    onError: (err: Error & { errno: number; code: string; syscall: string }) => void,
  ) => NativeNetlinkSocket;
  /** Opens a netlink socket; inside another namespace on a short-lived thread. */
  openNetlink(protocol: number, netns?: NativeNsTarget): Promise<{ fd: number }>;
  openNetlinkSync(protocol: number): number;
  closeFd(fd: number): void;
}
