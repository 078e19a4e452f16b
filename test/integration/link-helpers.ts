/**
 * Oracle checks for the link tests: what `rt.link.list()` and `rt.bridge.vlan.list()` report
 * must agree with `ip -j -d link show` and `bridge -j vlan show` in the same namespace.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import * as nl from '../../lib/index';
import type { Link, Rtnl } from '../../lib/index';
import { bridgeJson, ipnJson, NetnsPool, uniqueName } from '../helpers/netns';

/** The namespaces and rtnetlink handles of one test; `cleanup()` (in afterEach) releases all. */
export class LinkTestBed {
  private readonly pool = new NetnsPool();
  private readonly handles: Rtnl[] = [];

  /** A fresh namespace with lo up. */
  ns(prefix: string): string {
    return this.pool.add(prefix);
  }

  /** An rtnetlink handle inside `ns`. */
  async open(ns: string): Promise<Rtnl> {
    const rt = await nl.open({ netns: ns });
    this.handles.push(rt);
    return rt;
  }

  /** Closes the handles and removes the namespaces (and everything in them). */
  cleanup(): void {
    for (const h of this.handles.splice(0)) h.close();
    this.pool.cleanup();
  }
}

/** The parts of `ip -j -d link show` the checks read. */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  master?: string;
  link?: string;
  link_netnsid?: number;
  ifalias?: string;
  txqlen?: number;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, any>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, any>;
  };
}

/** `ip -n NS -j -d link show`. */
export function ipLinks(ns: string): IpLink[] {
  return ipnJson<IpLink[]>(ns, '-d', 'link', 'show');
}

// Carrier-derived flags change asynchronously (linkwatch), and M-DOWN is ip's own annotation.
const VOLATILE_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'M-DOWN', 'DORMANT']);
const adminFlags = (flags: string[]) => flags.filter((f) => !VOLATILE_FLAGS.has(f));

/**
 * Per kind: ip's info_data field → a function of our `link.info` giving the same value.
 * Only fields both sides always print are listed.
 */
const KIND_FIELDS: Record<string, Record<string, (info: any) => unknown>> = {
  bridge: {
    stp_state: (i) => (i.stp ? 1 : 0),
    forward_delay: (i) => i.forwardDelayMs / 10,
    ageing_time: (i) => i.ageingTimeMs / 10,
    priority: (i) => i.priority,
    mcast_snooping: (i) => (i.mcastSnooping ? 1 : 0),
  },
  vlan: {
    id: (i) => i.id,
    protocol: (i) => i.protocol,
    flags: (i) => Object.entries(VLAN_FLAG_NAMES).filter(([k]) => i.flags?.[k]).map(([, v]) => v),
    egress_qos: (i) => i.egressQos,
    ingress_qos: (i) => i.ingressQos,
  },
  macvlan: { mode: (i) => i.mode },
  macvtap: { mode: (i) => i.mode },
  vxlan: {
    id: (i) => i.id,
    port: (i) => i.port,
    learning: (i) => i.learning,
    ageing: (i) => i.ageing,
    ttl: (i) => i.ttl,
    local: (i) => i.local,
    remote: (i) => i.remote,
    group: (i) => i.group,
    l2miss: (i) => i.l2miss ?? false,
    l3miss: (i) => i.l3miss ?? false,
    udp_csum: (i) => i.udpCsum,
    port_range: (i) => i.srcPortRange,
  },
  geneve: { id: (i) => i.id, remote: (i) => i.remote, ttl: (i) => i.ttl ?? 0, port: (i) => i.port, df: (i) => i.df, udp_csum: (i) => i.udpCsum },
  gretap: {
    local: (i) => i.local,
    remote: (i) => i.remote,
    ttl: (i) => i.ttl,
    pmtudisc: (i) => i.pmtudisc,
    // iproute2 prints GRE keys as dotted quads.
    ikey: (i) => (i.ikey === undefined ? undefined : dotted(i.ikey)),
    okey: (i) => (i.okey === undefined ? undefined : dotted(i.okey)),
  },
  ipvlan: { mode: (i) => i.mode, private: (i) => i.isolation === 'private', vepa: (i) => i.isolation === 'vepa' },
  ipvtap: { mode: (i) => i.mode },
  bond: {
    mode: (i) => i.mode,
    miimon: (i) => i.miimon,
    updelay: (i) => i.updelay,
    downdelay: (i) => i.downdelay,
    xmit_hash_policy: (i) => i.xmitHashPolicy,
    primary_reselect: (i) => i.primaryReselect,
    fail_over_mac: (i) => i.failOverMac,
    ad_lacp_rate: (i) => i.adLacpRate,
    ad_select: (i) => i.adSelect,
    min_links: (i) => i.minLinks,
    use_carrier: (i) => (i.useCarrier ? 1 : 0),
  },
  vrf: { table: (i) => i.table },
  tun: { type: (i) => i.type, persist: (i) => i.persist },
};

