/**
 * `nl.ethtool.open()`: ethtool over generic netlink — features (offloads), rings, channels,
 * coalescing, pause, link info/modes/state and the standard statistics groups.
 *
 *   const et = await nl.ethtool.open({ netns: 'h1' });
 *   await et.setFeatures('v0', { 'generic-receive-offload': false });   // ethtool -K v0 gro off
 *   await et.setChannels('v0', { rx: 2, tx: 2 });                        // ethtool -L v0 rx 2 tx 2
 *
 * Devices are named by interface name or ifindex. Driver refusals come back as NetlinkError
 * with the kernel's extack text; bad input is a ValidationError naming the field.
 *
 * @module
 */
import { NetlinkError, ValidationError } from '../../errors';
import { native } from '../../native';
import { checkKeys } from '../../core/options';
import { SOCKET_OPTION_KEYS, type SocketOptions } from '../../core/socket';
import { decodeAttrs, encodeAttrs, forEachAttr, readString, readU64, type Schema } from '../../wire/attributes';
import type { MessageWriter } from '../../wire/message-writer';
import type { GenlFamily } from '../ctrl';
import { GENL_ATTRS_AT } from '../genl-message';
import { openGenlSocket, type GenlSocket } from '../genl-socket';
import { GenlHandle } from '../genl-handle';
import { bitOn, decodeBitset, encodeBitsetChanges, encodeBitsetList, setBits, type Bitset } from './bitset';
import { expandFeatureChanges, featuresView, type FeatureBits, type FeatureState } from './features';
import {
  A_HEADER, CHANNELS_SETTABLE, COALESCE_BOOLS, DUPLEX_NAMES, ETHTOOL_GENL_NAME, FEATURES, FLAG, HEADER, LINKMODES,
  LINK_EXT_STATE_NAMES, MDIX_NAMES, MSG, PAUSE_SETTABLE, PORT_NAMES, REPLY, RINGS_SETTABLE, SS, STATS, STRSET,
  TCP_DATA_SPLIT_NAMES, TRANSCEIVER_NAMES, channelsSchema, coalesceSchema, linkInfoSchema, linkStateSchema, pauseSchema,
  ringsSchema,
} from './schema';

/** A device: interface name or ifindex. */
export type EthtoolDev = string | number;

/** `ethtool -i DEV`: the driver's identity (struct ethtool_drvinfo). */
export interface DriverInfo {
  /** The device's name (also when it was given by ifindex). */
  dev: string;
  /** `driver:` */
  driver: string;
  /** `version:` */
  version: string;
  /** `firmware-version:` */
  firmwareVersion: string;
  /** `bus-info:` */
  busInfo: string;
  /** `expansion-rom-version:` */
  expansionRomVersion: string;
  /** Number of private flags (`supports-priv-flags` when nonzero). */
  privFlags: number;
  /** Number of driver statistics (`supports-statistics` when nonzero). */
  stats: number;
  /** Self-test result count (`supports-test`). */
  testInfoLen: number;
  /** EEPROM dump size (`supports-eeprom-access`). */
  eepromDumpLen: number;
  /** Register dump size (`supports-register-dump`). */
  registerDumpLen: number;
}

/** ETHTOOL_GDRVINFO and sizeof(struct ethtool_drvinfo) (linux/ethtool.h). */
const ETHTOOL_GDRVINFO = 0x00000003;
const DRVINFO_SIZE = 196;

/** The native ioctl (native/ethtool-ioctl.cc): fills `buf`, returns the device's name. */
interface EthtoolNative {
  ethtoolIoctl(fd: number, dev: string | number, cmd: number, buf: Uint8Array): string;
}

/** Options of `nl.ethtool.open()`. */
export interface EthtoolOpenOptions extends SocketOptions {}

/** Options every call accepts. */
export interface EthtoolCallOptions {
  signal?: AbortSignal;
}

