/**
 * The nfnetlink transport shared by nftables and conntrack: the NETLINK_NETFILTER socket (here
 * or in another namespace, on the shared core), the nfgenmsg header every message starts with,
 * subsystem ids and message types, and the multicast groups.
 *
 * nfnetlink message types are `(subsystem << 8) | message`; the 4-byte nfgenmsg that follows
 * the nlmsghdr carries the address family and a big-endian resource id (the subsystem of a
 * batch, or a conntrack zone/cpu for dumps).
 */
import { openNetlinkSocket, type NetlinkSocketHandle, type SocketOptions } from '../core/socket';
import type { SystemError } from '../errors';
import type { MessageWriter } from '../wire/message-writer';

/** socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER). */
export const NETLINK_NETFILTER = 12;

/** nfnetlink subsystem ids (linux/netfilter/nfnetlink.h NFNL_SUBSYS_*). */
export const NFNL_SUBSYS = {
  none: 0,
  ctnetlink: 1,
  ctnetlinkExp: 2,
  queue: 3,
  ulog: 4,
  osf: 5,
  ipset: 6,
  acct: 7,
  ctnetlinkTimeout: 8,
  cthelper: 9,
  nftables: 10,
  nftCompat: 11,
  hook: 12,
} as const;

/** Batch delimiters (NLMSG_MIN_TYPE and the one after it; no subsystem bits). */
export const NFNL_MSG_BATCH_BEGIN = 16;
export const NFNL_MSG_BATCH_END = 17;
/** BATCH_BEGIN attribute: the generation id the batch expects (u32, big-endian). */
export const NFNL_BATCH_GENID = 1;

/** nfgenmsg.version. */
export const NFNETLINK_V0 = 0;
/** Size of struct nfgenmsg. */
export const NFGENMSG_LEN = 4;

/** nfnetlink multicast groups (enum nfnetlink_groups), for NETLINK_ADD_MEMBERSHIP. */
export const NFNLGRP = {
  conntrackNew: 1,
  conntrackUpdate: 2,
  conntrackDestroy: 3,
  conntrackExpNew: 4,
  conntrackExpUpdate: 5,
  conntrackExpDestroy: 6,
  nftables: 7,
  acctQuota: 8,
  nftrace: 9,
} as const;

/** Netfilter protocol families (NFPROTO_*), the nfgen_family of nftables messages. */
export const NFPROTO = {
  unspec: 0,
  inet: 1,
  ipv4: 2,
  arp: 3,
  netdev: 5,
  bridge: 7,
  ipv6: 10,
} as const;

/** The message type of `msg` in `subsys`. */
export function nfnlType(subsys: number, msg: number): number {
  return (subsys << 8) | msg;
}

/** Subsystem of a message type. */
export function nfnlSubsys(type: number): number {
  return (type >> 8) & 0xff;
}

/** Message of a message type (without the subsystem). */
export function nfnlMsg(type: number): number {
  return type & 0xff;
}

/** Writes struct nfgenmsg { u8 family; u8 version; be16 res_id }. */
export function writeNfgenmsg(w: MessageWriter, family: number, resId = 0): void {
  w.struct(NFGENMSG_LEN, (b, at) => {
    b[at] = family;
    b[at + 1] = NFNETLINK_V0;
    b.writeUInt16BE(resId, at + 2);
  });
}

/** The nfgenmsg of a received message whose nlmsghdr starts at `off`. */
export function readNfgenmsg(buf: Buffer, off: number): { family: number; version: number; resId: number } {
  return { family: buf[off + 16]!, version: buf[off + 17]!, resId: buf.readUInt16BE(off + 18) };
}

/** Options of a NETLINK_NETFILTER socket: the shared socket options (netns, buffers …). */
export type NfnetlinkSocketOptions = SocketOptions;

/**
 * Opens a NETLINK_NETFILTER socket on the shared engine, in this namespace or the one named
 * by `netns` / `netnsPid`. Callers check their own option keys first.
 */
export function openNfnetlinkSocket(opts: NfnetlinkSocketOptions = {}, onError?: (err: SystemError) => void): Promise<NetlinkSocketHandle> {
  return openNetlinkSocket(NETLINK_NETFILTER, opts, onError);
}
