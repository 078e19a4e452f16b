#!/usr/bin/env node
/**
 * `netlinkjs`: the read side of `ip` / `bridge`, over this library, plus `topo`.
 *
 *   netlinkjs [-n NS] [-j] [-4|-6] link [NAME]
 *   netlinkjs [-n NS] [-j] [-4|-6] addr [dev NAME]
 *   netlinkjs [-n NS] [-j] [-4|-6] route [table T|all] [dev NAME]
 *   netlinkjs [-n NS] [-j] [-4|-6] neigh|rule|fdb|vlan [dev NAME]
 *   netlinkjs topo [NS …] [--all] [--dot]
 */
import { open, type Rtnl } from '../rtnetlink/handle';
import { NetlinkError, ValidationError } from '../errors';
import { list as listNetns } from '../netns/netns';
import { formatAddresses, formatBridgeVlans, formatFdb, formatLinks, formatNeighbours, formatRoutes, formatRules } from './format';
import { collect, drawDot, drawText } from './topo';

/** Parsed global options and the command words. */
interface Cli {
  netns?: string;
  json: boolean;
  family?: 'inet' | 'inet6';
  dot: boolean;
  all: boolean;
  words: string[];
}

const USAGE = `usage: netlinkjs [-n NS] [-j|--json] [-4|-6] COMMAND
  link [NAME]                    links (ip link show)
  addr [dev NAME]                addresses (ip addr show)
  route [table T|all] [dev NAME] routes (ip route show)
  neigh [dev NAME]               ARP/NDP entries (ip neigh show)
  rule                           policy routing rules (ip rule show)
  fdb [dev NAME]                 bridge and VXLAN FDB (bridge fdb show)
  vlan [dev NAME]                bridge VLAN membership (bridge vlan show)
  topo [NS ...] [--all] [--dot]  draw the links of namespaces (default: this one)`;

function parse(argv: string[]): Cli {
  const cli: Cli = { json: false, dot: false, all: false, words: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-n' || a === '--netns') cli.netns = argv[++i];
    else if (a === '-j' || a === '--json') cli.json = true;
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
    process.stdout.write(`${cli.json ? JSON.stringify(data, null, 2) : cli.dot ? drawDot(data) : drawText(data)}\n`);
    return 0;
  }
  const command = commands[cmd];
  if (!command) {
    process.stderr.write(`netlinkjs: unknown command ${JSON.stringify(cmd)}\n${USAGE}\n`);
    return 2;
  }
  const rt = await open(cli.netns ? { netns: cli.netns } : {});
  try {
    const data = await command.run(rt, cli, args);
    process.stdout.write(`${cli.json ? JSON.stringify(data, (_k, v) => (v?.type === 'Buffer' ? undefined : v)) : await command.text(data, rt)}\n`);
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
