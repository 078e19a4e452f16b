/**
 * Text output for the `netlinkjs` command: compact, one object per line, in the spirit of
 * `ip -br` / `ip route`. `--json` bypasses this entirely.
 */
import type { Link } from '../rtnetlink/link/link-decode';
import type { Address } from '../rtnetlink/address/address-decode';
import type { Route } from '../rtnetlink/route/route-decode';
import type { Neighbour } from '../rtnetlink/neigh/neigh-decode';
import type { Rule } from '../rtnetlink/rule/rule-decode';
import type { FdbEntry } from '../rtnetlink/neigh/fdb';
import type { BridgeVlanPort } from '../rtnetlink/bridge/vlan';
import type { Nexthop } from '../rtnetlink/nexthop/nexthop';
import type { BridgePort } from '../rtnetlink/bridge/port';

/** Pads columns of rows to equal width. */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** One line per link: index, name(@parent), kind, state, mtu, MAC, master. */
export function formatLinks(links: Link[]): string {
  const byIndex = new Map(links.map((l) => [l.index, l.name]));
  return columns(
    links.map((l) => [
      `${l.index}:`,
      l.link !== undefined && l.linkNetnsId === undefined ? `${l.name}@${byIndex.get(l.link) ?? l.link}` : l.name,
      l.kind ?? '-',
      l.operstate,
      `mtu ${l.mtu}`,
      l.address ?? '',
      l.master !== undefined ? `master ${byIndex.get(l.master) ?? l.master}` : '',
      `<${l.flags.join(',')}>`,
    ]),
  );
}

/** One line per address: link, family, address/prefix, scope, flags. */
export function formatAddresses(addrs: Address[], names: Map<number, string>): string {
  return columns(
    addrs.map((a) => [
      names.get(a.index) ?? String(a.index),
      a.family,
      `${a.address}/${a.prefixLen}${a.peer ? ` peer ${a.peer}` : ''}`,
      `scope ${a.scope}`,
      a.flags.join(' '),
    ]),
  );
}

/** Routes as `ip route` prints them. */
export function formatRoutes(routes: Route[]): string {
  return routes
    .map((r) => {
      const parts: string[] = [];
      if (r.type !== 'unicast') parts.push(r.type);
      parts.push(r.dst);
      if (r.gateway) parts.push(`via ${r.gateway}`);
      if (r.dev) parts.push(`dev ${r.dev}`);
      if (r.tableName !== 'main') parts.push(`table ${r.tableName}`);
      if (r.protocol !== 'boot') parts.push(`proto ${r.protocol}`);
      if (r.scope !== 'global') parts.push(`scope ${r.scope}`);
      if (r.src) parts.push(`src ${r.src}`);
      if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
      for (const hop of r.multipath ?? []) parts.push(`\n\tnexthop${hop.gateway ? ` via ${hop.gateway}` : ''} dev ${hop.dev ?? hop.oif} weight ${hop.weight}`);
      parts.push(...r.flags);
      return parts.join(' ');
    })
    .join('\n');
}

/** Neighbours as `ip neigh` prints them. */
export function formatNeighbours(list: Neighbour[]): string {
  return list
    .map((n) => [n.address, n.dev ? `dev ${n.dev}` : `ifindex ${n.index}`, n.lladdr ? `lladdr ${n.lladdr}` : '', ...n.flags, n.state.join(',').toUpperCase() || 'NONE'].filter(Boolean).join(' '))
    .join('\n');
}

/** Bridge/VXLAN FDB entries as `bridge fdb` prints them. */
export function formatFdb(list: FdbEntry[]): string {
  return list
    .map((e) => {
      const parts = [e.lladdr, `dev ${e.dev ?? e.index}`];
      if (e.vlan !== undefined) parts.push(`vlan ${e.vlan}`);
      if (e.dst) parts.push(`dst ${e.dst}`);
      if (e.vni !== undefined) parts.push(`vni ${e.vni}`);
      if (e.masterName) parts.push(`master ${e.masterName}`);
      parts.push(...e.flags);
      if (e.state !== 'dynamic') parts.push(e.state);
      return parts.join(' ');
    })
    .join('\n');
}

/** Rules as `ip rule` prints them. */
export function formatRules(list: Rule[]): string {
  return list
    .map((r) => {
      const parts = [`${r.priority}:`];
      if (r.flags.includes('not')) parts.push('not');
      parts.push(`from ${r.from ?? 'all'}`);
      if (r.to) parts.push(`to ${r.to}`);
      if (r.fwmark !== undefined) parts.push(`fwmark 0x${r.fwmark.toString(16)}${r.fwmask !== undefined && r.fwmask !== 0xffffffff ? `/0x${r.fwmask.toString(16)}` : ''}`);
      if (r.iif) parts.push(`iif ${r.iif}`);
      if (r.oif) parts.push(`oif ${r.oif}`);
      if (r.action === 'table') parts.push(`lookup ${r.tableName}`);
      else if (r.action === 'goto') parts.push(`goto ${r.goto}`);
      else parts.push(r.action);
      return parts.join(' ');
    })
    .join('\n');
}

/** Bridge VLAN membership as `bridge vlan` prints it. */
export function formatBridgeVlans(list: BridgeVlanPort[]): string {
  const rows: string[][] = [];
  for (const p of list) {
    p.vlans.forEach((v, i) => {
      const vid = v.vidEnd !== undefined && v.vidEnd !== v.vid ? `${v.vid}-${v.vidEnd}` : String(v.vid);
      rows.push([i === 0 ? p.name : '', vid, [v.pvid ? 'PVID' : '', v.untagged ? 'Egress Untagged' : ''].filter(Boolean).join(' ')]);
    });
  }
  return columns(rows);
}

/** Nexthop objects as `ip nexthop` prints them. */
export function formatNexthops(list: Nexthop[]): string {
  return list
    .map((n) => {
      const parts = [`id ${n.id}`];
      if (n.group) {
        parts.push(`group ${n.group.map((m) => (m.weight > 1 ? `${m.id},${m.weight}` : String(m.id))).join('/')}`);
        if (n.type && n.type !== 'mpath') parts.push(`type ${n.type}`);
      }
      if (n.gateway) parts.push(`via ${n.gateway}`);
      if (n.dev ?? n.oif) parts.push(`dev ${n.dev ?? n.oif}`);
      if (n.blackhole) parts.push('blackhole');
      if (n.fdb) parts.push('fdb');
      if (!n.group && n.scope && n.scope !== 'global') parts.push(`scope ${n.scope}`);
      if (n.protocol && n.protocol !== 'unspec') parts.push(`proto ${n.protocol}`);
      parts.push(...n.flags);
      return parts.join(' ');
    })
    .join('\n');
}

/** Bridge ports as `bridge link` prints them (`names` gives a same-namespace peer its name: `vb@va`). */
export function formatBridgePorts(list: BridgePort[], names: Map<number, string> = new Map()): string {
  return list
    .map((p) => {
      const peer = p.link !== undefined && p.linkNetnsId === undefined ? names.get(p.link) : undefined;
      const parts = [`${p.index}:`, `${p.name}${peer ? `@${peer}` : ''}:`, `<${p.flags.join(',')}>`, `mtu ${p.mtu}`];
      if (p.bridge ?? p.master) parts.push(`master ${p.bridge ?? p.master}`);
      if (p.state !== undefined) parts.push(`state ${p.state}`);
      if (p.priority !== undefined) parts.push(`priority ${p.priority}`);
      if (p.cost !== undefined) parts.push(`cost ${p.cost}`);
      return parts.join(' ');
    })
    .join('\n');
}
