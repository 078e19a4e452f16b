/**
 * ctnetlink numbers (linux/netfilter/nfnetlink.h, nfnetlink_conntrack.h, nf_conntrack_common.h,
 * nf_conntrack_tcp.h) and the names `conntrack -L` prints for them. Attribute numbers live in
 * conntrack-schema.ts beside their value types; the nfnetlink numbers shared with nftables
 * (subsystems, groups, nfgenmsg) in ../nfnetlink.ts.
 */

import { NFNL_SUBSYS, nfnlType } from '../nfnetlink';

/** Message types of the ctnetlink subsystem (low byte of nlmsg_type; enum cntl_msg_types). */
export const IPCTNL_MSG_CT_NEW = 0;
export const IPCTNL_MSG_CT_GET = 1;
export const IPCTNL_MSG_CT_DELETE = 2;

/** nlmsg_type of a ctnetlink message. */
export function ctMsgType(msg: number): number {
  return nfnlType(NFNL_SUBSYS.ctnetlink, msg);
}

/**
 * nfgenmsg.version 1: a flush (IPCTNL_MSG_CT_DELETE without a tuple) honours nfgen_family only
 * with it (ctnetlink_del_conntrack); with version 0 it flushes every family.
 */
export const NFNETLINK_V1 = 1;

/** Address families as conntrack names them. */
export const NFPROTO_IPV4 = 2;
export const NFPROTO_IPV6 = 10;

/** IP protocol numbers ⇄ the names conntrack prints. */
export const PROTOCOLS: Readonly<Record<number, string>> = {
  1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre', 58: 'icmpv6', 132: 'sctp', 136: 'udplite',
};
export const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map(
  Object.entries(PROTOCOLS).map(([n, name]) => [name, Number(n)]),
);
/** Protocols whose tuples carry ports. */
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 33, 132, 136]);
export const IPPROTO_ICMP = 1;
export const IPPROTO_ICMPV6 = 58;

/**
 * enum ip_conntrack_status bits, by the names the kernel gives them (IPS_<name>). `conntrack -L`
 * prints ASSURED, UNREPLIED (SEEN_REPLY unset) and the like from these.
 */
export const STATUS_BITS: readonly string[] = [
  'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED', 'SRC_NAT', 'DST_NAT', 'SEQ_ADJUST', 'SRC_NAT_DONE',
  'DST_NAT_DONE', 'DYING', 'FIXED_TIMEOUT', 'TEMPLATE', 'UNTRACKED', 'HELPER', 'OFFLOAD', 'HW_OFFLOAD',
];

/** enum tcp_conntrack, as conntrack prints the state. */
export const TCP_STATES: readonly string[] = [
  'NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2',
];

/** enum sctp_conntrack. */
export const SCTP_STATES: readonly string[] = [
  'NONE', 'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT', 'HEARTBEAT_SENT', 'HEARTBEAT_ACKED',
];

/** enum ct_dccp_states. */
export const DCCP_STATES: readonly string[] = [
  'NONE', 'REQUEST', 'RESPOND', 'PARTOPEN', 'OPEN', 'CLOSEREQ', 'CLOSING', 'TIMEWAIT', 'IGNORE', 'INVALID',
];

/**
 * CTA_FILTER_ORIG_FLAGS / REPLY_FLAGS bits (net/netfilter/nf_conntrack_netlink.c,
 * CTA_FILTER_F_*): which fields of the tuple sent with a dump request the kernel compares.
 */
export const CTA_FILTER_F = {
  ipSrc: 1 << 0,
  ipDst: 1 << 1,
  tupleZone: 1 << 2,
  protoNum: 1 << 3,
  srcPort: 1 << 4,
  dstPort: 1 << 5,
  icmpType: 1 << 6,
  icmpCode: 1 << 7,
  icmpId: 1 << 8,
  icmpv6Type: 1 << 9,
  icmpv6Code: 1 << 10,
  icmpv6Id: 1 << 11,
} as const;
