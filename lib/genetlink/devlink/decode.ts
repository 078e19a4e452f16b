/**
 * devlink replies → the objects the API returns. Every message is decoded by the one
 * devlinkSchema; these functions only rename fields and turn numbers into the names
 * `devlink` prints. Unknown values stay numbers (as strings would hide them).
 */
import { decodeAttrs } from '../../wire/attributes';
import { GENL_ATTRS_AT } from '../genl-message';
import { buildFmsg, type FmsgItem, type FmsgTree } from './fmsg';
import {
  ENCAP_MODES, ESWITCH_MODES, FN_OPSTATES, FN_STATES, HEALTH_STATES, INLINE_MODES, PARAM_CMODES, PARAM_TYPE, PORT_FLAVOURS,
  PORT_TYPES, RATE_TYPES, RELOAD_ACTIONS, TRAP_ACTIONS, TRAP_TYPES, devlinkSchema, type ParamType,
} from './schema';

/** A devlink instance. */
export interface DevlinkDevice {
  bus: string;
  device: string;
  /** 'bus/device', as devlink prints it. */
  handle: string;
  /** The last reload failed (the device is not fully initialized). */
  reloadFailed?: boolean;
}

/** `devlink dev info`. */
export interface DevlinkInfo {
  handle: string;
  driver?: string;
  serial?: string;
  boardSerial?: string;
  versions: { fixed: Record<string, string>; running: Record<string, string>; stored: Record<string, string> };
}

/** `devlink dev eswitch show`. */
export interface Eswitch {
  mode?: 'legacy' | 'switchdev';
  inlineMode?: 'none' | 'link' | 'network' | 'transport';
  encapMode?: 'none' | 'basic';
}

/** Port flavours as devlink prints them. */
export type PortFlavour = (typeof PORT_FLAVOURS)[number];

/** `devlink port show`. */
export interface DevlinkPort {
  /** 'bus/device/index'. */
  handle: string;
  /** The device: 'bus/device'. */
  dev: string;
  index: number;
  type?: 'notset' | 'auto' | 'eth' | 'ib';
  flavour?: PortFlavour | number;
  /** The port's netdev (a VF's representor in switchdev mode). */
  netdev?: string;
  ifindex?: number;
  ibdev?: string;
  /** Physical port number. */
  number?: number;
  pfnum?: number;
  vfnum?: number;
  sfnum?: number;
  controller?: number;
  external?: boolean;
  splittable?: boolean;
  lanes?: number;
  splitGroup?: number;
  splitSubport?: number;
  /** The function behind a PF/VF/SF port, where the driver reports it. */
  function?: { hwAddr?: string; state?: 'inactive' | 'active'; opstate?: 'detached' | 'attached' };
}

/** `devlink port function rate show`: rates in bit/s. */
export interface DevlinkRate {
  /** 'bus/device/index' for a port's leaf, 'bus/device/name' for a node. */
  handle: string;
  dev: string;
  type: 'leaf' | 'node';
  /** Leaf: its port index. */
  port?: number;
  /** Node: its name. */
  name?: string;
  /** Guaranteed rate, bit/s (0 = none). */
  txShare: number;
  /** Rate limit, bit/s (0 = none). */
  txMax: number;
  /** The node it belongs to. */
  parent?: string;
}

/** A param's value in one configuration mode. */
export interface ParamValue {
  cmode: 'runtime' | 'driverinit' | 'permanent';
  value: number | string | boolean;
}

/** `devlink dev param show`. */
export interface DevlinkParam {
  dev: string;
  name: string;
  generic: boolean;
  type: ParamType;
  values: ParamValue[];
}

/** `devlink health show`. */
export interface HealthReporter {
  /** The device, or the port for a port reporter. */
  handle: string;
  dev: string;
  port?: number;
  name: string;
  state?: 'healthy' | 'error';
  errorCount?: number;
  recoverCount?: number;
  gracePeriodMs?: number;
  autoRecover?: boolean;
  autoDump?: boolean;
  /** When the stored dump was taken, in ns since the epoch (exact, hence a bigint); absent without one. */
  lastDumpTsNs?: bigint;
  /** The same instant as a Date (ms precision). */
  lastDump?: Date;
}

