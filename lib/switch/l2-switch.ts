/**
 * `L2Switch`: a learning Ethernet switch in userspace over TAP / macvtap devices.
 *
 *   const sw = new nl.L2Switch({ ageingMs: 300_000 });
 *   sw.addPort(tapA, { vlan: 10 });          // access port, untagged VLAN 10
 *   sw.addPort(tapB, { trunk: [10, 20] });   // 802.1Q trunk
 *
 * It works batch to batch: every 'frames' batch of an ingress port is classified (VLAN),
 * learned (source MAC → port, with ageing) and forwarded (known unicast to its port,
 * broadcast / multicast / unknown unicast flooded to the VLAN's other ports); then each
 * egress port gets ONE `writeSpans` call for all its frames of the batch. Frames that leave
 * in the form they came are written straight out of the ingress arena (no copy, no view);
 * only frames that need a tag pushed or popped, a vnet header added/resized, a checksum
 * completed or a super-frame segmented are assembled in a scratch buffer.
 *
 * vnet_hdr: between two ports with vnet_hdr of the same size, frames — including 64 KiB GSO
 * super-frames with partial checksums — pass untouched. Towards a port without vnet_hdr the
 * switch completes checksums and segments super-frames in software (TCP and UDP_L4).
 *
 * Events: 'portRemoved' (port, error?) when a port's device closes (e.g. it was deleted).
 */
import { EventEmitter } from 'node:events';
import { ValidationError } from '../errors';
import type { FrameBatch } from '../tap/frame-batch';
import { SPAN_ZERO_PREFIX } from '../tap/native-tap';
import { VNET_GSO, VNET_HDR_F_NEEDS_CSUM } from '../tap/vnet-header';
import { parseMac } from '../wire/address';
import { checkVlanId, copyRetagged, ETH_HLEN, isLinkLocalMac, VLAN_HLEN } from './ethernet';
import { ETH_P_8021Q } from '../wire/constants';
import { Fdb, macHi, macLo, type FdbEntry } from './fdb';
import { completeChecksum, segmentedSize, segmentFrame } from './gso';

/** What the switch needs from a device: a Tap satisfies it. */
export interface SwitchDevice {
  readonly name: string;
  /** vnet header bytes in front of every frame (0 = none). */
  readonly vnetHdrSize: number;
  /** All bytes in front of every frame; must equal vnetHdrSize (no packet info). */
  readonly prefixBytes: number;
  readonly kind?: string;
  /** All queues of the device (the switch reads from each; it writes through the device itself). */
  readonly queues?: readonly SwitchDevice[];
  readonly closed?: boolean;
  /** Each batch of frames read from the device (views valid during the call). */
  on(event: 'frames', listener: (batch: FrameBatch) => void): unknown;
  /** The device closed (deleted, or closed by its owner); the switch removes the port. */
  on(event: 'close', listener: (err?: Error) => void): unknown;
  /** Stops delivering batches to `listener` (the switch detaching). */
  off(event: 'frames', listener: (batch: FrameBatch) => void): unknown;
  /** Stops reporting the close to `listener`. */
  off(event: 'close', listener: (err?: Error) => void): unknown;
  /**
   * Writes `count` frames in one native call: `spans` holds (buffer index, offset, length)
   * triples into `buffers`. Returns how many were written or queued.
   */
  writeSpans(buffers: readonly Uint8Array[], spans: Uint32Array, count: number): number;
}

/** Options of {@link L2Switch}. */
export interface L2SwitchOptions {
  /** Learned stations are forgotten after this long without a frame (default 300 000 ms; 0 = never). */
  ageingMs?: number;
  /** Most FDB entries; new stations beyond it are not learned (flooded to) (default 65 536). */
  maxFdbEntries?: number;
  /** Forward 01:80:c2:00:00:0x link-local frames (STP, LACP, LLDP) like a hub (default false, as a bridge does). */
  forwardLinkLocal?: boolean;
  /** Size of the scratch buffer for rewritten frames (default 4 MiB; it grows when a frame needs more). */
  scratchBytes?: number;
}

