#!/usr/bin/env node
/**
 * `netlinkjs`: the read side of `ip` / `bridge` / `tc` / `nft` / `conntrack` / `devlink` /
 * `ethtool`, over this library, plus `topo`. Every command takes `-n NS`; `-j` prints JSON
 * (for tc, nft, devlink and `ethtool -k`, the JSON the peer tool prints).
 *
 *   netlinkjs [-n NS] [-j] [-4|-6] link [NAME]
 *   netlinkjs [-n NS] [-j] [-4|-6] addr [dev NAME]
 *   netlinkjs [-n NS] [-j] [-4|-6] route [table T|all] [dev NAME]
 *   netlinkjs [-n NS] [-j] [-4|-6] neigh|rule|fdb|vlan [dev NAME]
 *   netlinkjs [-n NS] [-j] [-s] qdisc|class [dev NAME]; filter dev NAME [parent P]
 *   netlinkjs [-n NS] [-j] nft [list ruleset | list table [FAMILY] NAME | list chain FAMILY TABLE NAME]
 *   netlinkjs [-n NS] [-j] conntrack [-L] [-o extended]
 *   netlinkjs [-n NS] [-j] devlink dev|port [show [DEV]]
 *   netlinkjs [-n NS] [-j] ethtool [-k|-l|-g] DEV
 *   netlinkjs [-n NS] [-j] nexthop | bridge link
 *   netlinkjs topo [NS …] [--all] [--dot]
 */
import { open, type Rtnl } from '../rtnetlink/handle';
import { NetlinkError, ValidationError } from '../errors';
import { list as listNetns } from '../netns/netns';
import { openNft } from '../nfnetlink/nftables/nft';
import { open as openConntrack } from '../nfnetlink/conntrack/conntrack';
import { open as openDevlink } from '../genetlink/devlink/devlink';
import { open as openEthtool } from '../genetlink/ethtool/ethtool';
import { formatAddresses, formatBridgePorts, formatBridgeVlans, formatFdb, formatLinks, formatNeighbours, formatNexthops, formatRoutes, formatRules } from './format';
import { classesJson, classesText, filtersJson, filtersText, qdiscsJson, qdiscsText } from './tc-format';
import { rulesetText } from './nft-format';
import { conntrackText } from './conntrack-format';
import { devicesJson, devicesText, portsJson, portsText } from './devlink-format';
import { channelsText, featuresJson, featuresText, ringsText, settingsText } from './ethtool-format';
import { collect, drawDot, drawText } from './topo';

/** Parsed global options and the command words. */
interface Cli {
  netns?: string;
  json: boolean;
  family?: 'inet' | 'inet6';
  /** `-s`: statistics (tc). */
  stats: boolean;
  dot: boolean;
  all: boolean;
  words: string[];
}

const USAGE = `usage: netlinkjs [-n NS] [-j|--json] [-s] [-4|-6] COMMAND
  link [NAME]                    links (ip link show)
  addr [dev NAME]                addresses (ip addr show)
  route [table T|all] [dev NAME] routes (ip route show)
  neigh [dev NAME]               ARP/NDP entries (ip neigh show)
  rule                           policy routing rules (ip rule show)
  fdb [dev NAME]                 bridge and VXLAN FDB (bridge fdb show)
  vlan [dev NAME]                bridge VLAN membership (bridge vlan show)
  bridge link [dev NAME]         bridge ports (bridge link show)
  nexthop [dev NAME]             nexthop objects (ip nexthop show)
  qdisc [dev NAME]               queueing disciplines (tc qdisc show; -s for statistics)
  class [dev NAME]               classes (tc class show)
  filter dev NAME [parent P]     filters (tc filter show)
  nft [list ruleset|table [FAMILY] NAME|chain FAMILY TABLE NAME]
                                 the nftables ruleset (nft list ruleset; -j as nft -j)
  conntrack [-o extended]        connection tracking table (conntrack -L)
  devlink dev|port [show [DEV]]  devlink devices and ports (devlink dev/port show)
  ethtool [-k|-l|-g] DEV         link settings, features, channels, rings (ethtool)
  topo [NS ...] [--all] [--dot]  draw the links, qdiscs and NAT of namespaces (default: this one)`;

