/**
 * devlink numbers (linux/devlink.h as of Linux 6.1) and the one attribute table that decodes
 * every devlink message and encodes every request. Names are the DEVLINK_ATTR_* names in
 * camelCase without the prefix.
 */
import { defineSchema, type AttrSpec, type Schema } from '../../wire/attributes';
import { decodeFmsgItems } from './fmsg';

/** The family's name. */
export const DEVLINK_GENL_NAME = 'devlink';
/** Its multicast group: every object's new/del notifications. */
export const DEVLINK_MCGRP_CONFIG = 'config';

/** DEVLINK_CMD_*. */
export const CMD = {
  GET: 1, SET: 2, NEW: 3, DEL: 4,
  PORT_GET: 5, PORT_SET: 6, PORT_NEW: 7, PORT_DEL: 8, PORT_SPLIT: 9, PORT_UNSPLIT: 10,
  ESWITCH_GET: 29, ESWITCH_SET: 30,
  RELOAD: 37,
  PARAM_GET: 38, PARAM_SET: 39, PARAM_NEW: 40, PARAM_DEL: 41,
  REGION_NEW: 44, REGION_DEL: 45,
  INFO_GET: 51,
  HEALTH_REPORTER_GET: 52, HEALTH_REPORTER_SET: 53, HEALTH_REPORTER_RECOVER: 54, HEALTH_REPORTER_DIAGNOSE: 55,
  HEALTH_REPORTER_DUMP_GET: 56, HEALTH_REPORTER_DUMP_CLEAR: 57,
  TRAP_GET: 61, TRAP_SET: 62, TRAP_NEW: 63, TRAP_DEL: 64,
  TRAP_GROUP_GET: 65, TRAP_GROUP_SET: 66, TRAP_GROUP_NEW: 67, TRAP_GROUP_DEL: 68,
  RATE_GET: 74, RATE_SET: 75, RATE_NEW: 76, RATE_DEL: 77,
} as const;

/** DEVLINK_ATTR_* used by name in requests. */
export const A = {
  BUS_NAME: 1, DEV_NAME: 2, PORT_INDEX: 3, PORT_SPLIT_COUNT: 9,
  ESWITCH_MODE: 25, ESWITCH_INLINE_MODE: 26, ESWITCH_ENCAP_MODE: 62,
  PARAM_NAME: 81, PARAM_TYPE: 83, PARAM_VALUE_DATA: 86, PARAM_VALUE_CMODE: 87,
  FMSG: 106, FMSG_OBJ_NEST_START: 107, FMSG_PAIR_NEST_START: 108, FMSG_ARR_NEST_START: 109, FMSG_NEST_END: 110,
  FMSG_OBJ_NAME: 111, FMSG_OBJ_VALUE_TYPE: 112, FMSG_OBJ_VALUE_DATA: 113,
  HEALTH_REPORTER_NAME: 115, HEALTH_REPORTER_GRACEFUL_PERIOD: 120, HEALTH_REPORTER_AUTO_RECOVER: 121,
  HEALTH_REPORTER_AUTO_DUMP: 141,
  TRAP_NAME: 130, TRAP_ACTION: 131, TRAP_GROUP_NAME: 135,
  PORT_FUNCTION: 145,
  RELOAD_ACTION: 153, RELOAD_ACTIONS_PERFORMED: 154, RELOAD_LIMITS: 155,
  RATE_TX_SHARE: 166, RATE_TX_MAX: 167, RATE_NODE_NAME: 168, RATE_PARENT_NODE_NAME: 169,
} as const;

/** DEVLINK_PORT_FUNCTION_ATTR_*. */
export const FN = { HW_ADDR: 1, STATE: 2, OPSTATE: 3 } as const;

