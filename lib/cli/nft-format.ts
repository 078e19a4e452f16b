/**
 * `netlinkjs nft`: an nftables JSON document (what `nft -j list ruleset` prints, and what
 * `Nft.list()` returns) printed the way `nft list ruleset` prints it. Statements and
 * expressions this printer does not know are printed as a `# {json}` comment on their rule,
 * never dropped silently.
 */
import type { NftDocument } from '../nfnetlink/nftables/nft';

type Obj = Record<string, any>;

/** Standard chain priorities by name, per family (nft's `priority dstnat`, `filter + 10` …). */
const PRIORITIES: { name: string; value: number; hooks?: string[]; families?: string[]; bridge?: boolean }[] = [
  { name: 'raw', value: -300 },
  { name: 'mangle', value: -150 },
  { name: 'dstnat', value: -100, hooks: ['prerouting'] },
  { name: 'filter', value: 0 },
  { name: 'security', value: 50 },
  { name: 'srcnat', value: 100, hooks: ['postrouting'] },
];
const BRIDGE_PRIORITIES = [
  { name: 'dstnat', value: -300, hooks: ['prerouting'] },
  { name: 'filter', value: -200 },
  { name: 'out', value: 100, hooks: ['output'] },
  { name: 'srcnat', value: 300, hooks: ['postrouting'] },
];

/** A chain priority as nft prints it: a standard name, a name ± offset, or the number. */
export function priorityText(family: string, hook: string | undefined, prio: number): string {
  const table = family === 'bridge' ? BRIDGE_PRIORITIES : family === 'netdev' ? [{ name: 'filter', value: 0 }] : PRIORITIES;
  const usable = table.filter((p) => !p.hooks || (hook !== undefined && p.hooks.includes(hook)));
  const exact = usable.find((p) => p.value === prio);
  if (exact) return exact.name;
  const near = usable.find((p) => Math.abs(prio - p.value) <= 10);
  if (near) return `${near.name} ${prio > near.value ? '+' : '-'} ${Math.abs(prio - near.value)}`;
  return String(prio);
}

/** Meta keys nft prints without the `meta` word. */
const UNQUALIFIED_META = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);
/** Left-hand sides whose string values nft quotes (interface names). */
const QUOTED_META = new Set(['iifname', 'oifname', 'iif', 'oif', 'ibrname', 'obrname', 'ibriport', 'obriport']);

/** How the values of one expression's type print: quoted strings (interface names), hex numbers (marks). */
interface ValueStyle {
  quote?: boolean;
  num?: (n: number) => string;
  /** The data side of a map, when it prints differently from the keys. */
  data?: ValueStyle;
}

const VERDICTS = new Set(['accept', 'drop', 'continue', 'return']);

/** nft's time: `1m`, `30s`, `1h30m`, `1d`. */
export function timeText(seconds: number): string {
  let rest = Math.round(seconds);
  if (rest === 0) return '0s';
  const out: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return out.join('');
}

