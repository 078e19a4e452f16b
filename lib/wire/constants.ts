/**
 * Netlink and rtnetlink numbers shared by every layer (linux/netlink.h, linux/rtnetlink.h).
 * Attribute numbers for one object family live in that family's schema file.
 */

/** Netlink protocols (socket(AF_NETLINK, …, protocol)). */
export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;
export const NETLINK_GENERIC = 16;

/** Control message types (nlmsghdr.nlmsg_type < 16). */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
/** The first type that is not a control message (a family's own message types start here). */
export const NLMSG_MIN_TYPE = 16;

/** nlmsghdr.nlmsg_flags. */
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
// GET requests
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// NEW requests
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
// ACK messages
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** struct nlmsgerr extended-ack attributes. */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLMSGERR_ATTR_COOKIE = 3;
export const NLMSGERR_ATTR_POLICY = 4;
export const NLMSGERR_ATTR_MISS_TYPE = 5;
export const NLMSGERR_ATTR_MISS_NEST = 6;

/** Socket option levels and names (linux/netlink.h, asm/socket.h). */
export const SOL_SOCKET = 1;
export const SOL_NETLINK = 270;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;
export const NETLINK_NO_ENOBUFS = 5;
export const NETLINK_LISTEN_ALL_NSID = 8;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const NETLINK_GET_STRICT_CHK = 12;

/** Address families. */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const AF_MPLS = 28;

/** EtherTypes (linux/if_ether.h ETH_P_*), as on the wire: big-endian in frames and tun_pi. */
export const ETH_P_IP = 0x0800;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021AD = 0x88a8;


/** Size of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;
/** Size of struct nlattr header. */
export const NLA_HDRLEN = 4;
/** Bit set in nla_type for nested attributes, and the byte-order bit. */
export const NLA_F_NESTED = 1 << 15;
export const NLA_F_NET_BYTEORDER = 1 << 14;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Rounds up to netlink's 4-byte alignment. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}
