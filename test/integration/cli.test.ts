/**
 * The `netlinkjs` command line against the peer tools, in a namespace of its own: qdiscs
 * (htb, tbf, ingress), classes and a u32 filter against `tc [-j]`; an nftables NAT ruleset
 * loaded with `nft -f` against `nft [-j] list …`; conntrack entries made by `conntrack -I`
 * against `conntrack -L`; a veth's features, channels and settings against `ethtool
 * [--json]`; nexthops and bridge ports against `ip -j nexthop` / `bridge link`; and `topo`
 * (text, --dot, -j) showing each device's root qdisc with its rate and the namespace's NAT.
 * devlink (netdevsim) runs in the VM tier.
 *
 * It runs the built bin (dist/netlinkjs-cli.js) when that is newer than every lib/ source, else
 * an esbuild bundle of lib/cli/main.ts made in a temp dir (so a stale build never passes).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsPool, bridgeJson, ip, ipnJson, isRoot } from '../helpers/netns';
import { describeRequires, requires } from '../helpers/requires';
import { tc, tcJson, tcRate, tcSize } from './tc-helpers';
import { conntrackTool, nftJson, nftScript, sysctl } from './traffic-helpers';

const root = path.resolve(__dirname, '../..');
const pool = new NetnsPool();
let ns: string;
let cliPath: string | undefined;
let scratch: string | undefined;

/** Newest modification time of the .ts files under dir. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The CLI to run: the built bin when current, else a fresh bundle in a temp dir laid out like
 * the package (dist/ beside build/ and node_modules/, linked to the checkout's) so the addon
 * loads the way it does when installed.
 */