/** Ring sizes (`ethtool -g`). */
export interface Rings {
  rx?: number; rxMini?: number; rxJumbo?: number; tx?: number;
  rxBufLen?: number; cqeSize?: number; txPush?: boolean;
  tcpDataSplit?: 'unknown' | 'disabled' | 'enabled';
  /** Pre-set maximums. */
  max: { rx?: number; rxMini?: number; rxJumbo?: number; tx?: number };
}

/** What `setRings` changes (ethtool -G). */
export interface RingsChanges { rx?: number; rxMini?: number; rxJumbo?: number; tx?: number; rxBufLen?: number; cqeSize?: number; txPush?: boolean }

/** Channel counts (`ethtool -l`). */
export interface Channels {
  rx?: number; tx?: number; other?: number; combined?: number;
  max: { rx?: number; tx?: number; other?: number; combined?: number };
}

/** What `setChannels` changes (ethtool -L). */
export interface ChannelsChanges { rx?: number; tx?: number; other?: number; combined?: number }

/** Interrupt coalescing (`ethtool -c`): only what the driver supports is present. */
export interface Coalesce {
  rxUsecs?: number; rxMaxFrames?: number; rxUsecsIrq?: number; rxMaxFramesIrq?: number;
  txUsecs?: number; txMaxFrames?: number; txUsecsIrq?: number; txMaxFramesIrq?: number;
  statsBlockUsecs?: number; useAdaptiveRx?: boolean; useAdaptiveTx?: boolean;
  pktRateLow?: number; rxUsecsLow?: number; rxMaxFramesLow?: number; txUsecsLow?: number; txMaxFramesLow?: number;
  pktRateHigh?: number; rxUsecsHigh?: number; rxMaxFramesHigh?: number; txUsecsHigh?: number; txMaxFramesHigh?: number;
  rateSampleInterval?: number; useCqeModeTx?: boolean; useCqeModeRx?: boolean;
}

/** Pause frame settings (`ethtool -a`), with counters when asked for (`ethtool -I -a`). */
export interface Pause {
  autoneg?: boolean; rx?: boolean; tx?: boolean;
  stats?: { txFrames?: number; rxFrames?: number };
}

/** What `setPause` changes (ethtool -A). */
export interface PauseChanges { autoneg?: boolean; rx?: boolean; tx?: boolean }

/** Port and transceiver (`ethtool DEV`: Port, PHYAD, Transceiver, MDI-X). */
export interface LinkInfo {
  port?: string; phyaddr?: number; transceiver?: string; tpMdix?: string; tpMdixCtrl?: string;
}

/** Speed, duplex and link modes (`ethtool DEV`). */
export interface LinkModes {
  autoneg?: boolean;
  /** Mb/s; undefined when unknown. */
  speed?: number;
  duplex?: 'half' | 'full' | 'unknown';
  lanes?: number;
  /** Link modes the device supports. */
  supported: string[];
  /** Link modes it advertises. */
  advertised: string[];
  /** Link modes the link partner advertises. */
  peer: string[];
}

/** Link detection (`ethtool DEV`: Link detected). */
export interface LinkState {
  link?: boolean; sqi?: number; sqiMax?: number; extState?: string; extSubstate?: number;
}

/** Result of `setFeatures`. */
export interface FeaturesResult {
  /** Kernel feature names whose requested value did not take effect → the value requested. */
  refused: Record<string, boolean>;
  /** Kernel feature names whose active state changed → the new state (requested or not). */
  changed: Record<string, boolean>;
}

/** One standard statistics group: counters by the kernel's names; RMON also has histograms. */
export interface EthtoolStatsGroup {
  [counter: string]: number | { low: number; high: number; value: number }[] | undefined;
  histRx?: { low: number; high: number; value: number }[];
  histTx?: { low: number; high: number; value: number }[];
}

/** Options of `stats()`. */
export interface EthtoolStatsOptions extends EthtoolCallOptions {
  /** Groups to ask for (SS.STATS_STD names: 'eth-phy', 'eth-mac', 'eth-ctrl', 'rmon'). Default all. */
  groups?: readonly string[];
}

