/** FRA_* attributes, rule actions and flags (linux/fib_rules.h). */
import { defineSchema } from '../../wire/attributes';

/** FRA_* attribute numbers. */
export const FRA = {
  DST: 1, SRC: 2, IIFNAME: 3, GOTO: 4, PRIORITY: 6, FWMARK: 10, FLOW: 11, TUN_ID: 12,
  SUPPRESS_IFGROUP: 13, SUPPRESS_PREFIXLEN: 14, TABLE: 15, FWMASK: 16, OIFNAME: 17, PAD: 18,
  L3MDEV: 19, UID_RANGE: 20, PROTOCOL: 21, IP_PROTO: 22, SPORT_RANGE: 23, DPORT_RANGE: 24,
  DSCP: 25, FLOWLABEL: 26, FLOWLABEL_MASK: 27,
} as const;

/** FR_ACT_* rule actions by the names `ip rule` uses ('table' is FR_ACT_TO_TBL). */
export const FR_ACT: [number, string][] = [
  [0, 'unspec'], [1, 'table'], [2, 'goto'], [3, 'nop'], [6, 'blackhole'], [7, 'unreachable'], [8, 'prohibit'],
];

/** FIB_RULE_* flags ('not' is FIB_RULE_INVERT). */
export const FIB_RULE_F: [number, string][] = [
  [0x01, 'permanent'], [0x02, 'not'], [0x04, 'unresolved'], [0x08, 'iif_detached'], [0x10, 'oif_detached'],
];
export const FIB_RULE_INVERT = 0x02;

/** A range of UIDs or ports, inclusive. */
export interface RuleRange {
  start: number;
  end: number;
}

const range32 = (b: Buffer, o: number, l: number): RuleRange | undefined => (l >= 8 ? { start: b.readUInt32LE(o), end: b.readUInt32LE(o + 4) } : undefined);
const range16 = (b: Buffer, o: number, l: number): RuleRange | undefined => (l >= 4 ? { start: b.readUInt16LE(o), end: b.readUInt16LE(o + 2) } : undefined);

/** The RTM_NEWRULE attribute table. */
export const ruleSchema = defineSchema('rule', {
  // from/to are addresses here; decodeRule makes them prefixes with the header's lengths.
  [FRA.DST]: { name: 'to', type: 'ip' },
  [FRA.SRC]: { name: 'from', type: 'ip' },
  [FRA.IIFNAME]: { name: 'iif', type: 'string' },
  [FRA.OIFNAME]: { name: 'oif', type: 'string' },
  [FRA.GOTO]: { name: 'goto', type: 'u32' },
  [FRA.PRIORITY]: { name: 'priority', type: 'u32' },
  [FRA.FWMARK]: { name: 'fwmark', type: 'u32' },
  [FRA.FWMASK]: { name: 'fwmask', type: 'u32' },
  [FRA.FLOW]: { name: 'realms', type: 'u32' },
  [FRA.TUN_ID]: {
    name: 'tunId', type: 'binary',
    decode: (b, o, l) => (l >= 8 ? b.readUInt32BE(o) * 0x1_0000_0000 + b.readUInt32BE(o + 4) : undefined),
  },
  [FRA.SUPPRESS_IFGROUP]: { name: 'suppressIfgroup', type: 'u32' },
  [FRA.SUPPRESS_PREFIXLEN]: { name: 'suppressPrefixLength', type: 'u32' },
  [FRA.TABLE]: { name: 'table', type: 'u32' },
  [FRA.L3MDEV]: { name: 'l3mdev', type: 'bool8' },
  [FRA.UID_RANGE]: { name: 'uidRange', type: 'binary', decode: range32 },
  [FRA.PROTOCOL]: { name: 'protocol', type: 'u8' },
  [FRA.IP_PROTO]: { name: 'ipProto', type: 'u8' },
  [FRA.SPORT_RANGE]: { name: 'sport', type: 'binary', decode: range16 },
  [FRA.DPORT_RANGE]: { name: 'dport', type: 'binary', decode: range16 },
  [FRA.DSCP]: { name: 'dscp', type: 'u8' },
});
