#!/usr/bin/env node
// Big dumps: netlinkjs against iproute2.
//
//   links       PAIRS veth pairs (2 × PAIRS + 3 links with lo, v0, v1): `rt.link.list()` inside one
//               running process, warm (what a daemon that lists links all the time pays), against
//               `ip -d -s -j link show` as a whole process. Goal ≤ 0.5×.
//   neighbours  NEIGHS permanent IPv4 neighbours: a fresh process calling `rt.neigh.list()`
//               against `ip -j neigh show`. Goal ≤ 1.0×.
//   nexthops    NEXTHOPS nexthop objects: a fresh process calling `rt.nexthop.list()` against
//               `ip -j nexthop show`. Goal ≤ 1.0×.
//
// Each comparison alternates which side runs first; medians of wall and CPU time and the ratio
// (ours / iproute2) are printed. The namespace is removed on exit, error or Ctrl-C.
//
//   node scripts/build-ts.mjs && sudo npm run bench:dumps [-- --runs 11 --pairs 1000 --neighs 50000 --nexthops 10000 --only links]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { alternate, args, buildNamespace, dist, ip, opt, report, setupBench, timeRun } from './bench-env.mjs';

const RUNS = opt('runs', 11);
const PAIRS = opt('pairs', 1000);
const NEIGHS = opt('neighs', 50_000);
const NEXTHOPS = opt('nexthops', 10_000);
const onlyAt = args.indexOf('--only');
const ONLY = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const want = (name) => ONLY === undefined || ONLY === name;

const { ns, work, cleanup } = setupBench('dumps');

/** Writes an `ip -batch` file from `n` lines made by `line(i)` and runs it in the namespace. */
function batch(name, n, line) {
  const file = path.join(work, `${name}.batch`);
  const lines = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = line(i);
  writeFileSync(file, `${lines.join('\n')}\n`);
  ip('-n', ns, '-batch', file);
}

/** A fresh-process program on our side: open, call `expr` (on `rt`), print the count. */
function program(name, expr) {
  const file = path.join(work, `${name}.cjs`);
  writeFileSync(file, `
const nl = require(${JSON.stringify(dist)});
(async () => {
  const rt = await nl.open({ netns: process.argv[2] });
  const items = await ${expr};
  process.stdout.write(String(items.length));
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);
  return file;
}

/** Compares a fresh `node` process against an `ip` process, after checking both see `count` items. */
function freshProcesses(title, ourLabel, theirLabel, file, ipArgs, count, countTheirs = (out) => JSON.parse(out).length) {
  const got = Number(timeRun(process.execPath, [file, ns]).out);
  const theirs = countTheirs(timeRun('ip', ipArgs).out);
  if (got < count || theirs < count) throw new Error(`${title}: expected ${count}, netlinkjs listed ${got}, ip ${theirs}`);
  report(title, ourLabel, theirLabel, alternate(RUNS, () => timeRun(process.execPath, [file, ns]), () => timeRun('ip', ipArgs)));
}

/**
 * The links comparison: one long-running node process lists on request (a line on stdin) and
 * answers with its wall and CPU ms for that one call, warm after a few calls; against a whole
 * `ip` process per run.
 */
async function links() {
  const base = JSON.parse(ip('-n', ns, '-j', 'link', 'show')).length; // lo, v0, v1
  batch('links', PAIRS, (i) => `link add a${i} type veth peer name b${i}`);
  const file = path.join(work, 'links.cjs');
  writeFileSync(file, `
const nl = require(${JSON.stringify(dist)});
const { createInterface } = require('node:readline');
(async () => {
  const rt = await nl.open({ netns: process.argv[2] });
  let n = 0;
  for (let i = 0; i < 10; i++) n = (await rt.link.list()).length; // warm
  process.stdout.write('ready ' + n + '\\n');
  for await (const _ of createInterface({ input: process.stdin })) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const links = await rt.link.list();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    process.stdout.write(JSON.stringify({ ms, cpu: (c.user + c.system) / 1000, n: links.length }) + '\\n');
  }
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);
  const child = spawn(process.execPath, [file, ns], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => (await lines.next()).value;
  const ready = await next();
  const expected = 2 * PAIRS + base;
  if (ready !== `ready ${expected}`) throw new Error(`links: our process said ${JSON.stringify(ready)}, expected ${expected} links`);
  const ipArgs = ['-n', ns, '-d', '-s', '-j', 'link', 'show'];
  if (JSON.parse(timeRun('ip', ipArgs).out).length !== expected) throw new Error('links: ip does not list every link');
  const t = { ours: { wall: [], cpu: [] }, theirs: { wall: [], cpu: [] } };
  const ours = async () => {
    child.stdin.write('go\n');
    const r = JSON.parse(await next());
    if (r.n !== expected) throw new Error(`links: listed ${r.n}`);
    t.ours.wall.push(r.ms);
    t.ours.cpu.push(r.cpu);
  };
  const theirs = () => {
    const r = timeRun('ip', ipArgs);
    t.theirs.wall.push(r.ms);
    t.theirs.cpu.push(r.cpu);
  };
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      await ours();
      theirs();
    } else {
      theirs();
      await ours();
    }
  }
  child.stdin.end();
  report(
    `link dump of ${expected} links (${PAIRS} veth pairs), ${RUNS} alternating runs; ours in a running process (warm), ip a fresh process each:`,
    'netlinkjs  rt.link.list() (in process, warm)',
    'iproute2   ip -d -s -j link show (process)',
    t,
  );
  batch('links-del', PAIRS, (i) => `link del a${i}`);
}

function neighbours() {
  // Permanent entries are exempt from the neighbour table's garbage-collection thresholds.
  batch('neighs', NEIGHS, (i) => `neigh add 10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255} lladdr 02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} dev v0 nud permanent`);
  freshProcesses(
    `neighbour dump of ${NEIGHS} entries, ${RUNS} alternating runs, each a fresh process:`,
    'netlinkjs  rt.neigh.list()', 'iproute2   ip -j neigh show',
    program('neigh', 'rt.neigh.list()'), ['-n', ns, '-j', 'neigh', 'show'], NEIGHS,
  );
}

function nexthops() {
  batch('nexthops', NEXTHOPS, (i) => `nexthop add id ${i + 1} via 10.0.0.2 dev v0`);
  freshProcesses(
    `nexthop dump of ${NEXTHOPS} objects, ${RUNS} alternating runs, each a fresh process:`,
    'netlinkjs  rt.nexthop.list()', 'iproute2   ip -j nexthop show',
    program('nexthop', 'rt.nexthop.list()'), ['-n', ns, '-j', 'nexthop', 'show'], NEXTHOPS,
  );
}

try {
  buildNamespace(ns);
  if (want('links')) await links();
  if (want('neighbours')) neighbours();
  if (want('nexthops')) nexthops();
} finally {
  cleanup();
}
