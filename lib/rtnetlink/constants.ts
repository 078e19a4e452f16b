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

