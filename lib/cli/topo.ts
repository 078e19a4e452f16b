/**
 * `netlinkjs topo`: the links of one or more namespaces as a picture — each namespace a box,
 * bridges with their ports beneath them, and cables (veth pairs) drawn between their ends,
 * across namespaces too; each device's root qdisc (kind and rate) beside it, and the
 * namespace's NAT rules (masquerade, snat, dnat, redirect in its nftables ruleset) at the
 * foot of its box. `--dot` prints the same graph for Graphviz instead.
 */
import { open as openNetns } from '../netns/handle';
import { open, type Rtnl } from '../rtnetlink/handle';
import type { Link } from '../rtnetlink/link/link-decode';
import { openNft } from '../nfnetlink/nftables/nft';
import { natRules, type NatRule } from './nft-format';
import { tcRateText } from './tc-format';

/** A device's root qdisc as topo shows it: kind, handle and the rate it shapes to, if any. */
export interface RootQdisc {
  kind: string;
  handle: string;
  /** bit/s: tbf's rate, or the sum of an htb's top-level class ceilings. */
  rate?: number;
}

/** One namespace's links (keyed for peer matching), root qdiscs by ifindex, and NAT rules. */
export interface NsLinks {
  name: string;
  inode: number;
  links: Link[];
  /** Root qdiscs the namespace's owner set (not the kernel's defaults), by ifindex. */
  qdiscs: Record<number, RootQdisc>;
  nat: NatRule[];
}

/** Qdiscs the kernel attaches by itself (handle 0:), which say nothing about the setup. */
const isDefaultQdisc = (handle: string, kind: string) => handle === 'none' || handle === '0:' || kind === 'noqueue';

/** The root qdisc of each device that has one configured, with its rate. */
async function rootQdiscs(rt: Rtnl): Promise<Record<number, RootQdisc>> {
  const out: Record<number, RootQdisc> = {};
  const roots = (await rt.tc.qdisc.list({ names: false })).filter((q) => q.parent === 'root' && !isDefaultQdisc(q.handle, q.kind));
  for (const q of roots) {
    const r: RootQdisc = { kind: q.kind, handle: q.handle };
    const opts = q[q.kind] as Record<string, unknown> | undefined;
    if (q.kind === 'tbf' && typeof opts?.rate === 'number') r.rate = opts.rate;
    if (q.kind === 'htb') {
      const top = (await rt.tc.class.list({ dev: q.index, names: false })).filter((c) => c.parent === 'root');
      const ceils = top.map((c) => {
        const o = c.htb as { rate?: number; ceil?: number } | undefined;
        return o?.ceil ?? o?.rate ?? 0;
      });
      if (ceils.length) r.rate = ceils.reduce((a, b) => a + b, 0);
    }
    out[q.index] = r;
  }
  return out;
}

/** Refusals that mean "no ruleset to show here" (no nf_tables, or not allowed to read it), not a failure of topo. */
const NO_RULESET = new Set(['EPERM', 'EACCES', 'EPROTONOSUPPORT', 'EAFNOSUPPORT', 'EOPNOTSUPP']);

/**
 * The NAT rules of the namespace's ruleset. Reading a ruleset needs CAP_NET_ADMIN while links
 * and qdiscs do not: an unprivileged topo still draws, without NAT.
 */
async function natOf(netns: Parameters<typeof openNft>[0]): Promise<NatRule[]> {
  const nft = await openNft(netns).catch((err) => {
    if (NO_RULESET.has((err as { code?: string }).code ?? '')) return undefined;
    throw err;
  });
  if (!nft) return [];
  try {
    return natRules(await nft.list());
  } catch (err) {
    if (NO_RULESET.has((err as { code?: string }).code ?? '')) return [];
    throw err;
  } finally {
    nft.close();
  }
}

/** The id a cable end is known by across namespaces: namespace inode + ifindex. */
const endKey = (inode: number, index: number) => `${inode}:${index}`;

/** Reads the links of each namespace ('(this)' is the caller's own). */
export async function collect(namespaces: string[]): Promise<NsLinks[]> {
  const out: NsLinks[] = [];
  for (const name of namespaces) {
    const self = name === '(this)';
    // The handle pins the namespace the socket is opened in and gives its inode. Our own is
    // read without joining it (that would need CAP_SYS_ADMIN).
    const ns = openNetns(self ? { pid: process.pid } : name);
    try {
      const where = self ? {} : { netns: ns };
      const rt = await open(where);
      try {
        const [links, qdiscs, nat] = await Promise.all([rt.link.list(), rootQdiscs(rt), natOf(where)]);
        out.push({ name, inode: ns.inode, links, qdiscs, nat });
      } finally {
        rt.close();
      }
    } finally {
      ns.close();
    }
  }
  return out;
}

/**
 * Pairs veth ends. A veth's `link` is its peer's ifindex, in its own namespace when
 * `linkNetnsId` is absent, else in another one: there the peer is the veth whose own `link`
 * points back at this index.
 */
