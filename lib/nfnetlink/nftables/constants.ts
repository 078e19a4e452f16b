/**
 * nf_tables numbers (linux/netfilter/nf_tables.h): message types, the object attribute
 * numbers, flags, and the names nft prints for families, hooks and priorities. Expression
 * attributes live with their expressions (expr/).
 */
import { NFNL_SUBSYS, nfnlType } from '../nfnetlink';

/** enum nf_tables_msg_types. */
export const NFT_MSG = {
  NEWTABLE: 0, GETTABLE: 1, DELTABLE: 2,
  NEWCHAIN: 3, GETCHAIN: 4, DELCHAIN: 5,
  NEWRULE: 6, GETRULE: 7, DELRULE: 8,
  NEWSET: 9, GETSET: 10, DELSET: 11,
  NEWSETELEM: 12, GETSETELEM: 13, DELSETELEM: 14,
  NEWGEN: 15, GETGEN: 16, TRACE: 17,
  NEWOBJ: 18, GETOBJ: 19, DELOBJ: 20, GETOBJ_RESET: 21,
  NEWFLOWTABLE: 22, GETFLOWTABLE: 23, DELFLOWTABLE: 24,
  GETRULE_RESET: 25, DESTROYTABLE: 26, DESTROYCHAIN: 27, DESTROYRULE: 28, DESTROYSET: 29,
  DESTROYSETELEM: 30, DESTROYOBJ: 31, DESTROYFLOWTABLE: 32, GETSETELEM_RESET: 33,
} as const;

/** nlmsg_type of an nf_tables message. */
export function nftType(msg: number): number {
  return nfnlType(NFNL_SUBSYS.nftables, msg);
}

/** NFTA_LIST_ELEM: the element of a nested list (expressions, devices in older kernels). */
export const NFTA_LIST_ELEM = 1;

export const NFTA_TABLE = { NAME: 1, FLAGS: 2, USE: 3, HANDLE: 4, PAD: 5, USERDATA: 6, OWNER: 7 } as const;
export const NFT_TABLE_F_DORMANT = 1;
export const NFT_TABLE_F_OWNER = 2;

export const NFTA_CHAIN = {
  TABLE: 1, HANDLE: 2, NAME: 3, HOOK: 4, POLICY: 5, USE: 6, TYPE: 7, COUNTERS: 8, PAD: 9, FLAGS: 10, ID: 11, USERDATA: 12,
} as const;
export const NFT_CHAIN_BASE = 1;
export const NFT_CHAIN_HW_OFFLOAD = 2;
export const NFT_CHAIN_BINDING = 4;

export const NFTA_HOOK = { HOOKNUM: 1, PRIORITY: 2, DEV: 3, DEVS: 4 } as const;
export const NFTA_DEVICE_NAME = 1;

export const NFTA_RULE = {
  TABLE: 1, CHAIN: 2, HANDLE: 3, EXPRESSIONS: 4, COMPAT: 5, POSITION: 6, USERDATA: 7, PAD: 8, ID: 9, POSITION_ID: 10, CHAIN_ID: 11,
} as const;

export const NFTA_SET = {
  TABLE: 1, NAME: 2, FLAGS: 3, KEY_TYPE: 4, KEY_LEN: 5, DATA_TYPE: 6, DATA_LEN: 7, POLICY: 8, DESC: 9, ID: 10,
  TIMEOUT: 11, GC_INTERVAL: 12, USERDATA: 13, PAD: 14, OBJ_TYPE: 15, HANDLE: 16, EXPR: 17, EXPRESSIONS: 18,
} as const;
export const NFTA_SET_DESC = { SIZE: 1, CONCAT: 2 } as const;
export const NFTA_SET_FIELD_LEN = 1;

/** enum nft_set_flags. */
export const NFT_SET_F = {
  ANONYMOUS: 0x1, CONSTANT: 0x2, INTERVAL: 0x4, MAP: 0x8, TIMEOUT: 0x10, EVAL: 0x20, OBJECT: 0x40, CONCAT: 0x80, EXPR: 0x100,
} as const;
export const NFT_SET_POL_PERFORMANCE = 0;
export const NFT_SET_POL_MEMORY = 1;