/** An expression (left or right side, or a statement argument) as nft text. */
export function exprText(e: unknown, style: ValueStyle | boolean = {}): string {
  const st: ValueStyle = typeof style === 'boolean' ? { quote: style } : style;
  if (e === null || e === undefined) return '';
  if (typeof e === 'string') return st.quote ? JSON.stringify(e) : e;
  if (typeof e === 'number') return st.num ? st.num(e) : String(e);
  if (typeof e === 'boolean') return e ? 'exists' : 'missing';
  if (Array.isArray(e)) return e.map((x) => exprText(x, st)).join(',');
  const o = e as Obj;
  const [key] = Object.keys(o);
  if (key && VERDICTS.has(key)) return key;
  if (key === 'jump' || key === 'goto') return `${key} ${o[key].target}`;
  if ('set' in o) {
    const elems = (Array.isArray(o.set) ? o.set : [o.set]).map((x: unknown) =>
      Array.isArray(x) ? `${exprText(x[0], st)} : ${exprText(x[1], st.data ?? st)}` : exprText(x, st));
    return `{ ${elems.join(', ')} }`;
  }
  if ('prefix' in o) return `${exprText(o.prefix.addr)}/${o.prefix.len}`;
  if ('range' in o) return `${exprText(o.range[0], st)}-${exprText(o.range[1], st)}`;
  if ('concat' in o) return o.concat.map((x: unknown) => exprText(x, st)).join(' . ');
  if ('numgen' in o) return `numgen ${o.numgen.mode} mod ${o.numgen.mod}${o.numgen.offset ? ` offset ${o.numgen.offset}` : ''}`;
  if ('jhash' in o) {
    const j = o.jhash;
    return `jhash ${exprText(j.expr)} mod ${j.mod}${j.seed !== undefined ? ` seed 0x${j.seed.toString(16)}` : ''}${j.offset ? ` offset ${j.offset}` : ''}`;
  }
  if ('symhash' in o) return `symhash mod ${o.symhash.mod}${o.symhash.offset ? ` offset ${o.symhash.offset}` : ''}`;
  if ('tcp option' in o) return `tcp option ${o['tcp option'].name}${o['tcp option'].field ? ` ${o['tcp option'].field}` : ''}`;
  if ('exthdr' in o) return `exthdr ${o.exthdr.name}${o.exthdr.field ? ` ${o.exthdr.field}` : ''}`;
  if ('meta' in o) return UNQUALIFIED_META.has(o.meta.key) ? o.meta.key : `meta ${o.meta.key}`;
  if ('payload' in o) {
    if (o.payload.protocol) return `${o.payload.protocol} ${o.payload.field}`;
    return `@${o.payload.base},${o.payload.offset},${o.payload.len}`;
  }
  if ('ct' in o) return ['ct', o.ct.dir, o.ct.family, o.ct.key].filter(Boolean).join(' ');
  if ('fib' in o) return `fib ${[].concat(o.fib.flags ?? []).join(' . ')} ${o.fib.result}`;
  if ('elem' in o) {
    const el = o.elem;
    return `${exprText(el.val, st)}${el.timeout !== undefined ? ` timeout ${timeText(el.timeout)}` : ''}${el.expires !== undefined ? ` expires ${timeText(el.expires)}` : ''}`;
  }
  if ('map' in o) return `${exprText(o.map.key)} map ${exprText(o.map.data, { data: st })}`;
  for (const op of ['&', '|', '^', '<<', '>>']) {
    if (op in o) {
      const inner = styleOf(o[op][0]);
      return `${exprText(o[op][0])} ${op} ${exprText(o[op][1], inner)}`;
    }
  }
  return `# ${JSON.stringify(o)}`;
}

/** How values compared with (or assigned to) `left` print. */
function styleOf(left: unknown): ValueStyle {
  const l = left as Obj | undefined;
  if (!l || typeof l !== 'object') return {};
  if (isMark(l)) return { num: markText };
  if ('meta' in l && QUOTED_META.has(l.meta.key)) return { quote: true };
  if ('ct' in l && l.ct.key === 'helper') return { quote: true };
  if ('fib' in l && (l.fib.result === 'oifname' || l.fib.result === 'iifname')) return { quote: true };
  if ('ct' in l && l.ct.key === 'expiration') return { num: timeText };
  for (const op of ['&', '|', '^']) if (op in l) return styleOf(l[op][0]);
  return {};
}

/** Bitmask-typed left sides, which nft prints with an explicit `==` and as `value / mask`. */
function isFlags(left: unknown): boolean {
  const l = left as Obj | undefined;
  if (!l || typeof l !== 'object') return false;
  if ('ct' in l) return l.ct.key === 'state' || l.ct.key === 'status';
  if ('payload' in l) return l.payload.protocol === 'tcp' && l.payload.field === 'flags';
  return false;
}

function isMark(e: unknown): boolean {
  const o = e as Obj | undefined;
  return !!o && typeof o === 'object' && ((o.meta?.key === 'mark') || (o.ct?.key === 'mark'));
}

