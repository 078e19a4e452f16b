/** rtnetlink message types, multicast groups and dump filter bits (linux/rtnetlink.h). */

/** rtnetlink message types. */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;
export const RTM_NEWNSID = 88;
export const RTM_DELNSID = 89;
export const RTM_GETNSID = 90;
export const RTM_NEWVLAN = 112;
export const RTM_DELVLAN = 113;
export const RTM_GETVLAN = 114;

/** rtnetlink multicast groups (enum rtnetlink_groups), for NETLINK_ADD_MEMBERSHIP. */
export const RTNLGRP = {
  link: 1,
  notify: 2,
  neigh: 3,
  tc: 4,
  ipv4Ifaddr: 5,
  ipv4Mroute: 6,
  ipv4Route: 7,
  ipv4Rule: 8,
  ipv6Ifaddr: 9,
  ipv6Mroute: 10,
  ipv6Route: 11,
  ipv6Ifinfo: 12,
  ipv6Prefix: 18,
  ipv6Rule: 19,
  ndUseropt: 20,
  nsid: 28,
  mdb: 26,
  ipv4Netconf: 24,
  ipv6Netconf: 25,
  brvlan: 33,
} as const;

/** IFLA_EXT_MASK filter bits (RTEXT_FILTER_*). */
export const RTEXT_FILTER_VF = 1 << 0;
export const RTEXT_FILTER_BRVLAN = 1 << 1;
export const RTEXT_FILTER_BRVLAN_COMPRESSED = 1 << 2;
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;


/** Nexthop objects (`ip nexthop`), linux/rtnetlink.h. */
export const RTM_NEWNEXTHOP = 104;
export const RTM_DELNEXTHOP = 105;
export const RTM_GETNEXTHOP = 106;
/** Bridge multicast database (`bridge mdb`). */
export const RTM_NEWMDB = 84;
export const RTM_DELMDB = 85;
export const RTM_GETMDB = 86;
/** Link statistics (`ip stats`). */
export const RTM_NEWSTATS = 92;
export const RTM_GETSTATS = 94;
export const RTM_SETSTATS = 95;
/** Link properties (`ip link property`: alternative names). */
export const RTM_NEWLINKPROP = 108;
export const RTM_DELLINKPROP = 109;
/** VXLAN VNI filter entries (`bridge vni`), kernel 6.0+. */
export const RTM_NEWTUNNEL = 120;
export const RTM_DELTUNNEL = 121;
export const RTM_GETTUNNEL = 122;
/** Multicast groups of the objects above (enum rtnetlink_groups). */
export const RTNLGRP_NEXTHOP = 32;
export const RTNLGRP_MDB = 26;
export const RTNLGRP_TUNNEL = 35;
export const RTNLGRP_STATS = 36;
