/**
 * Number ⇄ name tables for rtnetlink enums, spelled as iproute2 prints them
 * (rt_protos, rt_scopes, rt_tables, route types, operstates, link flags).
 */
import { ValidationError } from '../../errors';

/** A two-way table; unknown numbers format as their decimal text, as iproute2 does. */
export class NameTable {
  private readonly byName = new Map<string, number>();
  constructor(private readonly byNumber: ReadonlyMap<number, string>, private readonly what: string) {
    for (const [n, s] of byNumber) this.byName.set(s, n);
  }
  /** Number → name (or the number as text). */
  name(n: number): string {
    return this.byNumber.get(n) ?? String(n);
  }
  /** Name or number → number; throws ValidationError for unknown names or bad numbers. */
  number(v: string | number, field: string, max = 255): number {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > max) throw new ValidationError(field, `${this.what} must be an integer 0–${max}`);
      return v;
    }
    const n = this.byName.get(v);
    if (n !== undefined) return n;
    if (/^\d+$/.test(v)) return this.number(Number(v), field, max);
    throw new ValidationError(field, `unknown ${this.what} ${JSON.stringify(v)} (known: ${[...this.byName.keys()].join(', ')})`);
  }
}

/** Names of the bits set in `bits`, in the table's order, from a [bit, name] table. */
export function bitNames(table: readonly (readonly [number, string])[], bits: number): string[] {
  const out: string[] = [];
  for (const [bit, name] of table) if (bits & bit) out.push(name);
  return out;
}

const table = (entries: [number, string][], what: string) => new NameTable(new Map(entries), what);

/** Route protocols (/etc/iproute2/rt_protos). */
export const routeProtocols = table([
  [0, 'unspec'], [1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [8, 'gated'], [9, 'ra'],
  [10, 'mrt'], [11, 'zebra'], [12, 'bird'], [13, 'dnrouted'], [14, 'xorp'], [15, 'ntk'], [16, 'dhcp'],
  [17, 'mrouted'], [18, 'keepalived'], [42, 'babel'], [99, 'openr'], [186, 'bgp'], [187, 'isis'],
  [188, 'ospf'], [189, 'rip'], [192, 'eigrp'],
], 'route protocol');

/** A name table from a `{ name: number }` object (the numbers code uses by name, too). */
const named = (values: Readonly<Record<string, number>>, what: string) =>
  table(Object.entries(values).map(([name, n]): [number, string] => [n, name]), what);

/** RTPROT_BOOT: what `ip route add` marks routes with unless told otherwise. */
export const RTPROT_BOOT = 3;

/** RT_SCOPE_* (/etc/iproute2/rt_scopes). */
export const RT_SCOPE = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
/** Scope names ⇄ numbers, as `ip` spells them. */
export const scopes = named(RT_SCOPE, 'scope');

/** RTN_* route types. */
export const RTN = {
  unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7,
  prohibit: 8, throw: 9, nat: 10, xresolve: 11,
} as const;
/** Route type names ⇄ numbers. */
export const routeTypes = named(RTN, 'route type');

/** RT_TABLE_* (/etc/iproute2/rt_tables). */
export const RT_TABLE = { unspec: 0, compat: 252, default: 253, main: 254, local: 255 } as const;
/** Table names ⇄ ids (/etc/iproute2/rt_tables' reserved ones). */
export const routeTables = named(RT_TABLE, 'table');

/** RT_TABLE_MAIN, the table `ip route` works on by default. */
export const RT_TABLE_MAIN = RT_TABLE.main;

/** IF_OPER_* (RFC 2863 operstates) as `ip` prints them. */
export const operStates = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

/** Interface flags in the order iproute2 prints them. */
export const IFF = {
  UP: 0x1, BROADCAST: 0x2, DEBUG: 0x4, LOOPBACK: 0x8, POINTOPOINT: 0x10, NOTRAILERS: 0x20,
  RUNNING: 0x40, NOARP: 0x80, PROMISC: 0x100, ALLMULTI: 0x200, MASTER: 0x400, SLAVE: 0x800,
  MULTICAST: 0x1000, PORTSEL: 0x2000, AUTOMEDIA: 0x4000, DYNAMIC: 0x8000, LOWER_UP: 0x10000,
  DORMANT: 0x20000, ECHO: 0x40000,
} as const;

const FLAG_ORDER: (keyof typeof IFF)[] = [
  'LOOPBACK', 'BROADCAST', 'POINTOPOINT', 'MULTICAST', 'NOARP', 'ALLMULTI', 'PROMISC', 'NOTRAILERS',
  'DEBUG', 'DYNAMIC', 'AUTOMEDIA', 'PORTSEL', 'SLAVE', 'MASTER', 'UP', 'LOWER_UP', 'DORMANT', 'ECHO',
];

/** ifi_flags → names as `ip -j link` prints them (NO-CARRIER first when up without carrier). */
export function linkFlagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & IFF.UP && !(flags & IFF.RUNNING)) out.push('NO-CARRIER');
  for (const name of FLAG_ORDER) if (flags & IFF[name]) out.push(name);
  return out;
}

/** ARPHRD_* link types as iproute2 names them (the common ones). */
export const linkTypes = table([
  [1, 'ether'], [24, 'ieee1394'], [32, 'infiniband'], [512, 'ppp'], [768, 'ipip'], [769, 'tunnel6'],
  [772, 'loopback'], [776, 'sit'], [778, 'gre'], [823, 'ip6gre'], [65534, 'none'], [65535, 'void'],
], 'link type');

/** A routing table: an id, a name from rt_tables ('main', 'local', 'default'), or 'all'. */
export type TableRef = number | 'main' | 'local' | 'default' | 'all' | string;

/** Resolves a TableRef to a table id (0 = all tables). */
export function tableId(ref: TableRef | undefined, field = 'table'): number {
  if (ref === undefined) return RT_TABLE_MAIN;
  if (ref === 'all') return 0;
  return routeTables.number(ref, field, 0xffff_ffff);
}