function cliUnderTest(): string {
  const built = path.join(root, 'dist', 'netlinkjs-cli.js');
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs > newestSource(path.join(root, 'lib'))) return built;
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'netlinkjs-cli-'));
  fs.mkdirSync(path.join(scratch, 'dist'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  if (fs.existsSync(path.join(root, 'build'))) fs.symlinkSync(path.join(root, 'build'), path.join(scratch, 'build'));
  if (fs.existsSync(path.join(root, 'prebuilds'))) fs.symlinkSync(path.join(root, 'prebuilds'), path.join(scratch, 'prebuilds'));
  const out = path.join(scratch, 'dist', 'netlinkjs-cli.js');
  buildSync({
    entryPoints: [path.join(root, 'lib/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['node-gyp-build'], outfile: out, logLevel: 'error',
  });
  return out;
}

/** Removes the temp bundle, if one was made. */
function removeScratch(): void {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
  cliPath = undefined;
}

/**
 * Runs the CLI; resolves with stdout, rejects with stderr in the message on a non-zero exit.
 * Asynchronous so the test worker keeps answering vitest while the CLI runs (slow in the VM).
 */
function cli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cliPath!, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`netlinkjs ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs the CLI in the test namespace with -j and parses the output. */
async function cliJson(...args: string[]): Promise<any> {
  return JSON.parse(await cli('-n', ns, '-j', ...args));
}

/** Runs a command in the namespace (ethtool, nft, bridge …) and returns stdout. */
function inNs(cmd: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Lines without trailing blanks (tc and ip end theirs with a space), empty ones dropped. */
const lines = (s: string) => s.split('\n').map((l) => l.trimEnd()).filter(Boolean);

const NAT_RULESET = `
table ip nat {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    iifname "vb" tcp dport 8080 dnat to 10.66.0.2:80
    ip daddr 10.66.9.9 udp dport { 53, 5353 } dnat to 10.66.0.3
  }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    oifname "va" masquerade
    ip saddr 10.66.0.0/24 oifname "vb" snat to 192.0.2.1
    counter
  }
}
table inet filter {
  set allowed { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1 }; }
  chain input { type filter hook input priority 0; policy accept;
    ct state established,related accept
    ip saddr @allowed tcp dport 22 counter accept
    iif "lo" accept
    meta l4proto icmp limit rate 5/second accept
    jump other
  }
  chain other { log prefix "x " drop; }
}
`;

describe.skipIf(!isRoot)('netlinkjs CLI against tc, nft, conntrack, ethtool, ip and bridge', () => {
  beforeAll(() => {
    cliPath = cliUnderTest();
    ns = pool.add('cli');
    // No IPv6 on the veths: no router solicitations, so qdisc counters hold still between the two reads.
    sysctl(ns, 'net.ipv6.conf.all.disable_ipv6', 1);
    sysctl(ns, 'net.ipv6.conf.default.disable_ipv6', 1);
    ip('-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns, 'link', 'set', 'vb', 'master', 'br0');
    for (const d of ['va', 'vb', 'br0']) ip('-n', ns, 'link', 'set', d, 'up');
    ip('-n', ns, 'addr', 'add', '10.66.0.1/24', 'dev', 'va');
    tc(ns, 'qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'htb', 'default', '10');
    tc(ns, 'class', 'add', 'dev', 'va', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '20mbit');
    tc(ns, 'class', 'add', 'dev', 'va', 'parent', '1:1', 'classid', '1:10', 'htb', 'rate', '10mbit', 'ceil', '20mbit');
    tc(ns, 'qdisc', 'add', 'dev', 'va', 'parent', '1:10', 'handle', '10:', 'pfifo', 'limit', '50');
    tc(ns, 'qdisc', 'add', 'dev', 'va', 'ingress');
    tc(ns, 'filter', 'add', 'dev', 'va', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', '10.66.0.9/32', 'flowid', '1:10');
    tc(ns, 'qdisc', 'add', 'dev', 'vb', 'root', 'tbf', 'rate', '1mbit', 'burst', '32k', 'latency', '50ms');
    // A pair left down, so its counters cannot move between our read and tc's (the bridge's IGMP reports do on vb).
    ip('-n', ns, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd');
    tc(ns, 'qdisc', 'add', 'dev', 'vc', 'root', 'handle', '5:', 'tbf', 'rate', '2500kbit', 'burst', '10kb', 'latency', '2s');
    nftScript(ns, NAT_RULESET);
    ip('-n', ns, 'nexthop', 'add', 'id', '1', 'via', '10.66.0.5', 'dev', 'va');
    ip('-n', ns, 'nexthop', 'add', 'id', '2', 'blackhole');
    ip('-n', ns, 'nexthop', 'add', 'id', '3', 'via', '10.66.0.6', 'dev', 'va');
    ip('-n', ns, 'nexthop', 'add', 'id', '4', 'group', '1/3,2');
    conntrackTool(ns, '-I', '-p', 'tcp', '-s', '10.66.0.1', '-d', '10.66.0.2', '--sport', '40000', '--dport', '80',
      '--state', 'ESTABLISHED', '--timeout', '3000', '-u', 'ASSURED,SEEN_REPLY', '--mark', '7');
    conntrackTool(ns, '-I', '-p', 'udp', '-s', '10.66.0.1', '-d', '10.66.0.3', '--sport', '5000', '--dport', '53', '--timeout', '3000');
  });
  afterAll(() => {
    pool.cleanup();
    removeScratch();
  });

  it('qdisc -j prints what tc -j qdisc show prints (bar refcnt and htb direct_packets_stat)', async () => {
    const strip = (list: any[]) => list.map((q) => {
      const { refcnt: _r, ...rest } = q;
      if (rest.options) delete rest.options.direct_packets_stat;
      return rest;
    });
    expect(await cliJson('qdisc')).toEqual(strip(tcJson(ns, 'qdisc', 'show')));
    expect(await cliJson('qdisc', 'show', 'dev', 'vb')).toEqual(strip(tcJson(ns, 'qdisc', 'show', 'dev', 'vb')));
    expect(await cliJson('-s', 'qdisc', 'dev', 'vc')).toEqual(strip(tcJson(ns, '-s', 'qdisc', 'show', 'dev', 'vc')));
    expect(await cliJson('tc', 'qdisc', 'dev', 'va')).toEqual(strip(tcJson(ns, 'qdisc', 'show', 'dev', 'va')));
  });

  it('qdisc and class print tc qdisc show / tc class show lines', async () => {
    const tcQdiscs = lines(tc(ns, 'qdisc', 'show')).map((l) => l.replace(/ refcnt \d+/, '').replace(/ direct_packets_stat \d+/, ''));
    expect(lines(await cli('-n', ns, 'qdisc'))).toEqual(tcQdiscs);
    expect(lines(await cli('-n', ns, '-s', 'qdisc', 'dev', 'vc'))).toEqual(lines(tc(ns, '-s', 'qdisc', 'show', 'dev', 'vc')).map((l) => l.replace(/ refcnt \d+/, '')));
    expect(lines(await cli('-n', ns, 'class', 'show', 'dev', 'va'))).toEqual(lines(tc(ns, 'class', 'show', 'dev', 'va')));
  });

  it('class -j gives tc\'s class fields (rates in bytes/s), checked against tc class show', async () => {
    // tc 6.1 prints htb classes as text even with -j: its text is the oracle here.
    const ours = await cliJson('class', 'dev', 'va') as any[];
    const theirs = lines(tc(ns, 'class', 'show', 'dev', 'va'));
    expect(ours).toHaveLength(theirs.length);
    expect(theirs.some((l) => l.includes('leaf 10:'))).toBe(true);
    for (const line of theirs) {
      const m = /^class htb (\S+) (?:root|parent (\S+)) (?:leaf (\S+) )?(?:prio (\d+) )?rate (\S+) ceil (\S+) burst (\S+) cburst (\S+)/.exec(line)!;
      expect(m).not.toBeNull();
      expect(ours.find((c) => c.handle === m[1])).toEqual({
        class: 'htb', handle: m[1], ...(m[2] ? { parent: m[2] } : { root: true }), ...(m[3] ? { leaf: m[3] } : {}), ...(m[4] ? { prio: Number(m[4]) } : {}),
        rate: tcRate(m[5]!) / 8, ceil: tcRate(m[6]!) / 8, burst: tcSize(m[7]!), cburst: tcSize(m[8]!),
      });
    }
  });

  it('filter -j prints what tc -j filter show prints', async () => {
    const theirs = tcJson<any[]>(ns, 'filter', 'show', 'dev', 'va').map((f) => {
      if (f.options) delete f.options.not_in_hw;
      return f;
    });
    expect(await cliJson('filter', 'dev', 'va')).toEqual(theirs);
    expect(await cliJson('filter', 'show', 'dev', 'va', 'parent', '1:')).toEqual(theirs);
    const first = lines(await cli('-n', ns, 'filter', 'dev', 'va')).filter((l) => l.startsWith('filter'));
    expect(first.map((l) => l.split(' fh ')[0])).toEqual(lines(tc(ns, 'filter', 'show', 'dev', 'va')).filter((l) => l.startsWith('filter')).map((l) => l.split(' fh ')[0]));
    await expect(cli('-n', ns, 'filter')).rejects.toThrow(/dev/);
  });

  it('nft -j prints nft -j list ruleset (and table / chain listings) exactly', async () => {
    expect(await cliJson('nft')).toEqual(nftJson(ns, 'list', 'ruleset'));
    expect(await cliJson('nft', 'list', 'ruleset')).toEqual(nftJson(ns, 'list', 'ruleset'));
    expect(await cliJson('nft', 'list', 'table', 'inet', 'filter')).toEqual(nftJson(ns, 'list', 'table', 'inet', 'filter'));
    expect(await cliJson('nft', 'list', 'chain', 'ip', 'nat', 'postrouting')).toEqual(nftJson(ns, 'list', 'chain', 'ip', 'nat', 'postrouting'));
  });

  it('nft prints what nft list ruleset prints', async () => {
    expect(await cli('-n', ns, 'nft')).toBe(inNs('nft', 'list', 'ruleset'));
    expect(await cli('-n', ns, 'nft', 'list', 'table', 'nat')).toBe(inNs('nft', 'list', 'table', 'nat'));
    expect(await cli('-n', ns, 'nft', 'list', 'chain', 'ip', 'nat', 'prerouting')).toBe(inNs('nft', 'list', 'chain', 'ip', 'nat', 'prerouting'));
    expect(await cli('-n', ns, 'nft', 'list', 'set', 'inet', 'filter', 'allowed')).toBe(inNs('nft', 'list', 'set', 'inet', 'filter', 'allowed'));
  });

  it('nft prints the nft corpus (families, expressions, dynamic sets, named objects) as nft list does', async () => {
    const corpus = pool.add('cli-nft');
    const fixtures = path.join(root, 'test/fixtures/nft-corpus');
    const run = (...args: string[]) => execFileSync('ip', ['netns', 'exec', corpus, 'nft', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // Named-object references need nft_objref, which the host kernel has and the VM's lacks.
    const objref = requires('nft:objref').skip ? [] : ['objref.nft'];
    for (const file of ['families.nft', 'stateful-options.nft', ...objref, 'main.nft']) {
      run('flush', 'ruleset');
      run('-f', path.join(fixtures, file));
      const tables = nftJson(corpus, 'list', 'tables').nftables.filter((o: any) => o.table).map((o: any) => o.table);
      expect(tables.length).toBeGreaterThan(0);
      for (const t of tables) {
        expect(await cli('-n', corpus, 'nft', 'list', 'table', t.family, t.name), `${file}: table ${t.family} ${t.name}`).toBe(run('list', 'table', t.family, t.name));
      }
    }
  });

  it('conntrack prints conntrack -L lines (the timeout aside, which ticks between the reads)', async () => {
    const noTimeout = (l: string) => l.replace(/^(\S+\s+\d+) \d+ /, '$1 ');
    const noTimeoutExt = (l: string) => l.replace(/^(\S+\s+\d+ \S+\s+\d+) \d+ /, '$1 ');
    const theirs = lines(conntrackTool(ns, '-L')).map(noTimeout).sort();
    // Ours (tcp, udp) plus whatever the namespace's own IGMP made (the bridge joins groups).
    expect(theirs.filter((l) => l.includes('10.66.0.'))).toHaveLength(2);
    expect(lines(await cli('-n', ns, 'conntrack')).map(noTimeout).sort()).toEqual(theirs);
    expect(lines(await cli('-n', ns, 'conntrack', '-L', '-o', 'extended')).map(noTimeoutExt).sort())
      .toEqual(lines(conntrackTool(ns, '-L', '-o', 'extended')).map(noTimeoutExt).sort());
    const entries = await cliJson('conntrack') as any[];
    const tcpEntry = entries.find((e) => e.protocol === 'tcp');
    expect(tcpEntry).toMatchObject({ family: 'ipv4', state: 'ESTABLISHED', mark: 7, orig: { src: '10.66.0.1', dst: '10.66.0.2', sport: 40000, dport: 80 } });
    expect(tcpEntry.status).toContain('ASSURED');
  });

  it('ethtool -k prints what ethtool [--json] -k prints; -l and the settings view match ethtool', async () => {
    expect(await cliJson('ethtool', '-k', 'va')).toEqual(JSON.parse(inNs('ethtool', '--json', '-k', 'va')));
    expect(await cli('-n', ns, 'ethtool', '-k', 'va')).toBe(inNs('ethtool', '-k', 'va'));
    expect(await cli('-n', ns, 'ethtool', '-l', 'va')).toBe(inNs('ethtool', '-l', 'va'));
    const channels = await cliJson('ethtool', '-l', 'va');
    expect(channels).toEqual([{ ifname: 'va', rx: expect.any(Number), tx: expect.any(Number), max: expect.any(Object) }]);
    // `ethtool DEV` also prints ioctl-only lines (ports, pause, FEC); every line we print is one of its.
    const theirs = new Set(lines(inNs('ethtool', 'va')));
    const ours = lines(await cli('-n', ns, 'ethtool', 'va'));
    expect(ours.length).toBeGreaterThanOrEqual(8);
    for (const l of ours) expect(theirs).toContain(l);
    // veth has no rings: both refuse.
    expect(spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-g', 'va']).status).not.toBe(0);
    await expect(cli('-n', ns, 'ethtool', '-g', 'va')).rejects.toThrow(/EOPNOTSUPP/);
  });

  it('nexthop and bridge link print what ip nexthop and bridge link print', async () => {
    expect(lines(await cli('-n', ns, 'nexthop'))).toEqual(lines(ip('-n', ns, 'nexthop')));
    const nh = await cliJson('nexthop') as any[];
    const theirs = ipnJson<any[]>(ns, 'nexthop');
    expect(nh.map((n) => [n.id, n.gateway, n.dev, n.group?.map((g: any) => g.id)])).toEqual(theirs.map((n) => [n.id, n.gateway, n.dev, n.group?.map((g: any) => g.id)]));
    expect(lines(await cli('-n', ns, 'bridge', 'link'))).toEqual(lines(execFileSync('bridge', ['-n', ns, 'link'], { encoding: 'utf8' })));
    const ports = await cliJson('bridge', 'link') as any[];
    expect(ports.map((p) => [p.name, p.bridge, p.state, p.priority, p.cost, p.mtu])).toEqual(bridgeJson(ns, 'link').map((p: any) => [p.ifname, p.master, p.state, p.priority, p.cost, p.mtu]));
  });

  it('topo shows each device\'s root qdisc with its rate and the namespace\'s NAT rules', async () => {
    const tbfHandle = tcJson<any[]>(ns, 'qdisc', 'show', 'dev', 'vb')[0].handle;
    const text = await cli('topo', ns);
    expect(text).toMatch(/va \(veth, up\) \[qdisc htb 1: 20Mbit\]/);
    expect(text).toContain(`vb (veth, up) [qdisc tbf ${tbfHandle} 1Mbit]`);
    // Every NAT rule nft shows, in nft's words (counters aside), and nothing from the filter table.
    const natLines = lines(inNs('nft', 'list', 'table', 'ip', 'nat')).filter((l) => /masquerade|snat|dnat/.test(l)).map((l) => l.trim());
    expect(natLines).toHaveLength(4);
    for (const rule of natLines) expect(text).toContain(rule);
    expect(text).toContain('nat ip nat postrouting: oifname "va" masquerade');
    expect(text).not.toContain('filter input');
    const dot = await cli('topo', ns, '--dot');
    expect(dot).toContain('[label="va (veth, up) [qdisc htb 1: 20Mbit]"]');
    expect(dot).toMatch(/shape=note, label="nat ip nat prerouting: iifname \\"vb\\" tcp dport 8080 dnat to 10\.66\.0\.2:80\\l/);
    const data = JSON.parse(await cli('topo', ns, '-j'));
    const va = ipnJson<any[]>(ns, 'link', 'show', 'va')[0].ifindex;
    expect(data[0].qdiscs[va]).toEqual({ kind: 'htb', handle: '1:', rate: 20e6 });
    expect(data[0].nat.map((r: any) => r.kind).sort()).toEqual(['dnat', 'dnat', 'masquerade', 'snat']);
  });

  it('a namespace without qdiscs or NAT draws neither; bad words are refused before anything is sent', async () => {
    const empty = pool.add('cli-empty');
    const text = await cli('topo', empty);
    expect(text).toContain('lo (loopback');
    expect(text).not.toMatch(/qdisc|nat /);
    await expect(cli('-n', ns, 'nft', 'list', 'flowtables')).rejects.toThrow(/ruleset, table, chain or set/);
    await expect(cli('-n', ns, 'devlink', 'bogus')).rejects.toThrow(/"dev" or "port"/);
    await expect(cli('-n', ns, 'ethtool', '-x', 'va')).rejects.toThrow(/unknown view/);
  });
});

describeRequires(['netdevsim'], 'netlinkjs devlink against devlink -j (netdevsim)', () => {
  const BUS = '/sys/bus/netdevsim';
  let id = 0;
  beforeAll(() => {
    cliPath = cliUnderTest();
    id = 20_000 + Math.floor(Math.random() * 40_000);
    fs.writeFileSync(`${BUS}/new_device`, `${id} 2`);
  });
  afterAll(() => {
    if (id) fs.writeFileSync(`${BUS}/del_device`, String(id));
    removeScratch();
  });
  const dj = (...args: string[]) => JSON.parse(execFileSync('devlink', ['-j', ...args], { encoding: 'utf8' }));

  it('devlink dev / port -j print what devlink -j dev show / port show print', async () => {
    expect(JSON.parse(await cli('-j', 'devlink', 'dev'))).toEqual(dj('dev', 'show'));
    const dev = `netdevsim/netdevsim${id}`;
    expect(JSON.parse(await cli('-j', 'devlink', 'dev', 'show', dev))).toEqual(dj('dev', 'show', dev));
    const ports = dj('port', 'show');
    expect(Object.keys(ports.port).filter((h) => h.startsWith(`${dev}/`))).toHaveLength(2);
    expect(JSON.parse(await cli('-j', 'devlink', 'port'))).toEqual(ports);
    expect(JSON.parse(await cli('-j', 'devlink', 'port', 'show', `${dev}/0`))).toEqual(dj('port', 'show', `${dev}/0`));
    expect(lines(await cli('devlink', 'port', 'show'))).toEqual(lines(execFileSync('devlink', ['port', 'show'], { encoding: 'utf8' })));
    // Beyond devlink 6.1: the ports of one device.
    expect(Object.keys(JSON.parse(await cli('-j', 'devlink', 'port', 'show', dev)).port)).toEqual(Object.keys(ports.port).filter((h) => h.startsWith(`${dev}/`)));
  });

  it('ethtool -g prints what ethtool -g prints for a netdevsim port', async () => {
    const port = dj('port', 'show', `netdevsim/netdevsim${id}/0`).port;
    const netdev = (Object.values(port)[0] as any).netdev as string;
    expect(await cli('ethtool', '-g', netdev)).toBe(execFileSync('ethtool', ['-g', netdev], { encoding: 'utf8' }));
  });
});