const VLAN_FLAG_NAMES = { reorderHdr: 'REORDER_HDR', gvrp: 'GVRP', looseBinding: 'LOOSE_BINDING', mvrp: 'MVRP', bridgeBinding: 'BRIDGE_BINDING' };
const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** ip's info_slave_data of bond and vrf ports → our `slaveInfo`. */
const SLAVE_FIELDS: Record<string, Record<string, (s: any) => unknown>> = {
  bond: {
    state: (s) => String(s.state).toUpperCase(),
    mii_status: (s) => String(s.miiStatus).toUpperCase(),
    link_failure_count: (s) => s.linkFailureCount,
    perm_hwaddr: (s) => s.permHwaddr,
    queue_id: (s) => s.queueId,
    prio: (s) => s.prio,
  },
  vrf: { table: (s) => s.table },
};

/** ip's info_slave_data (bridge port) field → ours. */
const BRIDGE_PORT_FIELDS: Record<string, (p: any) => unknown> = {
  state: (p) => p.state,
  priority: (p) => p.priority,
  cost: (p) => p.cost,
  hairpin: (p) => p.hairpin,
  guard: (p) => p.guard,
  learning: (p) => p.learning,
  flood: (p) => p.flood,
  mcast_flood: (p) => p.mcastFlood,
  bcast_flood: (p) => p.bcastFlood,
  isolated: (p) => p.isolated,
  neigh_suppress: (p) => p.neighSuppress,
};

/** One link's fields as both sides print them, for a readable diff. */
function comparable(ours: Link | undefined, theirs: IpLink, byName: Map<string, number>): { ours: unknown; ip: unknown } {
  const kind = theirs.linkinfo?.info_kind;
  const ipView: Record<string, unknown> = {
    name: theirs.ifname,
    flags: adminFlags(theirs.flags),
    mtu: theirs.mtu,
    kind,
    master: theirs.master !== undefined ? byName.get(theirs.master) : undefined,
  };
  if (theirs.address !== undefined && theirs.address.length === 17) ipView.address = theirs.address;
  if (theirs.link_netnsid !== undefined) ipView.linkNetnsId = theirs.link_netnsid;
  else if (typeof theirs.link === 'string') ipView.link = byName.get(theirs.link);
  if (theirs.ifalias !== undefined) ipView.alias = theirs.ifalias;
  const ourView: Record<string, unknown> = {
    name: ours?.name,
    flags: ours ? adminFlags(ours.flags) : undefined,
    mtu: ours?.mtu,
    kind: ours?.kind,
    master: ours?.master,
  };
  if ('address' in ipView) ourView.address = ours?.address;
  if ('linkNetnsId' in ipView) ourView.linkNetnsId = ours?.linkNetnsId;
  if ('link' in ipView) ourView.link = ours?.link;
  if ('alias' in ipView) ourView.alias = ours?.alias;
  const fields = kind ? KIND_FIELDS[kind] : undefined;
  const data = theirs.linkinfo?.info_data;
  if (fields && data) {
    for (const [f, get] of Object.entries(fields)) {
      if (data[f] === undefined) continue;
      ipView[`info.${f}`] = data[f];
      ourView[`info.${f}`] = ours?.info ? get(ours.info) : undefined;
    }
  }
  const port = theirs.linkinfo?.info_slave_kind === 'bridge' ? theirs.linkinfo.info_slave_data : undefined;
  if (port) {
    for (const [f, get] of Object.entries(BRIDGE_PORT_FIELDS)) {
      // The STP state moves on its own (carrier changes, forward delay), so two reads taken a
      // moment apart may differ; tests that set a state assert it directly.
      if (port[f] === undefined || f === 'state') continue;
      ipView[`bridgePort.${f}`] = port[f];
      ourView[`bridgePort.${f}`] = ours?.bridgePort ? get(ours.bridgePort) : undefined;
    }
  }
  const slaveKind = theirs.linkinfo?.info_slave_kind;
  const slaveData = theirs.linkinfo?.info_slave_data;
  const slaveFields = slaveKind ? SLAVE_FIELDS[slaveKind] : undefined;
  if (slaveFields && slaveData) {
    for (const [f, get] of Object.entries(slaveFields)) {
      if (slaveData[f] === undefined) continue;
      ipView[`slaveInfo.${f}`] = slaveData[f];
      ourView[`slaveInfo.${f}`] = ours?.slaveInfo ? get(ours.slaveInfo) : undefined;
    }
  }
  return { ours: ourView, ip: ipView };
}

