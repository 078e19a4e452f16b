/**
 * Text output for the `netlinkjs` command: compact, one object per line, in the spirit of
 * `ip -br` / `ip route`. `--json` bypasses this entirely.
 */
import type { Link } from '../rtnl/link-decode';
import type { Address } from '../rtnl/address-decode';
import type { Route } from '../rtnl/route-decode';

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