const CALL_KEYS = ['signal'];

function checkDev(dev: unknown, field = 'dev'): void {
  if (typeof dev === 'number') {
    if (!Number.isInteger(dev) || dev < 1 || dev > 0x7fffffff) throw new ValidationError(field, 'expected an ifindex (a positive integer) or an interface name');
  } else if (typeof dev !== 'string' || dev.length === 0 || dev.length > 15 || /[\s/:]/.test(dev)) {
    throw new ValidationError(field, 'expected an interface name (1-15 characters, no spaces, "/" or ":") or an ifindex');
  }
}

function writeHeader(w: MessageWriter, type: number, dev: EthtoolDev | undefined, flags: number): void {
  w.nestStart(type, 'dev');
  if (typeof dev === 'number') w.u32(HEADER.DEV_INDEX, dev, 'dev');
  else if (dev !== undefined) w.string(HEADER.DEV_NAME, dev, 'dev');
  if (flags) w.u32(HEADER.FLAGS, flags);
  w.nestEnd();
}

function checkU32(v: unknown, field: string): void {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) throw new ValidationError(field, 'expected an integer from 0 to 4294967295');
}

function checkBool(v: unknown, field: string): void {
  if (typeof v !== 'boolean') throw new ValidationError(field, 'expected true or false');
}

function named<T>(table: Record<number, T>, v: number | undefined): T | undefined {
  return v === undefined ? undefined : table[v] ?? (String(v) as T);
}

/** ethtool over netlink on one socket. */
export class Ethtool extends GenlHandle {
  private readonly strings = new Map<number, Promise<string[]>>();

  /** @internal use `nl.ethtool.open()` */
  constructor(
    socket: GenlSocket,
    private readonly family: GenlFamily,
  ) {
    super(socket);
  }

  private get<T>(cmd: number, dev: EthtoolDev | undefined, flags: number, decode: (buf: Buffer, at: number, end: number) => T, operation: string, signal?: AbortSignal, extra?: (w: MessageWriter) => void): Promise<T> {
    return this.socket.request<T>(this.family, cmd, (w) => {
      writeHeader(w, cmd === MSG.STATS_GET ? STATS.HEADER : A_HEADER, dev, flags);
      extra?.(w);
    }, {
      operation,
      decode: (buf, off, len) => decode(buf, off + GENL_ATTRS_AT, off + len),
      ...(signal ? { signal } : {}),
    }).then((r) => r[0]!);
  }

  private async getSettings<T>(cmd: number, schema: Schema, dev: EthtoolDev, operation: string, opts: EthtoolCallOptions, flags = 0): Promise<T> {
    checkKeys(opts, CALL_KEYS);
    checkDev(dev);
    return this.get(cmd, dev, flags, (buf, at, end) => {
      const a = decodeAttrs<any>(schema, buf, at, end);
      delete a.unknown; // the header (attribute 1) and anything newer than this table
      return a as T;
    }, operation, opts.signal);
  }

