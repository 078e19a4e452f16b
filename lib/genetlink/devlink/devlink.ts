/**
 * `nl.devlink.open()`: devlink over generic netlink — devices, the embedded switch's mode,
 * ports (VF representors in switchdev mode), rate objects, params, health reporters, traps,
 * reload, and notifications.
 *
 *   const dl = await nl.devlink.open();
 *   await dl.eswitch.set('netdevsim/netdevsim1', { mode: 'switchdev' });   // devlink dev eswitch set … mode switchdev
 *   await dl.rate.set('netdevsim/netdevsim1/1', { txMax: '100mbit' });     // devlink port function rate set … tx_max 100mbit
 *
 * Devices are 'bus/device', ports 'bus/device/index', rate nodes 'bus/device/name' — the
 * handles `devlink` prints. Rates are bit/s (or tc-style strings); the kernel keeps bytes/s.
 *
 * @module
 */
import { NetlinkError, ValidationError } from '../../errors';
import { checkKeys } from '../../core/options';
import { SOCKET_OPTION_KEYS, type SocketOptions } from '../../core/socket';
import { parseMac } from '../../wire/address';
import { encodeAttrs } from '../../wire/attributes';
import type { MessageWriter } from '../../wire/message-writer';
import { rateToBytes as parseRateBytes, type Rate } from './units';
import type { GenlFamily } from '../ctrl';
import { openEventStream, type EventStreamOptions, type GenlEventStream } from '../event-stream';
import { openGenlSocket, type GenlSocket } from '../genl-socket';
import { GenlHandle } from '../genl-handle';
import {
  decodeDevlink, fmsgOf, reloadActions, toDevice, toEswitch, toHealth, toInfo, toParam, toPort, toRate, toTrap,
  type DevlinkAttrs, type DevlinkDevice, type DevlinkInfo, type DevlinkParam, type DevlinkPort, type DevlinkRate,
  type DevlinkTrap, type Eswitch, type HealthReporter,
} from './decode';
import type { FmsgTree } from './fmsg';
import { checkNodeName, devHandle, parseDev, parsePort, parseRate, type DevHandle } from './handles';
import {
  A, CMD, DEVLINK_GENL_NAME, DEVLINK_MCGRP_CONFIG, ENCAP_MODES, ESWITCH_MODES, FN_STATES, INLINE_MODES, PARAM_CMODES,
  PARAM_TYPE, RELOAD_ACTIONS, RELOAD_LIMITS, TRAP_ACTIONS, devlinkSchema,
} from './schema';

/** Options of `nl.devlink.open()`. */
export interface DevlinkOpenOptions extends SocketOptions {}

/** Options every call accepts. */
export interface DevlinkCallOptions {
  signal?: AbortSignal;
}

/** What `eswitch.set` changes. */
export interface EswitchChanges {
  mode?: 'legacy' | 'switchdev';
  inlineMode?: 'none' | 'link' | 'network' | 'transport';
  encapMode?: 'none' | 'basic';
}

/** What `port.set` changes: the port function's MAC and state. */
export interface PortChanges {
  function?: { hwAddr?: string; state?: 'inactive' | 'active' };
}

/** What `rate.set` / `rate.addNode` set. `parent: null` detaches from the parent node. */
export interface RateChanges {
  txShare?: Rate;
  txMax?: Rate;
  parent?: string | null;
}

/** Options of `param.set`. */
export interface ParamSetOptions extends DevlinkCallOptions {
  /** The configuration mode to set: 'runtime' (now), 'driverinit' (at the next reload), 'permanent'. */
  cmode: 'runtime' | 'driverinit' | 'permanent';
}

/** What `health.set` changes. */
export interface HealthChanges {
  gracePeriodMs?: number;
  autoRecover?: boolean;
  autoDump?: boolean;
}