function parse(argv: string[]): Cli {
  const cli: Cli = { json: false, stats: false, dot: false, all: false, words: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-n' || a === '--netns') cli.netns = argv[++i];
    else if (a === '-j' || a === '--json') cli.json = true;
    else if (a === '-s' || a === '--stats') cli.stats = true;
    else if (a === '-4') cli.family = 'inet';
    else if (a === '-6') cli.family = 'inet6';
    else if (a === '--dot') cli.dot = true;
    else if (a === '--all') cli.all = true;
    else if (a === '-h' || a === '--help') cli.words.unshift('help');
    else cli.words.push(a);
  }
  return cli;
}

/** Value after `key` in words (`table 100` → '100'). */
function option(words: string[], key: string): string | undefined {
  const i = words.indexOf(key);
  return i >= 0 ? words[i + 1] : undefined;
}

type Command = (rt: Rtnl, cli: Cli, args: string[]) => Promise<unknown>;

const commands: Record<string, { run: Command; text: (data: any, rt: Rtnl) => Promise<string> | string }> = {
  link: {
    run: async (rt, _cli, args) => {
      const name = args.find((a) => a !== 'show' && a !== 'dev');
      return name ? [await rt.link.get(name)] : rt.link.list();
    },
    text: (links) => formatLinks(links),
  },
  addr: {
    run: (rt, cli, args) => {
      const dev = option(args, 'dev');
      return rt.address.list({ ...(dev ? { dev } : {}), ...(cli.family ? { family: cli.family } : {}) });
    },
    text: async (addrs, rt) => formatAddresses(addrs, await rt.link.names()),
  },
  route: {
    run: (rt, cli, args) => {
      const table = option(args, 'table');
      const dev = option(args, 'dev');
      return rt.route.list({
        ...(table ? { table } : {}),
        ...(dev ? { dev } : {}),
        ...(cli.family ? { family: cli.family } : {}),
      });
    },
    text: (routes) => formatRoutes(routes),
  },
  neigh: {
    run: (rt, cli, args) => {
      const dev = option(args, 'dev');
      return rt.neigh.list({ ...(dev ? { dev } : {}), ...(cli.family ? { family: cli.family } : {}) });
    },
    text: (list) => formatNeighbours(list),
  },
  rule: {
    run: (rt, cli) => rt.rule.list(cli.family ? { family: cli.family } : {}),
    text: (list) => formatRules(list),
  },
  fdb: {
    run: (rt, _cli, args) => {
      const dev = option(args, 'dev');
      return rt.fdb.list(dev ? { dev } : {});
    },
    text: (list) => formatFdb(list),
  },
  vlan: {
    run: (rt, _cli, args) => {
      const dev = option(args, 'dev');
      return rt.bridge.vlan.list(dev ? { dev } : {});
    },
    text: (list) => formatBridgeVlans(list),
  },
};
commands.address = commands.addr!;
commands.neighbour = commands.neigh!;
commands.r = commands.route!;
commands.l = commands.link!;
commands.a = commands.addr!;

/** Options every family's handle is opened with: the namespace of `-n`. */
const nsOpts = (cli: Cli) => (cli.netns ? { netns: cli.netns } : {});

/** JSON as the peer tools print it: bigints as numbers when exact, byte buffers left out. */
function json(data: unknown): string {
  return JSON.stringify(data, (_k, v) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v?.type === 'Buffer') return undefined;
    return v;
  });
}

/** Drops tc's / devlink's optional `show` / `list` verb. */
const verbless = (args: string[]) => (args[0] === 'show' || args[0] === 'list' || args[0] === 'ls' ? args.slice(1) : args);

/** A command that opens its own handle and returns the whole output. */
type Printer = (cli: Cli, args: string[]) => Promise<string>;

