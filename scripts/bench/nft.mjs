#!/usr/bin/env node
// nftables: netlinkjs `nft.apply` / `nft.list` against `nft -f` / `nft -j list ruleset`.
//
// The ruleset: table inet bench with a base chain (input) jumping to CHAINS regular chains of
// RULES / CHAINS rules each (`ip saddr A tcp dport P counter accept`, `ip daddr @blocked drop`,
// `meta mark M udp dport P drop` …), and a named interval set `blocked` of PREFIXES /30 prefixes.
// Apply: a fresh `node` process builds the JSON document and applies it in one transaction,
// against `nft -f FILE` of the same ruleset in nft's text form; the ruleset is flushed between
// runs (not timed) and every run is checked to have loaded every rule and element.
// List: with the ruleset loaded, a fresh process lists it (`nft.list()`, printed as JSON) against
// `nft -j list ruleset`; both outputs are checked to be the same document.
// Alternating runs, medians, ratios (ours / nft). The namespace is removed on exit.
//
// The children load the package entry (the bundle), as users do.
//
//   node scripts/build-ts.mjs && sudo npm run bench:nft [-- --runs 5 --rules 10000 --prefixes 100000 --chains 10]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { alternate, dist, median, opt, report, setupBench } from './bench-env.mjs';

const RUNS = opt('runs', 5);
const RULES = opt('rules', 10_000);
const PREFIXES = opt('prefixes', 100_000);
const CHAINS = opt('chains', 10);

const { ns, work, cleanup } = setupBench('nft');