const markText = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function natText(kind: string, a: Obj | null, tableFamily: string): string {
  const parts = [kind];
  if (a?.family && tableFamily === 'inet') parts.push(a.family);
  if (a && (a.addr !== undefined || a.port !== undefined)) {
    const addr = a.addr !== undefined ? exprText(a.addr) : '';
    const v6 = a.family === 'ip6' || (typeof a.addr === 'string' && a.addr.includes(':'));
    const host = v6 && a.port !== undefined ? `[${addr}]` : addr;
    parts.push('to', `${host}${a.port !== undefined ? `:${exprText(a.port)}` : ''}`);
  }
  if (a?.flags) parts.push((Array.isArray(a.flags) ? a.flags : [a.flags]).join(','));
  return parts.join(' ');
}

/** Log flags as nft groups them: `tcp sequence,options`, `ip options`, `all`. */
function logFlags(flags: string[]): string {
  const tcp = flags.filter((f) => f.startsWith('tcp ')).map((f) => f.slice(4));
  const rest = flags.filter((f) => !f.startsWith('tcp '));
  return [...(tcp.length ? [`tcp ${tcp.join(',')}`] : []), ...rest].join(' ');
}

/** One statement of a rule's `expr` list as nft text. */
export function statementText(s: Obj, tableFamily: string): string {
  const [kind] = Object.keys(s);
  const v = s[kind!];
  switch (kind) {
    case 'match': {
      const style = styleOf(v.left);
      const l = v.left as Obj;
      // `tcp flags & (syn|ack) == syn` is nft's `tcp flags syn / syn,ack`.
      if (l && typeof l === 'object' && '&' in l && isFlags(l['&'][0]) && v.op === '==') {
        return `${exprText(l['&'][0])} ${exprText(v.right)} / ${exprText(l['&'][1])}`;
      }
      const binop = l && typeof l === 'object' && ['&', '|', '^', '<<', '>>'].some((k) => k in l);
      const single = typeof v.right === 'string';
      const explicit = v.op !== 'in' && (v.op !== '==' || binop || (isFlags(v.left) && single));
      let leftText = exprText(v.left);
      // `ct original saddr` is printed with its address family, which the JSON leaves implicit.
      if (l && typeof l === 'object' && 'ct' in l && !l.ct.family && /^(saddr|daddr)$/.test(l.ct.key) && l.ct.dir) {
        const fam = typeof v.right === 'string' && v.right.includes(':') ? 'ip6' : tableFamily === 'ip6' ? 'ip6' : 'ip';
        leftText = `ct ${l.ct.dir} ${fam} ${l.ct.key}`;
      }
      return `${leftText} ${explicit ? `${v.op} ` : ''}${exprText(v.right, style)}`;
    }
    case 'accept': case 'drop': case 'continue': case 'return': case 'notrack':
      return kind;
    case 'jump': case 'goto':
      return `${kind} ${v.target}`;
    case 'vmap':
      return `${exprText(v.key)} vmap ${exprText(v.data)}`;
    case 'set': {
      const stmts = (v.stmt ?? []).map((x: Obj) => ` ${statementText(x, tableFamily)}`).join('');
      return `${v.op} ${v.set} { ${exprText(v.elem)}${stmts} }`;
    }
    case 'counter':
      if (typeof v === 'string') return `counter name ${JSON.stringify(v)}`;
      return v ? `counter packets ${v.packets} bytes ${v.bytes}` : 'counter';
    case 'masquerade': case 'redirect': {
      const parts: string[] = [kind];
      if (v?.port !== undefined) parts.push('to', `:${exprText(v.port)}`);
      if (v?.flags) parts.push((Array.isArray(v.flags) ? v.flags : [v.flags]).join(','));
      return parts.join(' ');
    }
    case 'snat': case 'dnat':
      return natText(kind, v, tableFamily);
    case 'log': {
      const parts = ['log'];
      if (v?.prefix !== undefined) parts.push('prefix', JSON.stringify(v.prefix));
      if (v?.group !== undefined) parts.push('group', String(v.group));
      if (v?.level !== undefined) parts.push('level', v.level);
      if (v?.snaplen !== undefined) parts.push('snaplen', String(v.snaplen));
      if (v?.['queue-threshold'] !== undefined) parts.push('queue-threshold', String(v['queue-threshold']));
      if (v?.flags) parts.push('flags', logFlags([].concat(v.flags)));
      return parts.join(' ');
    }
    case 'limit': {
      if (typeof v === 'string') return `limit name ${JSON.stringify(v)}`;
      const unit = v.rate_unit && v.rate_unit !== 'packets' ? ` ${v.rate_unit}` : '';
      let t = `limit rate ${v.inv ? 'over ' : ''}${v.rate}${unit}/${v.per}`;
      if (v.burst !== undefined && v.burst !== 5 && v.burst !== 0) t += ` burst ${v.burst} ${v.burst_unit ?? 'packets'}`;
      return t;
    }
    case 'reject': {
      if (!v) return 'reject';
      if (v.type === 'tcp reset') return 'reject with tcp reset';
      // The family's default (port unreachable of its ICMP flavour) is printed as a bare `reject`.
      const dflt = tableFamily === 'ip' ? 'icmp' : tableFamily === 'ip6' ? 'icmpv6' : 'icmpx';
      if ((v.type ?? dflt) === dflt && (v.expr ?? 'port-unreachable') === 'port-unreachable') return 'reject';
      return `reject with ${v.type ?? dflt} ${v.expr ?? 'port-unreachable'}`;
    }
    case 'mangle':
      return `${exprText(v.key)} set ${exprText(v.value, styleOf(v.key))}`;
    case 'quota': {
      if (typeof v === 'string') return `quota name ${JSON.stringify(v)}`;
      const used = v.used ? ` used ${v.used} ${v.used_unit ?? 'bytes'}` : '';
      return `quota ${v.inv ? 'over ' : ''}${v.val} ${v.val_unit ?? 'bytes'}${used}`;
    }
    default:
      return `# ${JSON.stringify(s)}`;
  }
}