/**
 * Asserts that `links` (from rt.link.list() in namespace `ns`) describe the same links as
 * `ip -d link show` there: names, kinds, masters, parents, admin flags, MTU, addresses,
 * each kind's settings and bridge-port settings.
 */
export function expectLinksAgreeWithIp(links: Link[], ns: string): void {
  const theirs = ipLinks(ns);
  const byName = new Map(theirs.map((l) => [l.ifname, l.ifindex]));
  const ours = new Map(links.map((l) => [l.index, l]));
  expect([...ours.keys()].sort((a, b) => a - b)).toEqual(theirs.map((l) => l.ifindex).sort((a, b) => a - b));
  for (const t of theirs) {
    const { ours: o, ip } = comparable(ours.get(t.ifindex), t, byName);
    expect(o, `link ${t.ifname}`).toEqual(ip);
  }
}

/** `bridge -n NS -j vlan show` as { name → [{ vid, vidEnd?, pvid, untagged }] }. */
export function bridgeVlans(ns: string): Record<string, { vid: number; vidEnd?: number; pvid: boolean; untagged: boolean }[]> {
  const out: Record<string, { vid: number; vidEnd?: number; pvid: boolean; untagged: boolean }[]> = {};
  for (const port of bridgeJson<{ ifname: string; vlans: { vlan: number; vlanEnd?: number; flags?: string[] }[] }[]>(ns, 'vlan', 'show')) {
    out[port.ifname] = port.vlans.map((v) => ({
      vid: v.vlan,
      ...(v.vlanEnd !== undefined ? { vidEnd: v.vlanEnd } : {}),
      pvid: v.flags?.includes('PVID') ?? false,
      untagged: v.flags?.includes('Egress Untagged') ?? false,
    }));
  }
  return out;
}

/** Runs `ping -c 1` inside a namespace; true when a reply came back within `waitSeconds`. */
export function pingFrom(ns: string, address: string, waitSeconds = 3): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'ping', '-n', '-q', '-c', '1', '-W', String(waitSeconds), address], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether this kernel supports VLAN filtering on bridges (CONFIG_BRIDGE_VLAN_FILTERING), probed
 * once with iproute2 in a scratch namespace. Returns the reason when it does not.
 */
let vlanFilteringProbe: string | null | undefined;
export function bridgeVlanFilteringMissing(): string | null {
  if (vlanFilteringProbe !== undefined) return vlanFilteringProbe;
  const ns = uniqueName('probe-brvlan');
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    execFileSync('ip', ['-n', ns, 'link', 'add', 'pbr', 'type', 'bridge', 'vlan_filtering', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    vlanFilteringProbe = null;
  } catch (e) {
    const text = (e as { stderr?: Buffer }).stderr?.toString().trim();
    vlanFilteringProbe = `needs bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING): ip link add type bridge vlan_filtering 1: ${text || (e as Error).message}`;
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* not created */
    }
  }
  return vlanFilteringProbe;
}