/** How a port takes part in VLANs, and its behaviour. */
export interface PortOptions {
  /** Name in stats and the FDB (default: the device's name, numbered '-2', '-3' … if taken). */
  name?: string;
  /** Access port: untagged frames belong to this VLAN, tagged ones must carry it (default 1 unless `trunk`). */
  vlan?: number;
  /** Trunk port: these VLANs cross it tagged; frames tagged with any other VLAN are dropped. */
  trunk?: readonly number[];
  /** Trunk port: untagged frames belong to this VLAN, which leaves the port untagged (none → untagged frames are dropped). */
  native?: number;
  /** Send frames back out of the port they came in on (reflective relay, for VEPA-like setups). */
  hairpin?: boolean;
  /** Learn source MACs on this port (default true). */
  learning?: boolean;
  /** Flood unknown unicast to this port (default true; broadcast and multicast always reach members). */
  flood?: boolean;
}

/** Counters of one port. */
export interface PortStats {
  rxFrames: number;
  rxBytes: number;
  /** Frames of this port the switch dropped (VLAN filter, runt, same-port …). */
  rxDrops: number;
  /** Frames the device accepted. */
  txFrames: number;
  /** Frames the device refused (full queue, link down, closed). */
  txDrops: number;
}

/** Why frames were dropped, switch-wide. */
export interface SwitchDrops {
  /** Tagged with a VLAN the port is not a member of. */
  vlan: number;
  /** Untagged on a trunk without a native VLAN. */
  untagged: number;
  /** Shorter than an Ethernet header. */
  runt: number;
  /** The destination is behind the ingress port (and no hairpin). */
  filtered: number;
  /** 802.1D link-local destinations, not forwarded. */
  linkLocal: number;
  /** A multicast source address. */
  badSource: number;
  /** A super-frame that could not be segmented for a port without vnet_hdr. */
  gso: number;
  /** Refused by the egress device. */
  egress: number;
}

/** Counters of the switch. */
export interface L2SwitchStats {
  rxFrames: number;
  rxBatches: number;
  /** Known-unicast frames sent to one port. */
  forwarded: number;
  /** Broadcast, multicast and unknown-unicast frames sent to the VLAN's ports. */
  flooded: number;
  /** Frames accepted by egress devices (a flooded frame counts once per port). */
  txFrames: number;
  drops: SwitchDrops;
  fdbEntries: number;
  /** Stations not learned because the FDB was full. */
  fdbFull: number;
}

const MEMBER_NONE = 0;
const MEMBER_TAGGED = 1;
const MEMBER_UNTAGGED = 2;
const SPAN_CAPACITY = 1024;
const SCRATCH_BUFFER = 1;

/** One port of an {@link L2Switch}. */
export class SwitchPort {
  readonly name: string;
  readonly device: SwitchDevice;
  /** The VLAN untagged frames belong to (0 = none: a trunk without native VLAN). */
  readonly pvid: number;
  /** VLANs that cross the port tagged. */
  readonly tagged: readonly number[];
  readonly hairpin: boolean;
  readonly learning: boolean;
  readonly flood: boolean;
  readonly stats: PortStats = { rxFrames: 0, rxBytes: 0, rxDrops: 0, txFrames: 0, txDrops: 0 };
  /** @internal per-VLAN membership: none / tagged / untagged. */
  readonly member = new Uint8Array(4096);
  /** @internal */ readonly vnet: number;
  /** @internal pending [buffer | flags, offset, length] triples for this batch. */
  spans = new Uint32Array(3 * SPAN_CAPACITY);
  /** @internal */ n = 0;
  /** @internal */ dirty = false;
  /** @internal listeners to remove on detach. */
  readonly detachers: (() => void)[] = [];