/** Value ↔ name tables (the names `devlink` prints). */
export const ESWITCH_MODES = ['legacy', 'switchdev'] as const;
/** DEVLINK_ESWITCH_INLINE_MODE_* by value. */
export const INLINE_MODES = ['none', 'link', 'network', 'transport'] as const;
/** DEVLINK_ESWITCH_ENCAP_MODE_* by value. */
export const ENCAP_MODES = ['none', 'basic'] as const;
/** DEVLINK_PORT_FLAVOUR_* by value. */
export const PORT_FLAVOURS = ['physical', 'cpu', 'dsa', 'pcipf', 'pcivf', 'virtual', 'unused', 'pcisf'] as const;
/** DEVLINK_PORT_TYPE_* by value. */
export const PORT_TYPES = ['notset', 'auto', 'eth', 'ib'] as const;
/** DEVLINK_RATE_TYPE_* by value. */
export const RATE_TYPES = ['leaf', 'node'] as const;
/** DEVLINK_PARAM_CMODE_* by value. */
export const PARAM_CMODES = ['runtime', 'driverinit', 'permanent'] as const;
/** DEVLINK_PORT_FN_STATE_* by value. */
export const FN_STATES = ['inactive', 'active'] as const;
/** DEVLINK_PORT_FN_OPSTATE_* by value. */
export const FN_OPSTATES = ['detached', 'attached'] as const;
/** DEVLINK_TRAP_ACTION_* by value. */
export const TRAP_ACTIONS = ['drop', 'trap', 'mirror'] as const;
/** DEVLINK_TRAP_TYPE_* by value. */
export const TRAP_TYPES = ['drop', 'exception', 'control'] as const;
/** DEVLINK_HEALTH_REPORTER_STATE_* by value. */
export const HEALTH_STATES = ['healthy', 'error'] as const;
/** Reload actions by bit (DEVLINK_RELOAD_ACTION_*): 0 is unspec. */
export const RELOAD_ACTIONS = ['', 'driver_reinit', 'fw_activate'] as const;
/** DEVLINK_RELOAD_LIMIT_* by bit (0 is unspec). */
export const RELOAD_LIMITS = ['', 'no_reset'] as const;

/** Param value types: the NLA_* numbers devlink reuses. */
export const PARAM_TYPE = { u8: 1, u16: 2, u32: 3, string: 5, bool: 6 } as const;
/** A param's value type, by name. */
export type ParamType = keyof typeof PARAM_TYPE;

const versionSchema = defineSchema('devlink.info.version', {
  103: { name: 'name', type: 'string' },
  104: { name: 'value', type: 'string' },
});

/** DEVLINK_ATTR_PARAM_VALUE: its data's encoding depends on the param's type, so it stays raw here. */
const paramValueSchema = defineSchema('devlink.param.value', {
  86: { name: 'data', type: 'binary' },
  87: { name: 'cmode', type: 'u8' },
});

const paramSchema = defineSchema('devlink.param', {
  81: { name: 'paramName', type: 'string' },
  82: { name: 'paramGeneric', type: 'flag' },
  83: { name: 'paramType', type: 'u8' },
  84: {
    name: 'paramValuesList', type: 'nested',
    nested: defineSchema('devlink.param.values', { 85: { name: 'paramValue', type: 'nested', nested: paramValueSchema, multi: true } }),
  },
});

const portFunctionSchema = defineSchema('devlink.port.function', {
  [FN.HW_ADDR]: { name: 'hwAddr', type: 'mac' },
  [FN.STATE]: { name: 'state', type: 'u8' },
  [FN.OPSTATE]: { name: 'opstate', type: 'u8' },
});

const statsSchema = defineSchema('devlink.stats', {
  0: { name: 'rxPackets', type: 'u64' },
  1: { name: 'rxBytes', type: 'u64' },
  2: { name: 'rxDropped', type: 'u64' },
});

const trapMetadataSchema = defineSchema('devlink.trap.metadata', {
  0: { name: 'inPort', type: 'flag' },
  1: { name: 'faCookie', type: 'flag' },
});

/** struct nla_bitfield32 { value; selector }: decoded as the value. */
const bitfield32: Pick<AttrSpec, 'decode'> = { decode: (b, o, l) => (l >= 4 ? b.readUInt32LE(o) : undefined) };