async function withRtnl<T>(cli: Cli, fn: (rt: Rtnl) => Promise<T>): Promise<T> {
  const rt = await open(nsOpts(cli));
  try {
    return await fn(rt);
  } finally {
    rt.close();
  }
}

/** `nft list …` words → the library's list filter (nft's default family is ip). */
function nftFilter(args: string[]): { family?: string; table?: string; chain?: string; set?: string } {
  const w = verbless(args);
  const [what, ...rest] = w;
  if (what === undefined || what === 'ruleset') return rest[0] ? { family: rest[0] } : {};
  if (what === 'table') return rest.length >= 2 ? { family: rest[0], table: rest[1] } : { family: 'ip', table: rest[0] };
  if (what === 'chain' || what === 'set') {
    const [family, table, name] = rest.length >= 3 ? rest : ['ip', ...rest];
    return { family, table, [what]: name };
  }
  throw new ValidationError('nft', `cannot list ${JSON.stringify(what)} (ruleset, table, chain or set)`);
}

const printers: Record<string, Printer> = {
  qdisc: (cli, args) => withRtnl(cli, async (rt) => {
    const dev = option(verbless(args), 'dev');
    const list = await rt.tc.qdisc.list(dev ? { dev } : {});
    const o = { dev, stats: cli.stats };
    return cli.json ? json(qdiscsJson(list, o)) : qdiscsText(list, o);
  }),
  class: (cli, args) => withRtnl(cli, async (rt) => {
    const dev = option(verbless(args), 'dev');
    const list = await rt.tc.class.list(dev ? { dev } : {});
    const o = { dev, stats: cli.stats };
    return cli.json ? json(classesJson(list, o)) : classesText(list, o);
  }),
  filter: (cli, args) => withRtnl(cli, async (rt) => {
    const w = verbless(args);
    const dev = option(w, 'dev');
    if (!dev) throw new ValidationError('dev', 'filter needs "dev NAME" (as tc filter show)');
    const parent = option(w, 'parent') ?? (w.includes('ingress') ? 'ingress' : w.includes('egress') ? 'egress' : w.includes('root') ? 'root' : undefined);
    const chain = option(w, 'chain');
    const list = await rt.tc.filter.list({ dev, ...(parent ? { parent } : {}), ...(chain ? { chain: Number(chain) } : {}) });
    return cli.json ? json(filtersJson(list, { dev })) : filtersText(list, { dev });
  }),
  nft: async (cli, args) => {
    const filter = nftFilter(args);
    const nft = await openNft(nsOpts(cli));
    try {
      const doc = await nft.list(filter);
      return cli.json ? json(doc) : rulesetText(doc);
    } finally {
      nft.close();
    }
  },
  conntrack: async (cli, args) => {
    const extended = (option(args, '-o') ?? '').split(',').includes('extended');
    const ct = await openConntrack(nsOpts(cli));
    try {
      const list = await ct.list();
      return cli.json ? json(list) : conntrackText(list, extended);
    } finally {
      ct.close();
    }
  },
  devlink: async (cli, args) => {
    const [object, ...rest] = args;
    const dev = verbless(rest)[0];
    if (object !== 'dev' && object !== 'port') throw new ValidationError('devlink', 'expected "dev" or "port"');
    const dl = await openDevlink(nsOpts(cli));
    try {
      if (object === 'dev') {
        const list = (await dl.list()).filter((d) => !dev || d.handle === dev);
        return cli.json ? json(devicesJson(list)) : devicesText(list);
      }
      const list = dev && dev.split('/').length === 3 ? [await dl.port.get(dev)] : await dl.port.list(dev);
      return cli.json ? json(portsJson(list)) : portsText(list);
    } finally {
      dl.close();
    }
  },
  ethtool: async (cli, args) => {
    const view = args.find((a) => a.startsWith('-'));
    const dev = args.find((a) => !a.startsWith('-'));
    if (!dev) throw new ValidationError('dev', 'ethtool needs a device name');
    const et = await openEthtool(nsOpts(cli));
    try {
      switch (view) {
        case '-k': case '--show-features': case '--show-offload': {
          const f = await et.features(dev);
          // ethtool's own layout: `[ {`, keys indented by 8, `} ]`.
          return cli.json ? `[ ${JSON.stringify(featuresJson(dev, f)[0], null, 4).split('\n').join('\n    ')} ]` : featuresText(dev, f);
        }
        case '-l': case '--show-channels': {
          const c = await et.channels(dev);
          return cli.json ? json([{ ifname: dev, ...c }]) : channelsText(dev, c);
        }
        case '-g': case '--show-ring': {
          const r = await et.rings(dev);
          return cli.json ? json([{ ifname: dev, ...r }]) : ringsText(dev, r);
        }
        case undefined: {
          const [modes, info, state] = await Promise.all([et.linkModes(dev), et.linkInfo(dev), et.linkState(dev)]);
          return cli.json ? json([{ ifname: dev, ...modes, ...info, ...state }]) : settingsText(dev, { modes, info, state });
        }
        default:
          throw new ValidationError('ethtool', `unknown view ${JSON.stringify(view)} (-k, -l, -g or none)`);
      }
    } finally {
      et.close();
    }
  },
  nexthop: (cli, args) => withRtnl(cli, async (rt) => {
    const dev = option(verbless(args), 'dev');
    const list = await rt.nexthop.list({ ...(dev ? { dev } : {}), ...(cli.family ? { family: cli.family } : {}) });
    return cli.json ? json(list) : formatNexthops(list);
  }),
  bridge: (cli, args) => withRtnl(cli, async (rt) => {
    const [object, ...rest] = args;
    if (object !== 'link') throw new ValidationError('bridge', 'expected "link" (fdb and vlan are top-level commands)');
    const w = verbless(rest);
    const dev = option(w, 'dev');
    const br = option(w, 'master');
    const list = await rt.bridge.port.list({ ...(dev ? { dev } : {}), ...(br ? { br } : {}) });
    return cli.json ? json(list) : formatBridgePorts(list, await rt.link.names());
  }),
};
printers.tc = (cli, args) => {
  const [object, ...rest] = args;
  const p = object === 'qdisc' || object === 'class' || object === 'filter' ? printers[object] : undefined;
  if (!p) return Promise.reject(new ValidationError('tc', 'expected qdisc, class or filter'));
  return p(cli, rest);
};
printers.nh = printers.nexthop!;
printers.ct = printers.conntrack!;