function cables(all: NsLinks[]): Map<string, string> {
  const label = new Map<string, string>();
  for (const ns of all) for (const l of ns.links) label.set(endKey(ns.inode, l.index), `${ns.name}:${l.name}`);
  const peerOf = new Map<string, string>();
  for (const ns of all) {
    for (const l of ns.links) {
      if (l.kind !== 'veth' || l.link === undefined) continue;
      if (l.linkNetnsId === undefined) {
        peerOf.set(endKey(ns.inode, l.index), endKey(ns.inode, l.link));
        continue;
      }
      for (const other of all) {
        if (other === ns) continue;
        const back = other.links.find((o) => o.kind === 'veth' && o.index === l.link && o.link === l.index && o.linkNetnsId !== undefined);
        if (back) peerOf.set(endKey(ns.inode, l.index), endKey(other.inode, back.index));
      }
    }
  }
  const text = new Map<string, string>();
  for (const [a, b] of peerOf) text.set(a, label.get(b) ?? '(another namespace)');
  return text;
}

function describe(l: Link, q?: RootQdisc): string {
  const bits = [l.kind ?? (l.linkType === 'loopback' ? 'loopback' : 'device'), l.up ? 'up' : 'down'];
  if (l.kind === 'vlan' && l.info?.id !== undefined) bits.push(`id ${l.info.id}`);
  if ((l.kind === 'macvlan' || l.kind === 'macvtap') && l.info?.mode) bits.push(l.info.mode);
  if (l.kind === 'vxlan' && l.info?.id !== undefined) bits.push(`vni ${l.info.id}`);
  return `${l.name} (${bits.join(', ')})${q ? ` [${qdiscText(q)}]` : ''}`;
}

/** `qdisc htb 1: 20Mbit`. */
function qdiscText(q: RootQdisc): string {
  return `qdisc ${q.kind} ${q.handle}${q.rate !== undefined ? ` ${tcRateText(q.rate)}` : ''}`;
}

/** `nat: ip nat postrouting: oifname "va" masquerade`. */
function natText(r: NatRule): string {
  return `nat ${r.family} ${r.table} ${r.chain}: ${r.rule}`;
}

/** Draws namespaces as boxes of trees: masters with their ports, cables as `══ ns:peer`. */
export function drawText(all: NsLinks[]): string {
  const peer = cables(all);
  const lines: string[] = [];
  for (const ns of all) {
    const rows: string[] = [];
    const byMaster = new Map<number, Link[]>();
    for (const l of ns.links) if (l.master !== undefined) (byMaster.get(l.master) ?? byMaster.set(l.master, []).get(l.master)!).push(l);
    const tail = (l: Link) => {
      const p = peer.get(endKey(ns.inode, l.index));
      const parent = l.link !== undefined && l.kind !== 'veth' ? ns.links.find((x) => x.index === l.link) : undefined;
      return `${p ? `  ══ ${p}` : ''}${parent ? `  on ${parent.name}` : ''}`;
    };
    for (const l of ns.links) {
      if (l.master !== undefined) continue;
      rows.push(`${describe(l, ns.qdiscs[l.index])}${tail(l)}`);
      const ports = byMaster.get(l.index) ?? [];
      ports.forEach((p, i) => rows.push(`${i === ports.length - 1 ? '└─' : '├─'} ${describe(p, ns.qdiscs[p.index])}${tail(p)}`));
    }
    for (const r of ns.nat) rows.push(natText(r));
    const title = ` ${ns.name} `;
    const width = Math.max(title.length + 2, ...rows.map((r) => r.length + 2));
    lines.push(`┌─${title}${'─'.repeat(width - title.length - 1)}┐`);
    for (const r of rows) lines.push(`│ ${r.padEnd(width - 1)}│`);
    lines.push(`└${'─'.repeat(width)}┘`);
  }
  return lines.join('\n');
}

/** The same graph in Graphviz DOT: a cluster per namespace, edges for ports and cables. */
export function drawDot(all: NsLinks[]): string {
  const peer = cables(all);
  const id = (ns: NsLinks, l: Link) => JSON.stringify(`${ns.name}:${l.name}`);
  const out = ['graph netlinkjs {', '  node [shape=box, fontname="monospace"];'];
  all.forEach((ns, i) => {
    out.push(`  subgraph cluster_${i} {`, `    label=${JSON.stringify(ns.name)};`);
    for (const l of ns.links) out.push(`    ${id(ns, l)} [label=${JSON.stringify(describe(l, ns.qdiscs[l.index]))}];`);
    if (ns.nat.length) {
      // One note per namespace: the NAT rules as a left-aligned list (\l ends a line in DOT).
      const label = ns.nat.map((r) => `${natText(r)}\\l`).join('');
      out.push(`    ${JSON.stringify(`${ns.name}:nat`)} [shape=note, label="${label.replace(/"/g, '\\"')}"];`);
    }
    out.push('  }');
    for (const l of ns.links) {
      const m = l.master !== undefined ? ns.links.find((x) => x.index === l.master) : undefined;
      if (m) out.push(`  ${id(ns, m)} -- ${id(ns, l)};`);
    }
  });
  const seen = new Set<string>();
  for (const [a, b] of peer) {
    const [inode, index] = a.split(':').map(Number);
    const ns = all.find((n) => n.inode === inode)!;
    const from = `${ns.name}:${ns.links.find((l) => l.index === index)!.name}`;
    const edge = [from, b].sort().join('|');
    if (seen.has(edge)) continue;
    seen.add(edge);
    out.push(`  ${JSON.stringify(from)} -- ${JSON.stringify(b)} [style=bold];`);
  }
  out.push('}');
  return out.join('\n');
}
