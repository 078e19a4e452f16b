/**
 * Numbers of the traffic-control part of rtnetlink (linux/rtnetlink.h, pkt_sched.h, pkt_cls.h):
 * message types, the top-level TCA_* attributes every qdisc, class, filter and chain message
 * carries, and the special handles.
 */

/** Message types of qdiscs, classes, filters, actions and chains. */
export const RTM_NEWQDISC = 36;
export const RTM_DELQDISC = 37;
export const RTM_GETQDISC = 38;
export const RTM_NEWTCLASS = 40;
export const RTM_DELTCLASS = 41;
export const RTM_GETTCLASS = 42;
export const RTM_NEWTFILTER = 44;
export const RTM_DELTFILTER = 45;
export const RTM_GETTFILTER = 46;
export const RTM_NEWACTION = 48;
export const RTM_DELACTION = 49;
export const RTM_GETACTION = 50;
export const RTM_NEWCHAIN = 100;
export const RTM_DELCHAIN = 101;
export const RTM_GETCHAIN = 102;

/** Top-level attributes of a tcmsg (enum TCA_*). */
export const TCA = {
  KIND: 1,
  OPTIONS: 2,
  STATS: 3,
  XSTATS: 4,
  RATE: 5,
  FCNT: 6,
  STATS2: 7,
  STAB: 8,
  PAD: 9,
  DUMP_INVISIBLE: 10,
  CHAIN: 11,
  HW_OFFLOAD: 12,
  INGRESS_BLOCK: 13,
  EGRESS_BLOCK: 14,
  DUMP_FLAGS: 15,
  EXT_WARN_MSG: 16,
} as const;

/** Special handles (pkt_sched.h TC_H_*). */
export const TC_H_UNSPEC = 0;
export const TC_H_ROOT = 0xffff_ffff;
export const TC_H_INGRESS = 0xffff_fff1;
export const TC_H_CLSACT = TC_H_INGRESS;
export const TC_H_MIN_INGRESS = 0xfff2;
export const TC_H_MIN_EGRESS = 0xfff3;
/** The handle the kernel gives ingress and clsact qdiscs (ffff:). */
export const TC_H_INGRESS_HANDLE = 0xffff_0000;

/** The unit tc writes times in: microseconds per second. */
export const TIME_UNITS_PER_SEC = 1_000_000;

/** ETH_P_ALL, the protocol a filter matching every frame names. */
export const ETH_P_ALL = 0x0003;

/** Link layers of a rate spec (TC_LINKLAYER_*). */
export const TC_LINKLAYER_ETHERNET = 1;
export const TC_LINKLAYER_ATM = 2;