  private async setSettings(cmd: number, schema: Schema, dev: EthtoolDev, changes: Record<string, unknown>, settable: readonly string[], bools: ReadonlySet<string>, field: string, operation: string, opts: EthtoolCallOptions): Promise<void> {
    checkKeys(opts, CALL_KEYS);
    checkDev(dev);
    checkKeys(changes, settable, field);
    if (changes === undefined || Object.values(changes).every((v) => v === undefined)) throw new ValidationError(field, 'nothing to change');
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) continue;
      if (bools.has(k)) checkBool(v, `${field}.${k}`);
      else checkU32(v, `${field}.${k}`);
    }
    return this.socket.request(this.family, cmd, (w) => {
      writeHeader(w, A_HEADER, dev, 0);
      encodeAttrs(w, schema, changes, field);
    }, { operation, ...(opts.signal ? { signal: opts.signal } : {}) }).then(() => undefined);
  }

  /**
   * A string set by id (ETHTOOL_MSG_STRSET_GET), global or of one device; cached per handle
   * for global sets.
   */
  async stringSet(id: number, dev?: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<string[]> {
    checkKeys(opts, CALL_KEYS);
    if (dev !== undefined) checkDev(dev);
    checkU32(id, 'id');
    const fetch = () => this.socket.request<string[]>(this.family, MSG.STRSET_GET, (w) => {
      // The header is required even for the global sets (then it names no device).
      writeHeader(w, A_HEADER, dev, 0);
      w.nestStart(STRSET.STRINGSETS);
      w.nestStart(STRSET.STRINGSETS_STRINGSET);
      w.u32(STRSET.STRINGSET_ID, id, 'id');
      w.nestEnd();
      w.nestEnd();
    }, {
      operation: 'ethtool.stringSet',
      decode: (buf, off, len) => decodeStringSet(buf, off + GENL_ATTRS_AT, off + len, id),
      ...(opts.signal ? { signal: opts.signal } : {}),
    }).then((r) => r[0] ?? []);
    if (dev !== undefined) return fetch();
    let p = this.strings.get(id);
    if (!p) {
      p = fetch();
      this.strings.set(id, p);
      p.catch(() => this.strings.delete(id));
    }
    return p;
  }

  /**
   * Every feature as `ethtool -k` names and shows it: `{ 'tcp-segmentation-offload':
   * { active, requested, fixed }, 'tx-tcp-segmentation': …, 'generic-receive-offload': … }`.
   * Equivalent to: ethtool -k DEV
   */
  async features(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<Record<string, FeatureState>> {
    checkKeys(opts, CALL_KEYS);
    checkDev(dev);
    const [names, bits] = await Promise.all([this.stringSet(SS.FEATURES, undefined, opts), this.featureBits(dev, opts.signal)]);
    return featuresView(names, bits);
  }

  /** The FEATURES_GET bitsets (hw, wanted, active, nochange) indexed like the feature string set. */
  private featureBits(dev: EthtoolDev, signal?: AbortSignal): Promise<FeatureBits> {
    return this.get(MSG.FEATURES_GET, dev, FLAG.COMPACT_BITSETS, (buf, at, end) => {
      const sets: Partial<Record<number, Bitset>> = {};
      forEachAttr(buf, at, end, (type, a, n) => {
        if (type >= FEATURES.HW && type <= FEATURES.NOCHANGE) sets[type] = decodeBitset(buf, a, n);
      }, 'ethtool.features');
      const empty = new Uint32Array(0);
      return {
        hw: sets[FEATURES.HW]?.value ?? empty,
        wanted: sets[FEATURES.WANTED]?.value ?? empty,
        active: sets[FEATURES.ACTIVE]?.value ?? empty,
        nochange: sets[FEATURES.NOCHANGE]?.value ?? empty,
      };
    }, 'ethtool.features', signal);
  }

  /**
   * Turns features on or off by `ethtool -K` names (short legacy names like 'tso', the long
   * names `ethtool -k` prints, or kernel feature names). Resolves with what the driver
   * refused (requested but not in effect: fixed features, dependencies) and what changed.
   * Equivalent to: ethtool -K DEV gro off tso on
   */
  async setFeatures(dev: EthtoolDev, changes: Record<string, boolean>, opts: EthtoolCallOptions = {}): Promise<FeaturesResult> {
    checkKeys(opts, CALL_KEYS);
    checkDev(dev);
    const names = await this.stringSet(SS.FEATURES, undefined, opts);
    const wanted = expandFeatureChanges(names, changes);
    if (wanted.size === 0) throw new ValidationError('features', 'nothing to change');
    const replies = await this.socket.request(this.family, MSG.FEATURES_SET, (w) => {
      writeHeader(w, A_HEADER, dev, FLAG.COMPACT_BITSETS);
      encodeBitsetChanges(w, FEATURES.WANTED, wanted, 'features');
    }, {
      operation: 'ethtool.setFeatures',
      decode: (buf, off, len, cmd) => {
        if (cmd !== REPLY.FEATURES_SET_REPLY) return undefined;
        const sets: Partial<Record<number, Bitset>> = {};
        forEachAttr(buf, off + GENL_ATTRS_AT, off + len, (type, a, n) => {
          if (type === FEATURES.WANTED || type === FEATURES.ACTIVE) sets[type] = decodeBitset(buf, a, n);
        }, 'ethtool.setFeatures');
        return sets;
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const result: FeaturesResult = { refused: {}, changed: {} };
    const reply = replies[0];
    // No reply: everything went exactly as requested and nothing else changed.
    if (!reply) return result;
    const w = reply[FEATURES.WANTED];
    const a = reply[FEATURES.ACTIVE];
    for (let i = 0; i < names.length; i++) {
      if (w && bitOn(w.mask, i)) result.refused[names[i]!] = bitOn(w.value, i);
      if (a && bitOn(a.mask, i)) result.changed[names[i]!] = bitOn(a.value, i);
    }
    return result;
  }

  /** Ring sizes and their maximums. Equivalent to: ethtool -g DEV */
  async rings(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<Rings> {
    const a = await this.getSettings<any>(MSG.RINGS_GET, ringsSchema, dev, 'ethtool.rings', opts);
    const { rxMax, rxMiniMax, rxJumboMax, txMax, tcpDataSplit, ...rest } = a;
    const out: Rings = { ...rest, max: clean({ rx: rxMax, rxMini: rxMiniMax, rxJumbo: rxJumboMax, tx: txMax }) };
    if (tcpDataSplit !== undefined) out.tcpDataSplit = named(TCP_DATA_SPLIT_NAMES, tcpDataSplit) as Rings['tcpDataSplit'];
    return out;
  }

  /** Sets ring sizes. Equivalent to: ethtool -G DEV rx N tx N */
  async setRings(dev: EthtoolDev, changes: RingsChanges, opts: EthtoolCallOptions = {}): Promise<void> {
    return this.setSettings(MSG.RINGS_SET, ringsSchema, dev, changes as Record<string, unknown>, RINGS_SETTABLE, new Set(['txPush']), 'rings', 'ethtool.setRings', opts);
  }

  /** Channel counts and their maximums. Equivalent to: ethtool -l DEV */
  async channels(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<Channels> {
    const a = await this.getSettings<any>(MSG.CHANNELS_GET, channelsSchema, dev, 'ethtool.channels', opts);
    const { rxMax, txMax, otherMax, combinedMax, ...rest } = a;
    return { ...rest, max: clean({ rx: rxMax, tx: txMax, other: otherMax, combined: combinedMax }) };
  }

  /** Sets channel counts. Equivalent to: ethtool -L DEV rx N tx N combined N */
  async setChannels(dev: EthtoolDev, changes: ChannelsChanges, opts: EthtoolCallOptions = {}): Promise<void> {
    return this.setSettings(MSG.CHANNELS_SET, channelsSchema, dev, changes as Record<string, unknown>, CHANNELS_SETTABLE, new Set(), 'channels', 'ethtool.setChannels', opts);
  }

  /** Interrupt coalescing parameters the driver supports. Equivalent to: ethtool -c DEV */
  async coalesce(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<Coalesce> {
    return this.getSettings<Coalesce>(MSG.COALESCE_GET, coalesceSchema, dev, 'ethtool.coalesce', opts);
  }

  /**
   * Sets coalescing parameters; one the driver does not support is refused by the kernel
   * (NetlinkError EOPNOTSUPP naming the attribute). Equivalent to: ethtool -C DEV rx-usecs N
   */
  async setCoalesce(dev: EthtoolDev, changes: Coalesce, opts: EthtoolCallOptions = {}): Promise<void> {
    return this.setSettings(MSG.COALESCE_SET, coalesceSchema, dev, changes as Record<string, unknown>, [...coalesceSchema.byName.keys()], COALESCE_BOOLS, 'coalesce', 'ethtool.setCoalesce', opts);
  }

  /**
   * Pause frame settings; `{ stats: true }` adds the pause frame counters where the driver
   * keeps them. Equivalent to: ethtool -a DEV (ethtool -I -a DEV)
   */
  async pause(dev: EthtoolDev, opts: EthtoolCallOptions & { stats?: boolean } = {}): Promise<Pause> {
    checkKeys(opts, ['signal', 'stats']);
    const { stats, ...rest } = opts;
    if (stats !== undefined) checkBool(stats, 'stats');
    return this.getSettings<Pause>(MSG.PAUSE_GET, pauseSchema, dev, 'ethtool.pause', rest, stats ? FLAG.STATS : 0);
  }

  /** Sets pause frame autonegotiation and rx/tx. Equivalent to: ethtool -A DEV rx on tx off */
  async setPause(dev: EthtoolDev, changes: PauseChanges, opts: EthtoolCallOptions = {}): Promise<void> {
    return this.setSettings(MSG.PAUSE_SET, pauseSchema, dev, changes as Record<string, unknown>, PAUSE_SETTABLE, new Set(PAUSE_SETTABLE), 'pause', 'ethtool.setPause', opts);
  }

  /** Port, PHY address, transceiver and MDI-X. Equivalent to: ethtool DEV (those lines) */
  async linkInfo(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<LinkInfo> {
    const a = await this.getSettings<any>(MSG.LINKINFO_GET, linkInfoSchema, dev, 'ethtool.linkInfo', opts);
    return clean({
      port: named(PORT_NAMES, a.port),
      phyaddr: a.phyaddr,
      transceiver: named(TRANSCEIVER_NAMES, a.transceiver),
      tpMdix: named(MDIX_NAMES, a.tpMdix),
      tpMdixCtrl: named(MDIX_NAMES, a.tpMdixCtrl),
    });
  }

  /** Autonegotiation, speed, duplex, lanes and link modes. Equivalent to: ethtool DEV */
  async linkModes(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<LinkModes> {
    checkKeys(opts, CALL_KEYS);
    checkDev(dev);
    return this.get(MSG.LINKMODES_GET, dev, 0, (buf, at, end) => {
      const out: LinkModes = { supported: [], advertised: [], peer: [] };
      forEachAttr(buf, at, end, (type, a, n) => {
        if (type === LINKMODES.AUTONEG && n >= 1) out.autoneg = buf[a] !== 0;
        else if (type === LINKMODES.SPEED && n >= 4) {
          const s = buf.readUInt32LE(a);
          if (s !== 0xffffffff && s !== 0) out.speed = s;
        } else if (type === LINKMODES.DUPLEX && n >= 1) out.duplex = named(DUPLEX_NAMES, buf[a]) as LinkModes['duplex'];
        else if (type === LINKMODES.LANES && n >= 4) out.lanes = buf.readUInt32LE(a);
        else if (type === LINKMODES.OURS || type === LINKMODES.PEER) {
          const b = decodeBitset(buf, a, n);
          const name = (i: number) => b.names.get(i) ?? String(i);
          if (type === LINKMODES.PEER) out.peer = setBits(b.value, b.size).map(name);
          else {
            out.advertised = setBits(b.value, b.size).map(name);
            out.supported = b.mask ? setBits(b.mask, b.size).map(name) : [...out.advertised];
          }
        }
      }, 'ethtool.linkModes');
      return out;
    }, 'ethtool.linkModes', opts.signal);
  }

  /**
   * The driver's identity (`ethtool -i`). Netlink has no message for it, so this is the one
   * ioctl (ETHTOOL_GDRVINFO over SIOCETHTOOL), made on this handle's socket so that it reaches
   * the device in the handle's namespace. Equivalent to: ethtool -i DEV
   */
  async driverInfo(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<DriverInfo> {
    checkKeys(opts, CALL_KEYS);
    checkDev(dev);
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('The operation was aborted');
    const buf = Buffer.alloc(DRVINFO_SIZE);
    let name: string;
    try {
      name = (native() as unknown as EthtoolNative).ethtoolIoctl(this.socket.sock.fd, dev, ETHTOOL_GDRVINFO, buf);
    } catch (err) {
      const e = err as Error & { errno?: number; code?: string };
      if (typeof e.errno !== 'number') throw err;
      throw new NetlinkError({ errno: Math.abs(e.errno), operation: 'ethtool.driverInfo' });
    }
    const str = (at: number) => readString(buf, at, 32);
    const info: DriverInfo = {
      dev: name, driver: str(4), version: str(36), firmwareVersion: str(68), busInfo: str(100), expansionRomVersion: str(132),
      privFlags: buf.readUInt32LE(176), stats: buf.readUInt32LE(180), testInfoLen: buf.readUInt32LE(184),
      eepromDumpLen: buf.readUInt32LE(188), registerDumpLen: buf.readUInt32LE(192),
    };
    return info;
  }

  /** Whether the link is detected (plus signal quality and the reason it is down, where known). Equivalent to: ethtool DEV (Link detected) */
  async linkState(dev: EthtoolDev, opts: EthtoolCallOptions = {}): Promise<LinkState> {
    const a = await this.getSettings<any>(MSG.LINKSTATE_GET, linkStateSchema, dev, 'ethtool.linkState', opts);
    return clean({ link: a.link, sqi: a.sqi, sqiMax: a.sqiMax, extState: named(LINK_EXT_STATE_NAMES, a.extState), extSubstate: a.extSubstate });
  }

  /**
   * The standard statistics groups the driver reports (IEEE 802.3 PHY/MAC/MAC-control, RMON),
   * by group name, each counter by the kernel's name. A driver without them yields {}.
   * Equivalent to: ethtool -S DEV --all-groups
   */
  async stats(dev: EthtoolDev, opts: EthtoolStatsOptions = {}): Promise<Record<string, EthtoolStatsGroup>> {
    checkKeys(opts, ['signal', 'groups']);
    checkDev(dev);
    const groupNames = await this.stringSet(SS.STATS_STD, undefined, opts.signal ? { signal: opts.signal } : {});
    const groups = opts.groups ?? groupNames;
    if (!Array.isArray(groups) || groups.length === 0) throw new ValidationError('groups', 'expected a non-empty list of group names');
    groups.forEach((g, i) => {
      if (!groupNames.includes(g)) throw new ValidationError(`groups[${i}]`, `unknown statistics group "${String(g)}" (known: ${groupNames.join(', ')})`);
    });
    type RawGroup = { id: number; ssId: number; stats: Map<number, number>; histRx: Hist[]; histTx: Hist[] };
    const raw = await this.get<RawGroup[]>(MSG.STATS_GET, dev, 0, (buf, at, end) => {
      const out: RawGroup[] = [];
      forEachAttr(buf, at, end, (type, a, n) => {
        if (type === STATS.GRP) out.push(decodeStatsGroup(buf, a, a + n));
      }, 'ethtool.stats');
      return out;
    }, 'ethtool.stats', opts.signal, (w) => encodeBitsetList(w, STATS.GROUPS, groups, 'groups'));
    const result: Record<string, EthtoolStatsGroup> = {};
    for (const g of raw) {
      const counterNames = await this.stringSet(g.ssId, undefined, opts.signal ? { signal: opts.signal } : {});
      const group: EthtoolStatsGroup = {};
      for (const [i, v] of g.stats) group[counterNames[i] ?? String(i)] = v;
      if (g.histRx.length) group.histRx = g.histRx;
      if (g.histTx.length) group.histTx = g.histTx;
      // Linux sends a group for every one asked for; one without counters is one the driver lacks.
      if (Object.keys(group).length === 0) continue;
      result[groupNames[g.id] ?? String(g.id)] = group;
    }
    return result;
  }
}

type Hist = { low: number; high: number; value: number };

function decodeStatsGroup(buf: Buffer, off: number, end: number) {
  const g = { id: -1, ssId: -1, stats: new Map<number, number>(), histRx: [] as Hist[], histTx: [] as Hist[] };
  forEachAttr(buf, off, end, (type, a, n) => {
    if (type === STATS.GRP_ID && n >= 4) g.id = buf.readUInt32LE(a);
    else if (type === STATS.GRP_SS_ID && n >= 4) g.ssId = buf.readUInt32LE(a);
    else if (type === STATS.GRP_STAT) {
      // One counter per nest, its attribute type being the counter's index in the group's set.
      forEachAttr(buf, a, a + n, (idx, sa, sn) => {
        if (sn >= 8) g.stats.set(idx, readU64(buf, sa));
      }, 'ethtool.stats.stat');
    } else if (type === STATS.GRP_HIST_RX || type === STATS.GRP_HIST_TX) {
      const h: Hist = { low: 0, high: 0, value: 0 };
      forEachAttr(buf, a, a + n, (t, ha, hn) => {
        if (t === STATS.GRP_HIST_BKT_LOW && hn >= 4) h.low = buf.readUInt32LE(ha);
        else if (t === STATS.GRP_HIST_BKT_HI && hn >= 4) h.high = buf.readUInt32LE(ha);
        else if (t === STATS.GRP_HIST_VAL && hn >= 8) h.value = readU64(buf, ha);
      }, 'ethtool.stats.hist');
      (type === STATS.GRP_HIST_RX ? g.histRx : g.histTx).push(h);
    }
  }, 'ethtool.stats.group');
  return g;
}

/** Decodes the strings of set `id` from a STRSET_GET reply's attributes. */
export function decodeStringSet(buf: Buffer, at: number, end: number, id: number): string[] {
  const out: string[] = [];
  forEachAttr(buf, at, end, (type, a, n) => {
    if (type !== STRSET.STRINGSETS) return;
    forEachAttr(buf, a, a + n, (_t, sa, sn) => {
      let setId = -1;
      const strings: [number, string][] = [];
      forEachAttr(buf, sa, sa + sn, (st, xa, xn) => {
        if (st === STRSET.STRINGSET_ID && xn >= 4) setId = buf.readUInt32LE(xa);
        else if (st === STRSET.STRINGSET_STRINGS) {
          forEachAttr(buf, xa, xa + xn, (_s, ya, yn) => {
            let index = -1;
            let value = '';
            forEachAttr(buf, ya, ya + yn, (f, za, zn) => {
              if (f === STRSET.STRING_INDEX && zn >= 4) index = buf.readUInt32LE(za);
              else if (f === STRSET.STRING_VALUE) value = readString(buf, za, zn);
            }, 'ethtool.string');
            if (index >= 0) strings.push([index, value]);
          }, 'ethtool.strings');
        }
      }, 'ethtool.stringset');
      if (setId === id) for (const [i, v] of strings) out[i] = v;
    }, 'ethtool.stringsets');
  }, 'ethtool.strset');
  for (let i = 0; i < out.length; i++) out[i] ??= '';
  return out;
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Opens ethtool over netlink in the current namespace or `{ netns }` / `{ netnsPid }`. */
export async function open(opts: EthtoolOpenOptions = {}): Promise<Ethtool> {
  checkKeys(opts, SOCKET_OPTION_KEYS);
  const socket = await openGenlSocket(opts);
  try {
    const family = await socket.family(ETHTOOL_GENL_NAME);
    return new Ethtool(socket, family);
  } catch (err) {
    socket.close();
    throw err;
  }
}