async function main(argv: string[]): Promise<number> {
  const cli = parse(argv);
  const [cmd, ...args] = cli.words;
  if (!cmd || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return cmd ? 0 : 2;
  }
  if (cmd === 'topo') {
    const namespaces = cli.all ? ['(this)', ...(await listNetns())] : args.length ? args : [cli.netns ?? '(this)'];
    const data = await collect(namespaces);
    process.stdout.write(`${cli.json ? JSON.stringify(data, (_k, v) => (v?.type === 'Buffer' ? undefined : v), 2) : cli.dot ? drawDot(data) : drawText(data)}\n`);
    return 0;
  }
  const printer = printers[cmd];
  if (printer) {
    const out = await printer(cli, args);
    process.stdout.write(out ? `${out}\n` : cli.json ? '[]\n' : '');
    return 0;
  }
  const command = commands[cmd];
  if (!command) {
    process.stderr.write(`netlinkjs: unknown command ${JSON.stringify(cmd)}\n${USAGE}\n`);
    return 2;
  }
  const rt = await open(nsOpts(cli));
  try {
    const data = await command.run(rt, cli, args);
    process.stdout.write(`${cli.json ? json(data) : await command.text(data, rt)}\n`);
    return 0;
  } finally {
    rt.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      const known = err instanceof NetlinkError || err instanceof ValidationError || (err as NodeJS.ErrnoException).code;
      process.stderr.write(`netlinkjs: ${known ? err.message : err.stack}\n`);
      process.exitCode = 1;
    },
  );
}

export { main };