export const NFTA_SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3, SET_ID: 4 } as const;
export const NFTA_SET_ELEM = {
  KEY: 1, DATA: 2, FLAGS: 3, TIMEOUT: 4, EXPIRATION: 5, USERDATA: 6, EXPR: 7, PAD: 8, OBJREF: 9, KEY_END: 10, EXPRESSIONS: 11,
} as const;
export const NFT_SET_ELEM_INTERVAL_END = 1;
export const NFT_SET_ELEM_CATCHALL = 2;

/** enum nft_data_attributes / nft_verdict_attributes. */
export const NFTA_DATA_VALUE = 1;
export const NFTA_DATA_VERDICT = 2;
export const NFTA_VERDICT_CODE = 1;
export const NFTA_VERDICT_CHAIN = 2;
export const NFTA_VERDICT_CHAIN_ID = 3;

export const NFTA_OBJ = { TABLE: 1, NAME: 2, TYPE: 3, DATA: 4, USE: 5, HANDLE: 6, PAD: 7, USERDATA: 8 } as const;
export const NFT_OBJECT = { counter: 1, quota: 2, 'ct helper': 3, limit: 4, connlimit: 5, tunnel: 6, 'ct timeout': 7, secmark: 8, 'ct expectation': 9, synproxy: 10 } as const;

export const NFTA_COUNTER = { BYTES: 1, PACKETS: 2 } as const;
export const NFTA_QUOTA = { BYTES: 1, FLAGS: 2, PAD: 3, CONSUMED: 4 } as const;
export const NFT_QUOTA_F_INV = 1;
export const NFT_QUOTA_F_DEPLETED = 2;
export const NFTA_LIMIT = { RATE: 1, UNIT: 2, BURST: 3, TYPE: 4, FLAGS: 5 } as const;
export const NFT_LIMIT_PKTS = 0;
export const NFT_LIMIT_PKT_BYTES = 1;
export const NFT_LIMIT_F_INV = 1;

export const NFTA_FLOWTABLE = { TABLE: 1, NAME: 2, HOOK: 3, USE: 4, HANDLE: 5, PAD: 6, FLAGS: 7 } as const;
export const NFTA_FLOWTABLE_HOOK = { NUM: 1, PRIORITY: 2, DEVS: 3 } as const;
export const NFT_FLOWTABLE_HW_OFFLOAD = 1;
export const NFT_FLOWTABLE_COUNTER = 2;

export const NFTA_GEN = { ID: 1, PROC_PID: 2, PROC_NAME: 3 } as const;

/** Table families: JSON name ⇄ NFPROTO number. */
export const FAMILIES: Readonly<Record<string, number>> = { ip: 2, ip6: 10, inet: 1, arp: 3, bridge: 7, netdev: 5 };
/** NFPROTO number → JSON family name. */
export const FAMILY_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(FAMILIES).map(([k, v]) => [v, k]));

/** Netfilter hooks by family: name → NF_*_ hook number. */
export const HOOKS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  ip: { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 },
  ip6: { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 },
  inet: { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4, ingress: 5 },
  bridge: { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 },
  arp: { input: 0, output: 1, forward: 2 },
  netdev: { ingress: 0, egress: 1 },
};

/** The hook name of `num` in `family`. */
export function hookName(family: string, num: number): string | undefined {
  const hooks = HOOKS[family];
  if (!hooks) return undefined;
  for (const [name, n] of Object.entries(hooks)) if (n === num) return name;
  return undefined;
}

/**
 * Named chain priorities as nft resolves them (`priority srcnat + 10`): the standard table,
 * and the bridge family's own.
 */
export const PRIORITIES: Readonly<Record<string, number>> = {
  raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100,
};
export const BRIDGE_PRIORITIES: Readonly<Record<string, number>> = {
  dstnat: -300, filter: -200, out: 100, srcnat: 300,
};

/** Chain types nft knows. */
export const CHAIN_TYPES = ['filter', 'nat', 'route'] as const;

/** Kernel chain policy (NF_DROP / NF_ACCEPT). */
export const POLICIES: Readonly<Record<string, number>> = { drop: 0, accept: 1 };