// Rule i and prefix i, shared by both sides (the measured programs embed this source).
function ruleOf(i) {
  const a = `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  const port = 1024 + (i % 50000);
  switch (i % 3) {
    case 0: return { text: `ip saddr ${a} tcp dport ${port} counter accept`, json: [
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: a } },
      { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: port } },
      { counter: { packets: 0, bytes: 0 } }, { accept: null }] };
    case 1: return { text: `ip daddr ${a} udp dport ${port} drop`, json: [
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: a } },
      { match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: port } },
      { drop: null }] };
    default: return { text: `meta mark ${i} ip saddr @blocked drop`, json: [
      { match: { op: '==', left: { meta: { key: 'mark' } }, right: i } },
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@blocked' } },
      { drop: null }] };
  }
}
function prefixOf(i) {
  const n = i * 8;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

// nft's text form.
const lines = ['table inet bench {', '  set blocked {', '    type ipv4_addr', '    flags interval', '    elements = {'];
for (let i = 0; i < PREFIXES; i++) lines.push(`      ${prefixOf(i)}/30${i + 1 < PREFIXES ? ',' : ''}`);
lines.push('    }', '  }');
lines.push('  chain input {', '    type filter hook input priority filter; policy accept;');
for (let c = 0; c < CHAINS; c++) lines.push(`    jump c${c}`);
lines.push('  }');
for (let c = 0; c < CHAINS; c++) {
  lines.push(`  chain c${c} {`);
  for (let i = c; i < RULES; i += CHAINS) lines.push(`    ${ruleOf(i).text}`);
  lines.push('  }');
}
lines.push('}');
const nftFile = path.join(work, 'ruleset.nft');
writeFileSync(nftFile, `${lines.join('\n')}\n`);

// Our side: build the same document in JSON, apply it in one transaction, exit.
const applyChild = path.join(work, 'apply.cjs');
writeFileSync(applyChild, `
const { nft } = require(${JSON.stringify(dist)});
const [ns, RULES, PREFIXES, CHAINS] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const ruleOf = ${ruleOf.toString()};
const prefixOf = ${prefixOf.toString()};
(async () => {
  const cmds = [{ add: { table: { family: 'inet', name: 'bench' } } }];
  const elem = new Array(PREFIXES);
  for (let i = 0; i < PREFIXES; i++) elem[i] = { prefix: { addr: prefixOf(i), len: 30 } };
  cmds.push({ add: { set: { family: 'inet', table: 'bench', name: 'blocked', type: 'ipv4_addr', flags: ['interval'], elem } } });
  cmds.push({ add: { chain: { family: 'inet', table: 'bench', name: 'input', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } } });
  for (let c = 0; c < CHAINS; c++) cmds.push({ add: { chain: { family: 'inet', table: 'bench', name: 'c' + c } } });
  for (let c = 0; c < CHAINS; c++) cmds.push({ add: { rule: { family: 'inet', table: 'bench', chain: 'input', expr: [{ jump: { target: 'c' + c } }] } } });
  for (let c = 0; c < CHAINS; c++) for (let i = c; i < RULES; i += CHAINS) cmds.push({ add: { rule: { family: 'inet', table: 'bench', chain: 'c' + c, expr: ruleOf(i).json } } });
  const n = await nft.open({ netns: ns });
  await n.apply({ nftables: cmds }, { handles: process.argv[6] === 'handles' });
  n.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);

// Our side of the listing: list and print the JSON as nft -j does.
const listChild = path.join(work, 'list.cjs');
writeFileSync(listChild, `
const { nft } = require(${JSON.stringify(dist)});
(async () => {
  const n = await nft.open({ netns: process.argv[2] });
  const doc = await n.list();
  process.stdout.write(JSON.stringify(doc) + '\\n');
  n.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);

// User and system CPU of the reaped children, apart: most of either side's system time is the
// kernel building the ruleset (apply) or walking it for the dump (list), the same work for both,
// so the split shows how much of a ratio is the programs' own.
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function childCpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[13]) * TICK_MS, sys: Number(f[14]) * TICK_MS };
}
const split = { ours: { user: [], sys: [] }, theirs: { user: [], sys: [] } };
/** timeRun (bench-env) that also records the run's user and system CPU under `side`. */
function timeRun(side, cmd, argv) {
  const c0 = childCpu();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr || r.error}`);
  const c1 = childCpu();
  split[side].user.push(c1.user - c0.user);
  split[side].sys.push(c1.sys - c0.sys);
  return { ms, cpu: c1.user - c0.user + c1.sys - c0.sys, out: r.stdout };
}
/** Prints the user / system medians of both sides, then forgets them for the next measurement. */
function reportSplit() {
  const m = (xs) => median(xs).toFixed(0).padStart(5);
  console.log(`  CPU split (median ms): netlinkjs user ${m(split.ours.user)} sys ${m(split.ours.sys)}; nft user ${m(split.theirs.user)} sys ${m(split.theirs.sys)}`);
  for (const side of ['ours', 'theirs']) split[side] = { user: [], sys: [] };
}

const nftIn = (...a) => execFileSync('ip', ['netns', 'exec', ns, 'nft', ...a], { encoding: 'utf8', maxBuffer: 1 << 30 });

/** Rules and elements loaded (counted from nft's own listing). */
function loaded() {
  const doc = JSON.parse(nftIn('-j', 'list', 'ruleset'));
  let rules = 0;
  let elems = 0;
  for (const o of doc.nftables) {
    if (o.rule) rules++;
    if (o.set) elems += o.set.elem?.length ?? 0;
  }
  return { rules, elems };
}

try {
  console.log(`load average at the start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (a shared machine: compare CPU ratios, not wall)`);
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const withHandles = process.argv.includes('--handles') ? 'handles' : 'none';
  const expected = { rules: RULES + CHAINS, elems: PREFIXES };
  const timed = (which, cmd, argv) => () => {
    nftIn('flush', 'ruleset');
    const r = timeRun(which, cmd, argv);
    const got = loaded();
    if (got.rules !== expected.rules || got.elems !== expected.elems) throw new Error(`${which}: loaded ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    return r;
  };
  const ta = alternate(
    RUNS,
    timed('ours', process.execPath, [applyChild, ns, String(RULES), String(PREFIXES), String(CHAINS), withHandles]),
    timed('theirs', 'ip', ['netns', 'exec', ns, 'nft', '-f', nftFile]),
  );
  report(
    `nft apply: ${RULES} rules in ${CHAINS} chains + an interval set of ${PREFIXES} prefixes, ${RUNS} alternating runs, each a fresh process:`,
    `netlinkjs  nft.apply(doc)${withHandles === 'handles' ? ' (handles echoed)' : ''}`,
    'nftables   nft -f ruleset.nft',
    ta,
    'nft',
  );
  reportSplit();

  // The listing: both print the same document.
  const ours = JSON.parse(execFileSync(process.execPath, [listChild, ns], { encoding: 'utf8', maxBuffer: 1 << 30 }));
  const theirs = JSON.parse(nftIn('-j', 'list', 'ruleset'));
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) throw new Error('nft.list() and nft -j list ruleset printed different documents');
  const tl = alternate(
    RUNS,
    () => timeRun('ours', process.execPath, [listChild, ns]),
    () => timeRun('theirs', 'ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'ruleset']),
  );
  report(
    `nft list: the same ruleset, ${RUNS} alternating runs, each a fresh process printing the JSON:`,
    'netlinkjs  nft.list() → JSON',
    'nftables   nft -j list ruleset',
    tl,
    'nft',
  );
  reportSplit();
  console.log(`  load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
} finally {
  cleanup();
}
