/**
 * Opens a netlink socket of any protocol (NETLINK_ROUTE, NETLINK_NETFILTER, NETLINK_GENERIC …),
 * here or inside another namespace, sets the options every handle wants (extended acks, capped
 * acks, strict dump checking, big buffers), and wires it to a request Engine. Every family's
 * handle is built on this; nothing here knows what the messages mean.
 */
import { native } from '../native';
import { toNsTarget, type NetnsRef } from '../netns/netns-ref';
import { ValidationError, type SystemError } from '../errors';
import { netnsEntryError } from '../netns/netns-error';
import { Engine, MAX_IN_FLIGHT, type EngineOptions } from './engine';
import type { NativeNetlinkSocket } from './native-netlink';
import {
  NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK,
  SOL_NETLINK, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE, SO_SNDBUF, SO_SNDBUFFORCE,
} from '../wire/constants';

/** Where to open and how big the buffers are. */
export interface SocketOptions extends EngineOptions {
  /** Namespace to open the socket in (name under /run/netns, path, fd or handle). */
  netns?: NetnsRef;
  /** Open in the namespace of this process. */
  netnsPid?: number;
  /** Receive buffer in bytes (forced when privileged). Default 32 MiB. */
  receiveBufferSize?: number;
  /** Send buffer in bytes; bounds one batched sendmsg. Default 4 MiB. */
  sendBufferSize?: number;
  /** Enable strict checking of dump requests (kernel-side filtering). Default true. */
  strictCheck?: boolean;
}

/** The keys of SocketOptions (and EngineOptions), for checkKeys. */
export const SOCKET_OPTION_KEYS: readonly string[] = [
  'netns', 'netnsPid', 'receiveBufferSize', 'sendBufferSize', 'strictCheck', 'maxInFlight', 'maxBatchBytes', 'dumpRetries',
];

/** A configured socket and its engine. */
export interface NetlinkSocketHandle {
  sock: NativeNetlinkSocket;
  engine: Engine;
  portId: number;
}

function setBuffer(sock: NativeNetlinkSocket, force: number, plain: number, size: number): void {
  try {
    sock.setIntOption(SOL_SOCKET, force, size);
  } catch {
    // Without CAP_NET_ADMIN the forced variant fails; the plain one is capped by sysctl.
    sock.setIntOption(SOL_SOCKET, plain, size);
  }
}

/**
 * How many requests may be in flight with a receive buffer of `rcvbuf` bytes (as granted;
 * without CAP_NET_ADMIN it is capped by net.core.rmem_max). Every change may come back as an
 * error message of its own, each costing a few hundred bytes of buffer in the kernel's
 * accounting (about 400 measured): the bound keeps a burst of failures (EPERM, EEXIST …)
 * from overflowing the buffer, which would lose them to ENOBUFS. 1 KiB each leaves room for
 * extack texts; never more than MAX_IN_FLIGHT (what the engine pipelines best) nor fewer than 16.
 */
export function inFlightFor(rcvbuf: number): number {
  return Math.max(16, Math.min(MAX_IN_FLIGHT, Math.floor(rcvbuf / 1024)));
}

/**
 * Opens, configures and binds a netlink socket of `protocol`. Socket errors (e.g. ENOBUFS from
 * recvmsg) fail every pending request unless `onError` takes them (a monitor turns ENOBUFS
 * into a 'resync' event instead). Options are not key-checked here: each public entry point
 * checks its own options object (it knows which keys it adds).
 */
export async function openNetlinkSocket(protocol: number, opts: SocketOptions = {}, onError?: (err: SystemError) => void): Promise<NetlinkSocketHandle> {
  if (opts.netns !== undefined && opts.netnsPid !== undefined) {
    throw new ValidationError('netnsPid', 'give either netns or netnsPid, not both');
  }
  const target = opts.netns !== undefined ? toNsTarget(opts.netns) : opts.netnsPid !== undefined ? toNsTarget({ pid: opts.netnsPid }, 'netnsPid') : undefined;
  const n = native();
  let fd: number;
  try {
    fd = target ? (await n.openNetlink(protocol, target)).fd : n.openNetlinkSync(protocol);
  } catch (err) {
    // 'open ENOENT' alone doesn't say which namespace was missing.
    throw target ? netnsEntryError(err, 'open', target) : err;
  }
  let engine!: Engine;
  let sock: NativeNetlinkSocket;
  try {
    sock = new n.NetlinkSocket(
      fd,
      (buf, ends, nsids) => engine.receive(buf, ends, nsids),
      (err) => (onError ? onError(err) : engine.failAll(err)),
    );
  } catch (err) {
    n.closeFd(fd);
    throw err;
  }
  try {
    sock.setIntOption(SOL_NETLINK, NETLINK_EXT_ACK, 1);
    sock.setIntOption(SOL_NETLINK, NETLINK_CAP_ACK, 1);
    if (opts.strictCheck !== false) sock.setIntOption(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
    setBuffer(sock, SO_RCVBUFFORCE, SO_RCVBUF, opts.receiveBufferSize ?? 32 << 20);
    setBuffer(sock, SO_SNDBUFFORCE, SO_SNDBUF, opts.sendBufferSize ?? 4 << 20);
    const portId = sock.bind(0);
    engine = new Engine(sock, { ...opts, maxInFlight: opts.maxInFlight ?? inFlightFor(sock.getIntOption(SOL_SOCKET, SO_RCVBUF)) });
    return { sock, engine, portId };
  } catch (err) {
    sock.close();
    throw err;
  }
}