/** Options of `reload`. */
export interface ReloadOptions extends DevlinkCallOptions {
  /** Default 'driver_reinit'. */
  action?: 'driver_reinit' | 'fw_activate';
  limit?: 'no_reset';
}

/** A devlink notification. */
export interface DevlinkEvent {
  /** What changed. */
  type: 'dev' | 'port' | 'rate' | 'param' | 'trap' | 'trapGroup' | 'region' | 'health' | 'other';
  action: 'new' | 'del';
  /** The devlink command number of the notification. */
  cmd: number;
  /** 'bus/device' of the device it concerns. */
  dev: string;
  /** The decoded object for dev/port/rate/param/trap; the raw attributes otherwise. */
  object: DevlinkDevice | DevlinkPort | DevlinkRate | DevlinkParam | DevlinkTrap | DevlinkAttrs;
}

const CALL_KEYS = ['signal'];

function sig(opts: DevlinkCallOptions): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function checkEnum<T extends readonly string[]>(names: T, v: unknown, field: string): number {
  const i = names.indexOf(v as string);
  if (typeof v !== 'string' || i < 0 || v === '') throw new ValidationError(field, `expected one of ${names.filter(Boolean).map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return i;
}

/** Shared request plumbing of the devlink sub-APIs. */
class Core {
  constructor(
    readonly socket: GenlSocket,
    readonly family: GenlFamily,
  ) {}

  /** Sends `cmd` with `attrs` (by devlinkSchema names) and returns the decoded replies. */
  request(cmd: number, attrs: DevlinkAttrs, operation: string, opts: DevlinkCallOptions & { dump?: boolean; extra?: (w: MessageWriter) => void } = {}): Promise<DevlinkAttrs[]> {
    return this.socket.request(this.family, cmd, (w) => {
      encodeAttrs(w, devlinkSchema, attrs);
      opts.extra?.(w);
    }, {
      operation,
      decode: (buf, off, len) => decodeDevlink(buf, off, len),
      ...(opts.dump ? { dump: true } : {}),
      ...sig(opts),
    });
  }

  /** A dump filtered to one device here: Linux 6.1's dumps ignore a device given in the request. */
  async dump(cmd: number, dev: DevHandle | undefined, operation: string, opts: DevlinkCallOptions): Promise<DevlinkAttrs[]> {
    const all = await this.request(cmd, {}, operation, { ...opts, dump: true });
    return dev ? all.filter((a) => a.busName === dev.busName && a.devName === dev.devName) : all;
  }
}

/** `devlink dev eswitch`. */
export class EswitchApi {
  /** @internal */
  constructor(private readonly core: Core) {}

  /** The eswitch mode, inline mode and encap mode. Equivalent to: devlink dev eswitch show DEV */
  async get(dev: string, opts: DevlinkCallOptions = {}): Promise<Eswitch> {
    checkKeys(opts, CALL_KEYS);
    const [a] = await this.core.request(CMD.ESWITCH_GET, parseDev(dev), 'devlink.eswitch.get', opts);
    return toEswitch(a ?? {});
  }

  /**
   * Changes the eswitch mode ('switchdev' makes a representor port per VF), inline mode or
   * encap mode. Equivalent to: devlink dev eswitch set DEV mode switchdev
   */
  async set(dev: string, changes: EswitchChanges, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const h = parseDev(dev);
    checkKeys(changes, ['mode', 'inlineMode', 'encapMode'], 'eswitch');
    const attrs: DevlinkAttrs = { ...h };
    if (changes.mode !== undefined) attrs.eswitchMode = checkEnum(ESWITCH_MODES, changes.mode, 'mode');
    if (changes.inlineMode !== undefined) attrs.eswitchInlineMode = checkEnum(INLINE_MODES, changes.inlineMode, 'inlineMode');
    if (changes.encapMode !== undefined) attrs.eswitchEncapMode = checkEnum(ENCAP_MODES, changes.encapMode, 'encapMode');
    if (Object.keys(attrs).length === 2) throw new ValidationError('eswitch', 'nothing to change (give mode, inlineMode or encapMode)');
    await this.core.request(CMD.ESWITCH_SET, attrs, 'devlink.eswitch.set', opts);
  }
}

/** `devlink port`. */
export class PortApi {
  /** @internal */
  constructor(private readonly core: Core) {}

  /** Every port, or the ports of one device. Equivalent to: devlink port show [DEV] */
  async list(dev?: string, opts: DevlinkCallOptions = {}): Promise<DevlinkPort[]> {
    checkKeys(opts, CALL_KEYS);
    const h = dev === undefined ? undefined : parseDev(dev);
    return (await this.core.dump(CMD.PORT_GET, h, 'devlink.port.list', opts)).map(toPort);
  }

  /** One port. Equivalent to: devlink port show bus/device/index */
  async get(port: string, opts: DevlinkCallOptions = {}): Promise<DevlinkPort> {
    checkKeys(opts, CALL_KEYS);
    const [a] = await this.core.request(CMD.PORT_GET, parsePort(port), 'devlink.port.get', opts);
    if (!a) throw new NetlinkError({ errno: 19, operation: 'devlink.port.get', extack: `no reply for port ${port}` });
    return toPort(a);
  }

  /**
   * Sets the port function's MAC address or state (where the driver supports it).
   * Equivalent to: devlink port function set PORT hw_addr MAC state active
   */
  async set(port: string, changes: PortChanges, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const h = parsePort(port);
    checkKeys(changes, ['function'], 'port');
    checkKeys(changes.function, ['hwAddr', 'state'], 'function');
    const fn: DevlinkAttrs = {};
    if (changes.function?.hwAddr !== undefined) {
      parseMac(changes.function.hwAddr, 'function.hwAddr');
      fn.hwAddr = changes.function.hwAddr;
    }
    if (changes.function?.state !== undefined) fn.state = checkEnum(FN_STATES, changes.function.state, 'function.state');
    if (Object.keys(fn).length === 0) throw new ValidationError('function', 'nothing to change (give hwAddr or state)');
    await this.core.request(CMD.PORT_SET, { ...h, portFunction: fn }, 'devlink.port.set', opts);
  }

  /** Splits a port into `count` ports. Equivalent to: devlink port split PORT count N */
  async split(port: string, count: number, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const h = parsePort(port);
    if (!Number.isInteger(count) || count < 2 || count > 0xffffffff) throw new ValidationError('count', 'expected an integer ≥ 2');
    await this.core.request(CMD.PORT_SPLIT, { ...h, portSplitCount: count }, 'devlink.port.split', opts);
  }

  /** Undoes a split. Equivalent to: devlink port unsplit PORT */
  async unsplit(port: string, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    await this.core.request(CMD.PORT_UNSPLIT, parsePort(port), 'devlink.port.unsplit', opts);
  }
}

function rateAttrs(changes: RateChanges, field: string): DevlinkAttrs {
  checkKeys(changes, ['txShare', 'txMax', 'parent'], field);
  const attrs: DevlinkAttrs = {};
  if (changes.txShare !== undefined) attrs.rateTxShare = parseRateBytes(changes.txShare, 'txShare');
  if (changes.txMax !== undefined) attrs.rateTxMax = parseRateBytes(changes.txMax, 'txMax');
  if (changes.parent === null) attrs.rateParentNodeName = ''; // an empty name detaches
  else if (changes.parent !== undefined) attrs.rateParentNodeName = checkNodeName(changes.parent, 'parent');
  return attrs;
}

/** `devlink port function rate`: leaves (one per VF/SF port in switchdev mode) and nodes. */
export class RateApi {
  /** @internal */
  constructor(private readonly core: Core) {}

  /** Every rate object, or those of one device. Equivalent to: devlink port function rate show [DEV] */
  async list(dev?: string, opts: DevlinkCallOptions = {}): Promise<DevlinkRate[]> {
    checkKeys(opts, CALL_KEYS);
    const h = dev === undefined ? undefined : parseDev(dev);
    return (await this.core.dump(CMD.RATE_GET, h, 'devlink.rate.list', opts)).map(toRate);
  }

  /** One rate object by handle. Equivalent to: devlink port function rate show HANDLE */
  async get(handle: string, opts: DevlinkCallOptions = {}): Promise<DevlinkRate> {
    checkKeys(opts, CALL_KEYS);
    const r = parseRate(handle, 'handle');
    const found = (await this.list(devHandle(r), opts)).find((x) => x.handle === handle);
    if (!found) throw this.noRate(handle, r);
    return found;
  }

  private noRate(handle: string, r: ReturnType<typeof parseRate>): ValidationError {
    return new ValidationError('handle', 'portIndex' in r
      ? `port ${handle} has no rate object (only VF/SF ports have one, and only in switchdev mode)`
      : `${handle} is not a rate node of ${devHandle(r)}`);
  }

  /**
   * Sets a leaf's or node's tx_share / tx_max (bit/s or '100mbit') and parent node. A handle
   * without a rate object is a ValidationError.
   * Equivalent to: devlink port function rate set HANDLE tx_share 10mbit tx_max 100mbit parent NODE
   */
  async set(handle: string, changes: RateChanges, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const r = parseRate(handle, 'handle');
    const attrs = rateAttrs(changes, 'rate');
    if (Object.keys(attrs).length === 0) throw new ValidationError('rate', 'nothing to change (give txShare, txMax or parent)');
    // Which handles have a rate object is the driver's and the eswitch mode's business: ask
    // first, so a port without one is bad input rather than a bare EINVAL.
    const existing = await this.core.dump(CMD.RATE_GET, r, 'devlink.rate.set', opts);
    const has = existing.some((a) => ('portIndex' in r ? a.rateNodeName === undefined && a.portIndex === r.portIndex : a.rateNodeName === r.nodeName));
    if (!has) throw this.noRate(handle, r);
    const id = 'portIndex' in r ? { busName: r.busName, devName: r.devName, portIndex: r.portIndex } : { busName: r.busName, devName: r.devName, rateNodeName: r.nodeName };
    await this.core.request(CMD.RATE_SET, { ...id, ...attrs }, 'devlink.rate.set', opts);
  }

  /** Creates a rate node. Equivalent to: devlink port function rate add DEV/NAME [tx_share …] [tx_max …] [parent …] */
  async addNode(dev: string, name: string, settings: RateChanges = {}, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const h = parseDev(dev);
    checkNodeName(name);
    const attrs = rateAttrs(settings, 'settings');
    if (settings.parent === null) delete attrs.rateParentNodeName;
    await this.core.request(CMD.RATE_NEW, { ...h, rateNodeName: name, ...attrs }, 'devlink.rate.addNode', opts);
  }

  /** Deletes a rate node (it must have no children). Equivalent to: devlink port function rate del DEV/NAME */
  async delNode(dev: string, name: string, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const h = parseDev(dev);
    checkNodeName(name);
    await this.core.request(CMD.RATE_DEL, { ...h, rateNodeName: name }, 'devlink.rate.delNode', opts);
  }
}

/** `devlink dev param`. */
export class ParamApi {
  /** @internal */
  constructor(private readonly core: Core) {}

  /**
   * The params of a device (all, or the one named), each with its value per configuration mode.
   * Equivalent to: devlink dev param show DEV [name NAME]
   */
  async get(dev: string, name?: string, opts: DevlinkCallOptions = {}): Promise<DevlinkParam[]> {
    checkKeys(opts, CALL_KEYS);
    const h = parseDev(dev);
    if (name !== undefined) {
      if (typeof name !== 'string' || name === '') throw new ValidationError('name', 'expected a param name');
      const replies = await this.core.request(CMD.PARAM_GET, { ...h, paramName: name }, 'devlink.param.get', opts);
      return replies.map(toParam).filter((p): p is DevlinkParam => p !== undefined);
    }
    return (await this.core.dump(CMD.PARAM_GET, h, 'devlink.param.get', opts)).map(toParam).filter((p): p is DevlinkParam => p !== undefined);
  }

  /**
   * Sets a param's value in one configuration mode. The value is checked against the param's
   * type (read from the device first); a 'driverinit' value takes effect at the next reload.
   * Equivalent to: devlink dev param set DEV name NAME value VALUE cmode CMODE
   */
  async set(dev: string, name: string, value: number | string | boolean, opts: ParamSetOptions): Promise<void> {
    checkKeys(opts, ['signal', 'cmode']);
    const h = parseDev(dev);
    if (opts === undefined || opts.cmode === undefined) throw new ValidationError('cmode', "expected 'runtime', 'driverinit' or 'permanent'");
    const cmode = checkEnum(PARAM_CMODES, opts.cmode, 'cmode');
    if (typeof name !== 'string' || name === '') throw new ValidationError('name', 'expected a param name');
    const [param] = await this.get(dev, name, sig(opts)).catch((err) => {
      if (err instanceof NetlinkError && err.errno === 22) throw new ValidationError('name', `${dev} has no param "${name}" (${err.extack ?? err.code})`);
      throw err;
    });
    if (!param) throw new ValidationError('name', `${dev} has no param "${name}"`);
    if (!param.values.some((v) => v.cmode === opts.cmode)) {
      throw new ValidationError('cmode', `param "${name}" has no '${opts.cmode}' mode (it has: ${param.values.map((v) => v.cmode).join(', ')})`);
    }
    const type = param.type;
    checkParamValue(type, value);
    await this.core.request(CMD.PARAM_SET, { ...h, paramName: name, paramType: PARAM_TYPE[type], paramValueCmode: cmode }, 'devlink.param.set', {
      ...sig(opts),
      extra: (w) => writeParamData(w, type, value),
    });
  }
}

function checkParamValue(type: keyof typeof PARAM_TYPE, value: unknown): void {
  const max = { u8: 0xff, u16: 0xffff, u32: 0xffffffff } as Record<string, number>;
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new ValidationError('value', 'this param is a bool: expected true or false');
  } else if (type === 'string') {
    if (typeof value !== 'string') throw new ValidationError('value', 'this param is a string');
  } else if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max[type]!) {
    throw new ValidationError('value', `this param is a ${type}: expected an integer from 0 to ${max[type]}`);
  }
}

function writeParamData(w: MessageWriter, type: keyof typeof PARAM_TYPE, value: number | string | boolean): void {
  switch (type) {
    case 'bool': if (value) w.flag(A.PARAM_VALUE_DATA, 'value'); return; // absent = false
    case 'u8': w.u8(A.PARAM_VALUE_DATA, value as number, 'value'); return;
    case 'u16': w.u16(A.PARAM_VALUE_DATA, value as number, 'value'); return;
    case 'u32': w.u32(A.PARAM_VALUE_DATA, value as number, 'value'); return;
    case 'string': w.string(A.PARAM_VALUE_DATA, value as string, 'value'); return;
  }
}

/** A reporter is named on a device ('bus/device') or on a port ('bus/device/index'). */
function reporterAttrs(handle: string, reporter: string): DevlinkAttrs {
  const parts = typeof handle === 'string' ? handle.split('/') : [];
  const at = parts.length === 3 ? parsePort(handle, 'handle') : parseDev(handle, 'handle');
  if (typeof reporter !== 'string' || reporter === '') throw new ValidationError('reporter', 'expected a health reporter name');
  return { ...at, healthReporterName: reporter };
}

/** `devlink health`. */
export class HealthApi {
  /** @internal */
  constructor(private readonly core: Core) {}

  /** Every health reporter, or those of one device (its ports' too). Equivalent to: devlink health show [DEV] */
  async list(dev?: string, opts: DevlinkCallOptions = {}): Promise<HealthReporter[]> {
    checkKeys(opts, CALL_KEYS);
    const h = dev === undefined ? undefined : parseDev(dev);
    return (await this.core.dump(CMD.HEALTH_REPORTER_GET, h, 'devlink.health.list', opts)).map(toHealth).filter((r): r is HealthReporter => r !== undefined);
  }

  /** One reporter. Equivalent to: devlink health show DEV reporter NAME */
  async get(handle: string, reporter: string, opts: DevlinkCallOptions = {}): Promise<HealthReporter> {
    checkKeys(opts, CALL_KEYS);
    const [a] = await this.core.request(CMD.HEALTH_REPORTER_GET, reporterAttrs(handle, reporter), 'devlink.health.get', opts);
    const r = a && toHealth(a);
    if (!r) throw new NetlinkError({ errno: 2, operation: 'devlink.health.get', extack: `no reply for reporter ${reporter}` });
    return r;
  }

  /** Changes grace period, auto-recover, auto-dump. Equivalent to: devlink health set DEV reporter NAME grace_period MS auto_recover true */
  async set(handle: string, reporter: string, changes: HealthChanges, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const attrs = reporterAttrs(handle, reporter);
    checkKeys(changes, ['gracePeriodMs', 'autoRecover', 'autoDump'], 'health');
    if (changes.gracePeriodMs !== undefined) {
      if (!Number.isInteger(changes.gracePeriodMs) || changes.gracePeriodMs < 0) throw new ValidationError('gracePeriodMs', 'expected milliseconds ≥ 0');
      attrs.healthReporterGracefulPeriod = changes.gracePeriodMs;
    }
    for (const [k, a] of [['autoRecover', 'healthReporterAutoRecover'], ['autoDump', 'healthReporterAutoDump']] as const) {
      const v = changes[k];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') throw new ValidationError(k, 'expected true or false');
      attrs[a] = v;
    }
    if (Object.keys(attrs).length <= 3 + ('portIndex' in attrs ? 1 : 0)) throw new ValidationError('health', 'nothing to change');
    await this.core.request(CMD.HEALTH_REPORTER_SET, attrs, 'devlink.health.set', opts);
  }

  /** The reporter's diagnosis, as the tree `devlink -j health diagnose` prints. Equivalent to: devlink health diagnose DEV reporter NAME */
  async diagnose(handle: string, reporter: string, opts: DevlinkCallOptions = {}): Promise<FmsgTree> {
    checkKeys(opts, CALL_KEYS);
    return fmsgOf(await this.core.request(CMD.HEALTH_REPORTER_DIAGNOSE, reporterAttrs(handle, reporter), 'devlink.health.diagnose', opts));
  }

  /** Runs the reporter's recovery. Equivalent to: devlink health recover DEV reporter NAME */
  async recover(handle: string, reporter: string, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    await this.core.request(CMD.HEALTH_REPORTER_RECOVER, reporterAttrs(handle, reporter), 'devlink.health.recover', opts);
  }

  /**
   * The reporter's stored dump (taking one if none is stored), as a tree, with its timestamp.
   * Equivalent to: devlink health dump show DEV reporter NAME
   */
  async dump(handle: string, reporter: string, opts: DevlinkCallOptions = {}): Promise<{ tsNs?: bigint; data: FmsgTree }> {
    checkKeys(opts, CALL_KEYS);
    const replies = await this.core.request(CMD.HEALTH_REPORTER_DUMP_GET, reporterAttrs(handle, reporter), 'devlink.health.dump', { ...opts, dump: true });
    // The dump's messages carry only the data; when it was taken is the reporter's to say.
    const ts = (await this.get(handle, reporter, opts)).lastDumpTsNs;
    return { ...(ts !== undefined ? { tsNs: ts } : {}), data: fmsgOf(replies) };
  }

  /** Drops the stored dump. Equivalent to: devlink health dump clear DEV reporter NAME */
  async dumpClear(handle: string, reporter: string, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    await this.core.request(CMD.HEALTH_REPORTER_DUMP_CLEAR, reporterAttrs(handle, reporter), 'devlink.health.dumpClear', opts);
  }
}

/** `devlink trap`. */
export class TrapApi {
  /** @internal */
  constructor(private readonly core: Core) {}

  /** Every packet trap, or those of one device. Equivalent to: devlink trap show [DEV] */
  async list(dev?: string, opts: DevlinkCallOptions = {}): Promise<DevlinkTrap[]> {
    checkKeys(opts, CALL_KEYS);
    const h = dev === undefined ? undefined : parseDev(dev);
    return (await this.core.dump(CMD.TRAP_GET, h, 'devlink.trap.list', opts)).map(toTrap);
  }

  /** Sets what a trap does with packets. Equivalent to: devlink trap set DEV trap NAME action drop */
  async set(dev: string, name: string, changes: { action: 'drop' | 'trap' | 'mirror' }, opts: DevlinkCallOptions = {}): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    const h = parseDev(dev);
    if (typeof name !== 'string' || name === '') throw new ValidationError('name', 'expected a trap name');
    checkKeys(changes, ['action'], 'trap');
    const action = checkEnum(TRAP_ACTIONS, changes?.action, 'action');
    await this.core.request(CMD.TRAP_SET, { ...h, trapName: name, trapAction: action }, 'devlink.trap.set', opts);
  }
}

const EVENT_TYPES: Record<number, [DevlinkEvent['type'], DevlinkEvent['action']]> = {
  [CMD.NEW]: ['dev', 'new'], [CMD.DEL]: ['dev', 'del'],
  [CMD.PORT_NEW]: ['port', 'new'], [CMD.PORT_DEL]: ['port', 'del'],
  [CMD.RATE_NEW]: ['rate', 'new'], [CMD.RATE_DEL]: ['rate', 'del'],
  [CMD.PARAM_NEW]: ['param', 'new'], [CMD.PARAM_DEL]: ['param', 'del'],
  [CMD.TRAP_NEW]: ['trap', 'new'], [CMD.TRAP_DEL]: ['trap', 'del'],
  [CMD.TRAP_GROUP_NEW]: ['trapGroup', 'new'], [CMD.TRAP_GROUP_DEL]: ['trapGroup', 'del'],
  [CMD.REGION_NEW]: ['region', 'new'], [CMD.REGION_DEL]: ['region', 'del'],
  [CMD.HEALTH_REPORTER_RECOVER]: ['health', 'new'],
};

/** Decodes a devlink notification into an event. */
export function decodeDevlinkEvent(buf: Buffer, off: number, len: number, cmd: number): DevlinkEvent {
  const a = decodeDevlink(buf, off, len);
  const [type, action] = EVENT_TYPES[cmd] ?? ['other', 'new'];
  let object: DevlinkEvent['object'] = a;
  if (type === 'dev') object = toDevice(a);
  else if (type === 'port') object = toPort(a);
  else if (type === 'rate') object = toRate(a);
  else if (type === 'param') object = toParam(a) ?? a;
  else if (type === 'trap') object = toTrap(a);
  else if (type === 'health') object = toHealth(a) ?? a;
  return { type, action, cmd, dev: devHandle(a), object };
}

/** devlink over one generic netlink socket. */
export class Devlink extends GenlHandle {
  readonly eswitch: EswitchApi;
  readonly port: PortApi;
  readonly rate: RateApi;
  readonly param: ParamApi;
  readonly health: HealthApi;
  readonly trap: TrapApi;
  private readonly core: Core;

  /** @internal use `nl.devlink.open()` */
  constructor(socket: GenlSocket, family: GenlFamily, private readonly opts: DevlinkOpenOptions) {
    super(socket);
    this.core = new Core(socket, family);
    this.eswitch = new EswitchApi(this.core);
    this.port = new PortApi(this.core);
    this.rate = new RateApi(this.core);
    this.param = new ParamApi(this.core);
    this.health = new HealthApi(this.core);
    this.trap = new TrapApi(this.core);
  }

  /** Every devlink device. Equivalent to: devlink dev show */
  async list(opts: DevlinkCallOptions = {}): Promise<DevlinkDevice[]> {
    checkKeys(opts, CALL_KEYS);
    return (await this.core.request(CMD.GET, {}, 'devlink.list', { ...opts, dump: true })).map(toDevice);
  }

  /** Driver, serial number and firmware versions. Equivalent to: devlink dev info DEV */
  async info(dev: string, opts: DevlinkCallOptions = {}): Promise<DevlinkInfo> {
    checkKeys(opts, CALL_KEYS);
    const [a] = await this.core.request(CMD.INFO_GET, parseDev(dev), 'devlink.info', opts);
    if (!a) throw new NetlinkError({ errno: 19, operation: 'devlink.info', extack: `no reply for ${dev}` });
    return toInfo(a);
  }

  /**
   * Reloads the device (re-initialising the driver, applying 'driverinit' params) and
   * resolves with the actions the kernel performed. Equivalent to: devlink dev reload DEV [action …] [limit …]
   */
  async reload(dev: string, opts: ReloadOptions = {}): Promise<{ actionsPerformed: string[] }> {
    checkKeys(opts, ['signal', 'action', 'limit']);
    // The action is always named: Linux answers with the actions performed only when it is.
    const attrs: DevlinkAttrs = { ...parseDev(dev), reloadAction: checkEnum(RELOAD_ACTIONS, opts.action ?? 'driver_reinit', 'action') };
    let limits: Buffer | undefined;
    if (opts.limit !== undefined) {
      const bit = 1 << checkEnum(RELOAD_LIMITS, opts.limit, 'limit');
      limits = Buffer.alloc(8);
      limits.writeUInt32LE(bit, 0); // value
      limits.writeUInt32LE(bit, 4); // selector
    }
    const replies = await this.core.request(CMD.RELOAD, attrs, 'devlink.reload', {
      ...sig(opts),
      extra: (w) => limits && w.bytes(A.RELOAD_LIMITS, limits, 'limit'),
    });
    return { actionsPerformed: reloadActions(replies.find((r) => r.reloadActionsPerformed !== undefined)?.reloadActionsPerformed) };
  }

  /**
   * devlink notifications (devices, ports, rates, params, traps … appearing and going) as an
   * async iterable on a socket of its own; leaving the loop stops listening.
   * Equivalent to: devlink monitor
   */
  async events(opts: EventStreamOptions = {}): Promise<GenlEventStream<DevlinkEvent>> {
    checkKeys(opts, ['signal', 'highWaterMark']);
    return openEventStream(DEVLINK_GENL_NAME, [DEVLINK_MCGRP_CONFIG], decodeDevlinkEvent, this.opts, opts);
  }
}

/**
 * Opens devlink in the current namespace or `{ netns }` / `{ netnsPid }` (devlink instances
 * belong to a namespace too). Rejects with NetlinkError ENOENT when the kernel has no devlink.
 */
export async function open(opts: DevlinkOpenOptions = {}): Promise<Devlink> {
  checkKeys(opts, SOCKET_OPTION_KEYS);
  const socket = await openGenlSocket(opts);
  try {
    const family = await socket.family(DEVLINK_GENL_NAME);
    return new Devlink(socket, family, opts);
  } catch (err) {
    socket.close();
    throw err;
  }
}