/** nft's print order of set flags. */
const SET_FLAG_ORDER = ['constant', 'interval', 'dynamic', 'timeout'];
const flagRank = (f: string) => (SET_FLAG_ORDER.indexOf(f) + 1 || 99);

/** A byte count as nft prints it: the largest unit that divides it (`100 mbytes`). */
function bytesText(n: number): string {
  for (const [unit, size] of [['gbytes', 1024 ** 3], ['mbytes', 1024 ** 2], ['kbytes', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/** A named quota's body: `over 100 mbytes [used 1 kbytes]`. */
function quotaBody(o: Obj): string {
  return `${o.inv ? 'over ' : ''}${bytesText(o.bytes)}${o.used ? ` used ${bytesText(o.used)}` : ''}`;
}

function setLines(kind: 'set' | 'map', s: Obj): string[] {
  const type = Array.isArray(s.type) ? s.type.join(' . ') : s.type;
  const out = [`\t${kind} ${s.name} {`];
  out.push(kind === 'map' ? `\t\ttype ${type} : ${s.map}` : `\t\ttype ${type}`);
  if (s.policy) out.push(`\t\tpolicy ${s.policy}`);
  if (s.size !== undefined) out.push(`\t\tsize ${s.size}`);
  if (s.flags?.length) out.push(`\t\tflags ${[...new Set<string>([].concat(s.flags))].sort((a, b) => flagRank(a) - flagRank(b)).join(',')}`);
  if (s.timeout !== undefined) out.push(`\t\ttimeout ${timeText(s.timeout)}`);
  if (s['gc-interval'] !== undefined) out.push(`\t\tgc-interval ${timeText(s['gc-interval'])}`);
  if (s.elem?.length) {
    const keyStyle: ValueStyle = s.type === 'mark' ? { num: markText } : {};
    const dataStyle: ValueStyle = s.map === 'mark' ? { num: markText } : {};
    const elems = s.elem.map((e: unknown) => (Array.isArray(e) ? `${exprText(e[0], keyStyle)} : ${exprText(e[1], dataStyle)}` : exprText(e, keyStyle)));
    // Concatenated keys get a line each, aligned under the first.
    out.push(`\t\telements = { ${elems.join(Array.isArray(s.type) ? ',\n\t\t\t     ' : ', ')} }`);
  }
  out.push('\t}');
  return out;
}

/** The document as `nft list ruleset` (or `list table …`) prints it. */
export function rulesetText(doc: NftDocument): string {
  const tables: { t: Obj; blocks: string[][] }[] = [];
  // `list chain` / `list set` documents carry no table object; nft still prints the table around them.
  const find = (family: string, name: string) => {
    let t = tables.find((x) => x.t.family === family && x.t.name === name);
    if (!t) tables.push((t = { t: { family, name }, blocks: [] }));
    return t;
  };
  const chains = new Map<string, string[]>();
  for (const item of doc.nftables) {
    const [kind] = Object.keys(item);
    const o = (item as Obj)[kind!] as Obj;
    if (kind === 'table') tables.push({ t: o, blocks: [] });
    else if (kind === 'chain') {
      const block = [`\tchain ${o.name} {`];
      if (o.hook) {
        const dev = o.dev ? ` device ${JSON.stringify(o.dev)}` : '';
        block.push(`\t\ttype ${o.type} hook ${o.hook}${dev} priority ${priorityText(o.family, o.hook, o.prio)}; policy ${o.policy ?? 'accept'};`);
      }
      chains.set(`${o.family}\0${o.table}\0${o.name}`, block);
      find(o.family, o.table).blocks.push(block);
    } else if (kind === 'rule') {
      const block = chains.get(`${o.family}\0${o.table}\0${o.chain}`);
      const text = (o.expr as Obj[]).map((s) => statementText(s, o.family)).join(' ');
      block?.push(`\t\t${text}${o.comment ? ` comment ${JSON.stringify(o.comment)}` : ''}`);
    } else if (kind === 'set' || kind === 'map') {
      find(o.family, o.table).blocks.push(setLines(kind, o));
    } else if (kind === 'counter' || kind === 'quota' || kind === 'limit') {
      const body = kind === 'counter' ? `packets ${o.packets} bytes ${o.bytes}` : kind === 'quota' ? quotaBody(o) : statementText({ limit: o }, o.family).replace(/^limit /, '');
      find(o.family, o.table).blocks.push([`\t${kind} ${o.name} {`, `\t\t${body}`, '\t}']);
    } else if (kind === 'flowtable') {
      find(o.family, o.table).blocks.push([
        `\tflowtable ${o.name} {`,
        `\t\thook ${o.hook} priority ${priorityText(o.family, o.hook, o.prio)}`,
        `\t\tdevices = { ${[].concat(o.dev ?? []).join(', ')} }`,
        '\t}',
      ]);
    }
  }
  for (const block of chains.values()) block.push('\t}');
  const lines: string[] = [];
  for (const { t, blocks } of tables) {
    lines.push(`table ${t.family} ${t.name} {`);
    if (t.flags?.length) lines.push(`\tflags ${[].concat(t.flags).join(',')}`);
    blocks.forEach((b, i) => {
      if (i > 0) lines.push('');
      lines.push(...b);
    });
    lines.push('}');
  }
  return lines.join('\n');
}

/** A NAT statement found in a ruleset: where it is and what it does, as nft text. */
export interface NatRule {
  family: string;
  table: string;
  chain: string;
  /** 'masquerade', 'snat', 'dnat' or 'redirect'. */
  kind: string;
  /** The whole rule as nft prints it. */
  rule: string;
}

/** Every rule of the document that translates addresses (masquerade, snat, dnat, redirect). */
export function natRules(doc: NftDocument): NatRule[] {
  const out: NatRule[] = [];
  for (const item of doc.nftables) {
    const r = (item as Obj).rule as Obj | undefined;
    if (!r) continue;
    const nat = (r.expr as Obj[]).find((s) => ['masquerade', 'snat', 'dnat', 'redirect'].includes(Object.keys(s)[0]!));
    if (!nat) continue;
    const text = (r.expr as Obj[]).filter((s) => !('counter' in s)).map((s) => statementText(s, r.family)).join(' ');
    out.push({ family: r.family, table: r.table, chain: r.chain, kind: Object.keys(nat)[0]!, rule: text });
  }
  return out;
}