  /** @internal made by {@link L2Switch.addPort}. */
  constructor(device: SwitchDevice, name: string, pvid: number, tagged: number[], o: PortOptions) {
    this.device = device;
    this.name = name;
    this.pvid = pvid;
    this.tagged = Object.freeze([...tagged]);
    this.hairpin = o.hairpin === true;
    this.learning = o.learning !== false;
    this.flood = o.flood !== false;
    this.vnet = device.vnetHdrSize;
    for (const v of tagged) this.member[v] = MEMBER_TAGGED;
    if (pvid !== 0) this.member[pvid] = MEMBER_UNTAGGED;
  }
}

/** A learning, VLAN-aware Ethernet switch over TAP/macvtap devices. */
export class L2Switch extends EventEmitter {
  readonly #fdb: Fdb<SwitchPort>;
  readonly #ports: SwitchPort[] = [];
  // Per VLAN: ports that get broadcast/multicast, and those that also get unknown unicast.
  #members: SwitchPort[][] = [];
  #unknown: SwitchPort[][] = [];
  readonly #forwardLinkLocal: boolean;
  #scratch: Buffer;
  #scratchPos = 0;
  // [ingress arena, scratch]: the buffers every writeSpans call refers to.
  readonly #bufs: Uint8Array[];
  readonly #dirty: SwitchPort[] = [];
  readonly #sweeper: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stats: L2SwitchStats = {
    rxFrames: 0,
    rxBatches: 0,
    forwarded: 0,
    flooded: 0,
    txFrames: 0,
    drops: { vlan: 0, untagged: 0, runt: 0, filtered: 0, linkLocal: 0, badSource: 0, gso: 0, egress: 0 },
    fdbEntries: 0,
    fdbFull: 0,
  };

  // The frame being forwarded (fields, not objects: the hot path allocates nothing).
  #fBuf: Uint8Array = new Uint8Array(0);
  #fRaw = 0;
  #fRawLen = 0;
  #fEth = 0;
  #fEthLen = 0;
  #fInVnet = 0;
  #fTagged = false;
  #fPrioTag = false;
  #fVid = 0;
  // Transformed forms of the current frame already built in scratch, keyed by (vnet, tagged).
  #formKeys: number[] = [];
  #formSpans: number[][] = [];
  readonly #segSpans: number[] = [];

  constructor(opts: L2SwitchOptions = {}) {
    super();
    const ageingMs = opts.ageingMs ?? 300_000;
    if (typeof ageingMs !== 'number' || !Number.isFinite(ageingMs) || ageingMs < 0) throw new ValidationError('ageingMs', 'must be a non-negative number of milliseconds');
    const maxFdb = opts.maxFdbEntries ?? 65_536;
    if (!Number.isInteger(maxFdb) || maxFdb < 0) throw new ValidationError('maxFdbEntries', 'must be a non-negative integer');
    const scratchBytes = opts.scratchBytes ?? 4 << 20;
    if (!Number.isInteger(scratchBytes) || scratchBytes < 65_536) throw new ValidationError('scratchBytes', 'must be an integer ≥ 65536');
    this.#fdb = new Fdb(ageingMs, maxFdb);
    this.#forwardLinkLocal = opts.forwardLinkLocal === true;
    this.#scratch = Buffer.allocUnsafeSlow(scratchBytes);
    this.#bufs = [this.#fBuf, this.#scratch];
    if (ageingMs > 0) {
      this.#sweeper = setInterval(() => this.#fdb.sweep(Date.now()), Math.max(1000, Math.min(ageingMs, 60_000)));
      this.#sweeper.unref();
    }
    this.#rebuildVlans();
  }

  /**
   * Attaches `device` as a port and starts reading from every queue it has.
   * Without `vlan`/`trunk` it is an access port of VLAN 1.
   *
   * Equivalent to: ip link set dev DEV master br0 && bridge vlan add dev DEV vid V pvid untagged
   */
  addPort(device: SwitchDevice, opts: PortOptions = {}): SwitchPort {
    if (this.#closed) throw new Error('L2Switch is closed');
    if (device === null || typeof device !== 'object' || typeof device.writeSpans !== 'function') throw new ValidationError('device', 'must be a Tap');
    if (device.kind === 'tun' || device.prefixBytes !== device.vnetHdrSize) {
      throw new ValidationError('device', 'a switch port must carry Ethernet frames without packet info (a TAP or macvtap)');
    }
    if (device.closed) throw new ValidationError('device', `device ${device.name} is closed`);
    if (this.#ports.some((p) => p.device === device)) throw new ValidationError('device', `device ${device.name} is already a port`);
    let name = opts.name;
    if (name === undefined) {
      // Devices in different namespaces may share a name: number the later ones.
      name = device.name;
      for (let n = 2; this.#ports.some((p) => p.name === name); n++) name = `${device.name}-${n}`;
    }
    if (typeof name !== 'string' || name.length === 0) throw new ValidationError('name', 'must be a non-empty string');
    if (this.#ports.some((p) => p.name === name)) throw new ValidationError('name', `a port named ${name} exists`);
    let pvid = 0;
    let tagged: number[] = [];
    if (opts.trunk !== undefined) {
      if (opts.vlan !== undefined) throw new ValidationError('vlan', 'a port is either an access port (vlan) or a trunk (trunk)');
      if (!Array.isArray(opts.trunk) || opts.trunk.length === 0) throw new ValidationError('trunk', 'must be a non-empty array of VLAN ids');
      tagged = [...new Set(opts.trunk.map((v, i) => checkVlanId(v, `trunk[${i}]`)))].sort((a, b) => a - b);
      if (opts.native !== undefined) {
        pvid = checkVlanId(opts.native, 'native');
        if (tagged.includes(pvid)) throw new ValidationError('native', `VLAN ${pvid} cannot be both tagged (trunk) and native`);
      }
    } else {
      if (opts.native !== undefined) throw new ValidationError('native', 'native needs trunk');
      pvid = opts.vlan === undefined ? 1 : checkVlanId(opts.vlan, 'vlan');
    }
    const port = new SwitchPort(device, name, pvid, tagged, opts);
    for (const q of device.queues && device.queues.length > 0 ? device.queues : [device]) {
      const onFrames = (batch: FrameBatch): void => this.#onBatch(port, batch);
      q.on('frames', onFrames);
      port.detachers.push(() => q.off('frames', onFrames));
    }
    const onClose = (err?: Error): void => {
      if (this.removePort(port)) this.emit('portRemoved', port, err);
    };
    device.on('close', onClose);
    port.detachers.push(() => device.off('close', onClose));
    this.#ports.push(port);
    this.#rebuildVlans();
    return port;
  }

  /** Detaches a port (by port or device); the device stays open. Returns false if it was not a port. */
  removePort(which: SwitchPort | SwitchDevice): boolean {
    const i = this.#ports.findIndex((p) => p === which || p.device === which);
    if (i < 0) return false;
    const port = this.#ports[i];
    this.#ports.splice(i, 1);
    for (const d of port.detachers.splice(0)) d();
    port.n = 0;
    this.#fdb.flushPort(port);
    this.#rebuildVlans();
    return true;
  }

  /** The ports, in the order they were added. */
  get ports(): readonly SwitchPort[] {
    return this.#ports;
  }

  /** The current FDB (learned and static stations), sorted by VLAN then MAC. Equivalent to: bridge fdb show br br0 */
  get fdb(): FdbEntry[] {
    return this.#fdb.entries(Date.now());
  }

  /** Pins `mac` on `vlan` to a port (never aged or moved). Equivalent to: bridge fdb add MAC dev DEV vlan V master static */
  addStaticFdb(mac: string, port: SwitchPort | string, vlan = 1): void {
    const p = typeof port === 'string' ? this.#ports.find((x) => x.name === port) : port;
    if (p === undefined || !this.#ports.includes(p)) throw new ValidationError('port', `no such port ${typeof port === 'string' ? port : port.name}`);
    this.#fdb.addStatic(checkVlanId(vlan, 'vlan'), parseMac(mac, 'mac'), p);
  }

  /** Forgets one FDB entry. */
  deleteFdb(mac: string, vlan = 1): boolean {
    return this.#fdb.delete(checkVlanId(vlan, 'vlan'), parseMac(mac, 'mac'));
  }

  /** Switch-wide counters (a snapshot). */
  get stats(): L2SwitchStats {
    return { ...this.#stats, drops: { ...this.#stats.drops }, fdbEntries: this.#fdb.size };
  }

  /** Detaches every port (the devices stay open: close them yourself) and stops ageing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const p of [...this.#ports]) this.removePort(p);
    this.#fdb.clear();
  }

  #rebuildVlans(): void {
    const members: SwitchPort[][] = new Array(4096);
    const unknown: SwitchPort[][] = new Array(4096);
    for (let v = 0; v < 4096; v++) {
      members[v] = [];
      unknown[v] = [];
    }
    for (const p of this.#ports) {
      for (let v = 1; v < 4095; v++) {
        if (p.member[v] === MEMBER_NONE) continue;
        members[v].push(p);
        if (p.flood) unknown[v].push(p);
      }
    }
    this.#members = members;
    this.#unknown = unknown;
  }

  #onBatch(inPort: SwitchPort, batch: FrameBatch): void {
    if (this.#closed) return;
    const buf = batch.buffer;
    const meta = batch.meta;
    const count = batch.count;
    const inVnet = inPort.vnet;
    const fdb = this.#fdb;
    const drops = this.#stats.drops;
    const now = Date.now();
    this.#bufs[0] = buf;
    this.#fBuf = buf;
    this.#fInVnet = inVnet;
    this.#scratchPos = 0;
    this.#stats.rxFrames += count;
    this.#stats.rxBatches++;
    inPort.stats.rxFrames += count;
    for (let i = 0; i < count; i++) {
      const raw = meta[2 * i];
      const rawLen = meta[2 * i + 1];
      const eth = raw + inVnet;
      const ethLen = rawLen - inVnet;
      inPort.stats.rxBytes += ethLen;
      if (ethLen < ETH_HLEN) {
        drops.runt++;
        inPort.stats.rxDrops++;
        continue;
      }
      // VLAN classification.
      let vid: number;
      let tagged = false;
      let prio = false;
      if (((buf[eth + 12] << 8) | buf[eth + 13]) === ETH_P_8021Q) {
        if (ethLen < ETH_HLEN + VLAN_HLEN) {
          drops.runt++;
          inPort.stats.rxDrops++;
          continue;
        }
        tagged = true;
        vid = ((buf[eth + 14] & 0x0f) << 8) | buf[eth + 15];
        if (vid === 0) {
          // A priority tag: the frame belongs to the port's VLAN, the tag is rewritten or popped.
          prio = true;
          vid = inPort.pvid;
        }
        if (vid === 0 || inPort.member[vid] === MEMBER_NONE) {
          drops.vlan++;
          inPort.stats.rxDrops++;
          continue;
        }
      } else {
        vid = inPort.pvid;
        if (vid === 0) {
          drops.untagged++;
          inPort.stats.rxDrops++;
          continue;
        }
      }
      if ((buf[eth + 6] & 1) !== 0) {
        drops.badSource++;
        inPort.stats.rxDrops++;
        continue;
      }
      if (inPort.learning && !fdb.learn(vid, macHi(buf, eth + 6), macLo(buf, eth + 6), inPort, now)) this.#stats.fdbFull++;

      this.#fRaw = raw;
      this.#fRawLen = rawLen;
      this.#fEth = eth;
      this.#fEthLen = ethLen;
      this.#fTagged = tagged;
      this.#fPrioTag = prio;
      this.#fVid = vid;
      if (this.#formKeys.length > 0) {
        this.#formKeys.length = 0;
        this.#formSpans.length = 0;
      }

      if ((buf[eth] & 1) !== 0) {
        if (!this.#forwardLinkLocal && isLinkLocalMac(buf, eth)) {
          drops.linkLocal++;
          inPort.stats.rxDrops++;
          continue;
        }
        this.#flood(this.#members[vid], inPort);
        continue;
      }
      const out = fdb.lookup(vid, macHi(buf, eth), macLo(buf, eth), now);
      if (out === undefined) {
        this.#flood(this.#unknown[vid], inPort);
      } else if (out === inPort && !inPort.hairpin) {
        drops.filtered++;
        inPort.stats.rxDrops++;
      } else {
        this.#stats.forwarded++;
        this.#emit(out);
      }
    }
    this.#flushAll();
  }

  #flood(list: SwitchPort[], inPort: SwitchPort): void {
    this.#stats.flooded++;
    for (let k = 0; k < list.length; k++) {
      const p = list[k];
      if (p !== inPort || inPort.hairpin) this.#emit(p);
    }
  }

  // Queues the current frame for port `out` in the form `out` needs.
  #emit(out: SwitchPort): void {
    const outTagged = out.member[this.#fVid] === MEMBER_TAGGED;
    if (outTagged === this.#fTagged && !this.#fPrioTag) {
      const inVnet = this.#fInVnet;
      if (out.vnet === inVnet) {
        this.#push(out, 0, this.#fRaw, this.#fRawLen);
        return;
      }
      if (inVnet === 0) {
        this.#push(out, SPAN_ZERO_PREFIX, this.#fEth, this.#fEthLen);
        return;
      }
      const b = this.#fBuf;
      const raw = this.#fRaw;
      if (out.vnet === 0 && (b[raw] & VNET_HDR_F_NEEDS_CSUM) === 0 && (b[raw + 1] & 0x7f) === VNET_GSO.NONE) {
        this.#push(out, 0, this.#fEth, this.#fEthLen);
        return;
      }
    }
    this.#emitRewritten(out, outTagged);
  }

  // The slow path: build the frame (or its segments) in scratch, once per distinct form.
  #emitRewritten(out: SwitchPort, outTagged: boolean): void {
    const key = out.vnet * 2 + (outTagged ? 1 : 0);
    const cached = this.#formKeys.indexOf(key);
    if (cached >= 0) {
      const spans = this.#formSpans[cached];
      for (let k = 0; k < spans.length; k += 2) this.#push(out, SCRATCH_BUFFER, spans[k], spans[k + 1]);
      return;
    }
    const b = this.#fBuf;
    const raw = this.#fRaw;
    const inVnet = this.#fInVnet;
    const eth = this.#fEth;
    const ethLen = this.#fEthLen;
    const vid = this.#fVid;
    const tagOp: -1 | 0 | 1 = outTagged === this.#fTagged ? 0 : outTagged ? 1 : -1;
    const delta = tagOp * VLAN_HLEN;
    const outLen = ethLen + delta;
    const flags = inVnet > 0 ? b[raw] : 0;
    const gso = inVnet > 0 ? b[raw + 1] & 0x7f : VNET_GSO.NONE;
    const gsoSize = inVnet > 0 ? b[raw + 4] | (b[raw + 5] << 8) : 0;
    const csumStart = inVnet > 0 ? b[raw + 6] | (b[raw + 7] << 8) : 0;
    const csumOffset = inVnet > 0 ? b[raw + 8] | (b[raw + 9] << 8) : 0;
    const segment = out.vnet === 0 && gso !== VNET_GSO.NONE;
    if (segment && gso !== VNET_GSO.TCPV4 && gso !== VNET_GSO.TCPV6 && gso !== VNET_GSO.UDP_L4) {
      this.#stats.drops.gso++;
      return;
    }
    const need = out.vnet + outLen + (segment ? segmentedSize(outLen, gsoSize) : 0);
    const pos = this.#reserve(need);
    const s = this.#scratch;
    const spans: number[] = [];
    const at = pos + out.vnet;
    copyRetagged(b, eth, ethLen, s, at, tagOp, vid);
    if (outTagged && this.#fPrioTag && tagOp === 0) {
      s[at + 14] = (s[at + 14] & 0xf0) | ((vid >> 8) & 0x0f);
      s[at + 15] = vid & 0xff;
    }
    if (out.vnet > 0) {
      s.fill(0, pos, at);
      if (inVnet > 0) {
        const hdrLen = b[raw + 2] | (b[raw + 3] << 8);
        s[pos] = flags;
        s[pos + 1] = b[raw + 1];
        s.writeUInt16LE(hdrLen === 0 ? 0 : hdrLen + delta, pos + 2);
        s.writeUInt16LE(gsoSize, pos + 4);
        s.writeUInt16LE((flags & VNET_HDR_F_NEEDS_CSUM) !== 0 ? csumStart + delta : csumStart, pos + 6);
        s.writeUInt16LE(csumOffset, pos + 8);
      }
      spans.push(pos, out.vnet + outLen);
    } else if (segment) {
      const seg = this.#segSpans;
      seg.length = 0;
      const end = segmentFrame(s, at, outLen, gsoSize, s, at + outLen, seg);
      if (end < 0) {
        this.#stats.drops.gso++;
        return;
      }
      for (const v of seg) spans.push(v);
    } else {
      if ((flags & VNET_HDR_F_NEEDS_CSUM) !== 0) completeChecksum(s, at + csumStart + delta, csumOffset, at + outLen);
      spans.push(at, outLen);
    }
    this.#formKeys.push(key);
    this.#formSpans.push(spans);
    for (let k = 0; k < spans.length; k += 2) this.#push(out, SCRATCH_BUFFER, spans[k], spans[k + 1]);
  }

  // Room for `n` bytes in scratch. When it is full, everything pending is written first
  // (written frames were copied by the kernel or the write queue), then scratch is reused.
  #reserve(n: number): number {
    if (this.#scratchPos + n > this.#scratch.length) {
      this.#flushAll();
      this.#scratchPos = 0;
      this.#formKeys.length = 0;
      this.#formSpans.length = 0;
      if (n > this.#scratch.length) {
        this.#scratch = Buffer.allocUnsafeSlow(Math.max(n, this.#scratch.length * 2));
        this.#bufs[SCRATCH_BUFFER] = this.#scratch;
      }
    }
    const pos = this.#scratchPos;
    this.#scratchPos = (pos + n + 7) & ~7;
    return pos;
  }

  #push(port: SwitchPort, which: number, off: number, len: number): void {
    if (port.n === SPAN_CAPACITY) this.#flushPort(port);
    const k = 3 * port.n;
    port.spans[k] = which;
    port.spans[k + 1] = off;
    port.spans[k + 2] = len;
    port.n++;
    if (!port.dirty) {
      port.dirty = true;
      this.#dirty.push(port);
    }
  }

  #flushPort(port: SwitchPort): void {
    if (port.n === 0) return;
    const n = port.n;
    port.n = 0;
    const accepted = port.device.closed ? 0 : port.device.writeSpans(this.#bufs, port.spans, n);
    port.stats.txFrames += accepted;
    port.stats.txDrops += n - accepted;
    this.#stats.txFrames += accepted;
    this.#stats.drops.egress += n - accepted;
  }

  #flushAll(): void {
    const dirty = this.#dirty;
    for (let k = 0; k < dirty.length; k++) {
      const p = dirty[k];
      p.dirty = false;
      this.#flushPort(p);
    }
    dirty.length = 0;
  }
}