/** `devlink trap show`. */
export interface DevlinkTrap {
  dev: string;
  name: string;
  type?: 'drop' | 'exception' | 'control';
  action?: 'drop' | 'trap' | 'mirror';
  group?: string;
  generic: boolean;
  metadata: string[];
  stats?: { rxPackets?: number; rxBytes?: number; rxDropped?: number };
}

/** A decoded devlink message: the schema's object. */
export type DevlinkAttrs = Record<string, any>;

/** Decodes a devlink message's attributes. */
export function decodeDevlink(buf: Buffer, off: number, len: number): DevlinkAttrs {
  return decodeAttrs(devlinkSchema, buf, off + GENL_ATTRS_AT, off + len);
}

function pick<T extends readonly string[]>(names: T, v: number | undefined): T[number] | undefined {
  if (v === undefined) return undefined;
  return (names[v] || v) as T[number];
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const dev = (a: DevlinkAttrs): string => `${a.busName}/${a.devName}`;

/** A device from a DEVLINK_CMD_NEW/GET message. */
export function toDevice(a: DevlinkAttrs): DevlinkDevice {
  return clean({ bus: a.busName, device: a.devName, handle: dev(a), reloadFailed: a.reloadFailed || undefined });
}

function versions(list: { name?: string; value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of list ?? []) if (v.name !== undefined) out[v.name] = v.value ?? '';
  return out;
}

/** `devlink dev info` from a DEVLINK_CMD_INFO_GET reply. */
export function toInfo(a: DevlinkAttrs): DevlinkInfo {
  return clean({
    handle: dev(a),
    driver: a.infoDriverName,
    serial: a.infoSerialNumber,
    boardSerial: a.infoBoardSerialNumber,
    versions: { fixed: versions(a.infoVersionFixed), running: versions(a.infoVersionRunning), stored: versions(a.infoVersionStored) },
  });
}

/** The eswitch settings from a DEVLINK_CMD_ESWITCH_GET reply. */
export function toEswitch(a: DevlinkAttrs): Eswitch {
  return clean({
    mode: pick(ESWITCH_MODES, a.eswitchMode),
    inlineMode: pick(INLINE_MODES, a.eswitchInlineMode),
    encapMode: pick(ENCAP_MODES, a.eswitchEncapMode),
  }) as Eswitch;
}

/** A port from a DEVLINK_CMD_PORT_* message. */
export function toPort(a: DevlinkAttrs): DevlinkPort {
  const fn = a.portFunction;
  return clean({
    handle: `${dev(a)}/${a.portIndex}`,
    dev: dev(a),
    index: a.portIndex,
    type: pick(PORT_TYPES, a.portType),
    flavour: pick(PORT_FLAVOURS, a.portFlavour),
    netdev: a.portNetdevName,
    ifindex: a.portNetdevIfindex,
    ibdev: a.portIbdevName,
    number: a.portNumber,
    pfnum: a.portPciPfNumber,
    vfnum: a.portPciVfNumber,
    sfnum: a.portPciSfNumber,
    controller: a.portControllerNumber,
    external: a.portExternal,
    splittable: a.portSplittable,
    lanes: a.portLanes,
    splitGroup: a.portSplitGroup,
    splitSubport: a.portSplitSubportNumber,
    function: fn ? clean({ hwAddr: fn.hwAddr, state: pick(FN_STATES, fn.state), opstate: pick(FN_OPSTATES, fn.opstate) }) : undefined,
  }) as DevlinkPort;
}

/** A rate object from a DEVLINK_CMD_RATE_* message (bytes/s on the wire, bit/s here). */
export function toRate(a: DevlinkAttrs): DevlinkRate {
  const type = pick(RATE_TYPES, a.rateType) as 'leaf' | 'node';
  const isNode = a.rateNodeName !== undefined;
  return clean({
    handle: `${dev(a)}/${isNode ? a.rateNodeName : a.portIndex}`,
    dev: dev(a),
    type: type ?? (isNode ? 'node' : 'leaf'),
    port: isNode ? undefined : a.portIndex,
    name: isNode ? a.rateNodeName : undefined,
    // The kernel keeps bytes/s; callers see bit/s, as with tc.
    txShare: (a.rateTxShare ?? 0) * 8,
    txMax: (a.rateTxMax ?? 0) * 8,
    parent: a.rateParentNodeName || undefined,
  }) as DevlinkRate;
}

const PARAM_TYPE_NAMES = Object.fromEntries(Object.entries(PARAM_TYPE).map(([k, v]) => [v, k])) as Record<number, ParamType>;

/** A param value's data by its type (bool: the flag's presence). */
export function paramData(type: ParamType, data: Buffer | undefined): number | string | boolean {
  switch (type) {
    case 'bool': return data !== undefined;
    case 'u8': return data && data.length >= 1 ? data[0]! : 0;
    case 'u16': return data && data.length >= 2 ? data.readUInt16LE(0) : 0;
    case 'u32': return data && data.length >= 4 ? data.readUInt32LE(0) : 0;
    case 'string': {
      if (!data) return '';
      const nul = data.indexOf(0);
      return data.toString('utf8', 0, nul < 0 ? data.length : nul);
    }
  }
}

/** A param from a DEVLINK_CMD_PARAM_* message; undefined without one. */
export function toParam(a: DevlinkAttrs): DevlinkParam | undefined {
  const p = a.param;
  if (!p || p.paramName === undefined) return undefined;
  const type = PARAM_TYPE_NAMES[p.paramType] ?? 'u32';
  return {
    dev: dev(a),
    name: p.paramName,
    generic: p.paramGeneric === true,
    type,
    values: ((p.paramValuesList?.paramValue ?? []) as { cmode?: number; data?: Buffer }[]).map((v) => ({
      cmode: pick(PARAM_CMODES, v.cmode) as ParamValue['cmode'],
      value: paramData(type, v.data),
    })),
  };
}

/** A health reporter from a DEVLINK_CMD_HEALTH_REPORTER_* message; undefined without one. */
export function toHealth(a: DevlinkAttrs): HealthReporter | undefined {
  const h = a.healthReporter;
  if (!h || h.name === undefined) return undefined;
  const port = a.portIndex as number | undefined;
  return clean({
    handle: port === undefined ? dev(a) : `${dev(a)}/${port}`,
    dev: dev(a),
    port,
    name: h.name,
    state: pick(HEALTH_STATES, h.state),
    errorCount: h.errCount,
    recoverCount: h.recoverCount,
    gracePeriodMs: h.gracefulPeriod,
    autoRecover: h.autoRecover,
    autoDump: h.autoDump,
    lastDumpTsNs: h.dumpTsNs || undefined,
    lastDump: h.dumpTsNs ? new Date(Number(h.dumpTsNs / 1_000_000n)) : undefined,
  }) as HealthReporter;
}

/** A trap from a DEVLINK_CMD_TRAP_* message. */
export function toTrap(a: DevlinkAttrs): DevlinkTrap {
  const md = a.trapMetadata ?? {};
  return clean({
    dev: dev(a),
    name: a.trapName,
    type: pick(TRAP_TYPES, a.trapType),
    action: pick(TRAP_ACTIONS, a.trapAction),
    group: a.trapGroupName,
    generic: a.trapGeneric === true,
    metadata: [md.inPort ? 'input_port' : '', md.faCookie ? 'flow_action_cookie' : ''].filter(Boolean),
    stats: a.stats ? clean({ ...a.stats, unknown: undefined }) : undefined,
  }) as DevlinkTrap;
}

/** The reload actions the kernel says it performed (bitfield32 of DEVLINK_RELOAD_ACTION_*). */
export function reloadActions(bits: number | undefined): string[] {
  const out: string[] = [];
  for (let i = 1; i < 32; i++) if ((bits ?? 0) & (1 << i)) out.push(RELOAD_ACTIONS[i] || String(i));
  return out;
}

/** Folds the fmsg runs of several reply messages into one tree. */
export function fmsgOf(replies: DevlinkAttrs[]): FmsgTree {
  const items: FmsgItem[] = [];
  for (const r of replies) if (r.fmsg) items.push(...(r.fmsg as FmsgItem[]));
  return buildFmsg(items);
}