/** Every DEVLINK_ATTR_* this library reads. Anything else is kept raw in `unknown`. */
export const devlinkSchema: Schema = defineSchema('devlink', {
  1: { name: 'busName', type: 'string' },
  2: { name: 'devName', type: 'string' },
  3: { name: 'portIndex', type: 'u32' },
  4: { name: 'portType', type: 'u16' },
  5: { name: 'portDesiredType', type: 'u16' },
  6: { name: 'portNetdevIfindex', type: 'u32' },
  7: { name: 'portNetdevName', type: 'string' },
  8: { name: 'portIbdevName', type: 'string' },
  9: { name: 'portSplitCount', type: 'u32' },
  10: { name: 'portSplitGroup', type: 'u32' },
  25: { name: 'eswitchMode', type: 'u16' },
  26: { name: 'eswitchInlineMode', type: 'u8' },
  62: { name: 'eswitchEncapMode', type: 'u8' },
  77: { name: 'portFlavour', type: 'u16' },
  78: { name: 'portNumber', type: 'u32' },
  79: { name: 'portSplitSubportNumber', type: 'u32' },
  80: { name: 'param', type: 'nested', nested: paramSchema },
  // Top-level in PARAM_SET requests (nested under PARAM in replies).
  81: { name: 'paramName', type: 'string' },
  83: { name: 'paramType', type: 'u8' },
  87: { name: 'paramValueCmode', type: 'u8' },
  98: { name: 'infoDriverName', type: 'string' },
  99: { name: 'infoSerialNumber', type: 'string' },
  100: { name: 'infoVersionFixed', type: 'nested', nested: versionSchema, multi: true },
  101: { name: 'infoVersionRunning', type: 'nested', nested: versionSchema, multi: true },
  102: { name: 'infoVersionStored', type: 'nested', nested: versionSchema, multi: true },
  106: { name: 'fmsg', type: 'nested', decode: decodeFmsgItems },
  114: {
    name: 'healthReporter', type: 'nested',
    nested: defineSchema('devlink.health', {
      115: { name: 'name', type: 'string' },
      116: { name: 'state', type: 'u8' },
      117: { name: 'errCount', type: 'u64' },
      118: { name: 'recoverCount', type: 'u64' },
      119: { name: 'dumpTs', type: 'u64' },
      120: { name: 'gracefulPeriod', type: 'u64' },
      121: { name: 'autoRecover', type: 'bool8' },
      // Wall-clock ns (CLOCK_REALTIME): past 2^53, so kept exact as a bigint.
      137: { name: 'dumpTsNs', type: 'u64', decode: (b, o, l) => (l >= 8 ? b.readBigUInt64LE(o) : undefined) },
      141: { name: 'autoDump', type: 'bool8' },
    }),
  },
  119: { name: 'healthReporterDumpTs', type: 'u64' },
  127: { name: 'portPciPfNumber', type: 'u16' },
  128: { name: 'portPciVfNumber', type: 'u16' },
  129: { name: 'stats', type: 'nested', nested: statsSchema },
  115: { name: 'healthReporterName', type: 'string' },
  120: { name: 'healthReporterGracefulPeriod', type: 'u64' },
  121: { name: 'healthReporterAutoRecover', type: 'bool8' },
  141: { name: 'healthReporterAutoDump', type: 'bool8' },
  130: { name: 'trapName', type: 'string' },
  131: { name: 'trapAction', type: 'u8' },
  132: { name: 'trapType', type: 'u8' },
  133: { name: 'trapGeneric', type: 'flag' },
  134: { name: 'trapMetadata', type: 'nested', nested: trapMetadataSchema },
  135: { name: 'trapGroupName', type: 'string' },
  136: { name: 'reloadFailed', type: 'bool8' },
  137: { name: 'healthReporterDumpTsNs', type: 'u64', decode: (b, o, l) => (l >= 8 ? b.readBigUInt64LE(o) : undefined) },
  142: { name: 'trapPolicerId', type: 'u32' },
  145: { name: 'portFunction', type: 'nested', nested: portFunctionSchema },
  146: { name: 'infoBoardSerialNumber', type: 'string' },
  147: { name: 'portLanes', type: 'u32' },
  148: { name: 'portSplittable', type: 'bool8' },
  149: { name: 'portExternal', type: 'bool8' },
  150: { name: 'portControllerNumber', type: 'u32' },
  138: { name: 'netnsFd', type: 'u32' },
  139: { name: 'netnsPid', type: 'u32' },
  140: { name: 'netnsId', type: 'u32' },
  153: { name: 'reloadAction', type: 'u8' },
  154: { name: 'reloadActionsPerformed', type: 'binary', ...bitfield32 },
  155: { name: 'reloadLimits', type: 'binary', ...bitfield32 },
  164: { name: 'portPciSfNumber', type: 'u32' },
  165: { name: 'rateType', type: 'u16' },
  166: { name: 'rateTxShare', type: 'u64' },
  167: { name: 'rateTxMax', type: 'u64' },
  168: { name: 'rateNodeName', type: 'string' },
  169: { name: 'rateParentNodeName', type: 'string' },
});
