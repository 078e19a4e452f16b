#!/usr/bin/env node
// tc filters: netlinkjs against `tc -batch` (adding) and `tc -j filter show` (listing).
//
// Builds a throwaway namespace with a veth pair v0 ⇄ v1 and an ingress qdisc on v0, then in the
// same run and alternating, times fresh processes: a `node` that loads the package
// (dist/netlinkjs.js) and adds FILTERS filters with one action each by a plain
// `Promise.all(filters.map((f) => rt.tc.filter.add('v0', f)))`, against `tc -batch FILE` adding
// the same filters; then, with the filters in place, `rt.tc.filter.list()` (devices named, as
// by default: a device asked for by name costs no link dump) against
// `tc -j filter show dev v0 ingress`. Where the kernel has flower and gact the filters are
// `flower dst_ip A action gact drop`; otherwise (the development kernel) `u32 match ip dst A
// action mirred egress redirect dev v1`, 2000 per priority (u32 numbers 2048 nodes per table).
// The ingress qdisc is re-created between add runs (not timed) and every run is checked to
// leave (or list) every filter. Prints medians and the ratios (targets: add ≤ 0.5×, list ≤ 1.0×).
// A fresh `node` pays a fixed cost before any filter: its own start, loading the package and
// opening the handle in the namespace. The bench measures that too (a process that opens and
// closes the handle), prints the ratios with it taken off ours, and what the target would
// leave for it: when tc's whole run is shorter than that fixed cost a target cannot be met by
// a fresh process, and the line says so with the numbers.
//
//   node scripts/build-ts.mjs && sudo npm run bench:tc [-- --runs 7 --filters 10000]
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { alternate, buildNamespace, dist, ip, median, opt, report, setupBench, timeRun } from './bench-env.mjs';

const RUNS = opt('runs', 7);
const FILTERS = opt('filters', 10_000);
const PER_PRIO = 2000;

const { ns, work, cleanup } = setupBench('tc');
const tc = (...a) => execFileSync('tc', ['-n', ns, ...a], { encoding: 'utf8', maxBuffer: 1 << 30 });

/** Destination of filter i: 10.200.0.0, 10.200.0.1 … (the measured program embeds this source). */
const dstOf = (i) => `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

function hasFlower() {
  try {
    tc('qdisc', 'add', 'dev', 'v1', 'clsact');
    tc('filter', 'add', 'dev', 'v1', 'ingress', 'protocol', 'ip', 'prio', '1', 'flower', 'action', 'gact', 'drop');
    return true;
  } catch {
    return false;
  } finally {
    spawnSync('tc', ['-n', ns, 'qdisc', 'del', 'dev', 'v1', 'clsact']);
  }
}

function freshIngress() {
  spawnSync('tc', ['-n', ns, 'qdisc', 'del', 'dev', 'v0', 'ingress']);
  tc('qdisc', 'add', 'dev', 'v0', 'ingress');
}

/** Filters on v0's ingress that carry a match (u32 lists a head entry per priority and table too). */
function countFilters() {
  const out = tc('filter', 'show', 'dev', 'v0', 'ingress');
  return (out.match(/ (dst_ip|match) /g) ?? []).length;
}

try {
  buildNamespace(ns);
  const flower = hasFlower();
  const kind = flower ? 'flower' : 'u32';

  const lines = [];
  for (let i = 0; i < FILTERS; i++) {
    lines.push(flower
      ? `filter add dev v0 parent ffff: protocol ip prio 1 flower dst_ip ${dstOf(i)} action gact drop`
      : `filter add dev v0 parent ffff: protocol ip prio ${1 + Math.floor(i / PER_PRIO)} u32 match ip dst ${dstOf(i)}/32 action mirred egress redirect dev v1`);
  }
  const batchFile = path.join(work, 'filters.batch');
  writeFileSync(batchFile, lines.join('\n') + '\n');

  const addChild = path.join(work, 'add.cjs');
  writeFileSync(addChild, `
const nl = require(${JSON.stringify(dist)});
const [ns, count, kind, perPrio] = [process.argv[2], Number(process.argv[3]), process.argv[4], Number(process.argv[5])];
const dstOf = ${dstOf.toString()};
(async () => {
  const rt = await nl.open({ netns: ns });
  const adds = new Array(count);
  for (let i = 0; i < count; i++) {
    adds[i] = kind === 'flower'
      ? rt.tc.filter.add('v0', { parent: 'ingress', protocol: 'ip', priority: 1, kind: 'flower', flower: { dstIp: dstOf(i) }, actions: [{ kind: 'gact', gact: { action: 'drop' } }] })
      : rt.tc.filter.add('v0', { parent: 'ingress', protocol: 'ip', priority: 1 + Math.floor(i / perPrio), kind: 'u32', u32: { match: [{ ip: { dst: dstOf(i) + '/32' } }] },
          actions: [{ kind: 'mirred', mirred: { action: 'redirect', direction: 'egress', dev: 'v1' } }] });
  }
  await Promise.all(adds);
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);
  const listChild = path.join(work, 'list.cjs');
  writeFileSync(listChild, `
const nl = require(${JSON.stringify(dist)});
(async () => {
  const rt = await nl.open({ netns: process.argv[2] });
  const filters = await rt.tc.filter.list({ dev: 'v0', parent: 'ingress' });
  console.log(filters.filter((f) => f.flower || (f.u32 && f.u32.match)).length);
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);

  const baseChild = path.join(work, 'base.cjs');
  writeFileSync(baseChild, `
const nl = require(${JSON.stringify(dist)});
(async () => {
  const rt = await nl.open({ netns: process.argv[2] });
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);
  // The fixed cost of a fresh process: node, the package, the handle (no tc work at all).
  const base = { wall: [], cpu: [] };
  for (let i = 0; i < RUNS; i++) {
    const r = timeRun(process.execPath, [baseChild, ns]);
    base.wall.push(r.ms);
    base.cpu.push(r.cpu);
  }
  const fixed = { wall: median(base.wall), cpu: median(base.cpu) };
  console.log(`fixed cost of a fresh process (node start + require + open, no tc work), ${RUNS} runs: wall median ${fixed.wall.toFixed(1)} ms, CPU median ${fixed.cpu.toFixed(0)} ms`);
  /** The ratios with the fixed cost taken off ours, and whether `target` × tc even covers the fixed cost. */
  const net = (t, target) => {
    for (const side of ['wall', 'cpu']) {
      const ours = median(t.ours[side]);
      const theirs = median(t.theirs[side]);
      const budget = target * theirs;
      console.log(`  ${side.padEnd(4)}: ours minus fixed cost ${(ours - fixed[side]).toFixed(0)} ms = ${((ours - fixed[side]) / theirs).toFixed(2)}x of tc; `
        + `target ${target}x = ${budget.toFixed(0)} ms ${budget <= fixed[side] ? `< the fixed cost alone (${fixed[side].toFixed(0)} ms): not reachable by a fresh process` : `leaves ${(budget - fixed[side]).toFixed(0)} ms for the work`}`);
    }
  };

  const timedAdd = (which, cmd, argv) => () => {
    freshIngress();
    const r = timeRun(cmd, argv);
    const n = countFilters();
    if (n !== FILTERS) throw new Error(`${which}: v0 has ${n} filters, expected ${FILTERS}`);
    return r;
  };
  const add = alternate(RUNS,
    timedAdd('ours', process.execPath, [addChild, ns, String(FILTERS), kind, String(PER_PRIO)]),
    timedAdd('theirs', 'tc', ['-n', ns, '-batch', batchFile]));
  report(`tc filter add of ${FILTERS} ${kind} filters with one action each, ${RUNS} alternating runs, each a fresh process:`,
    'netlinkjs  Promise.all(rt.tc.filter.add …)', 'iproute2   tc -batch', add);
  net(add, 0.5);

  const timedList = (which, cmd, argv, count) => () => {
    const r = timeRun(cmd, argv);
    const n = count(r.out);
    if (n !== FILTERS) throw new Error(`${which}: listed ${n} filters, expected ${FILTERS}`);
    return r;
  };
  const list = alternate(RUNS,
    timedList('ours', process.execPath, [listChild, ns], (out) => Number(out.trim())),
    timedList('theirs', 'tc', ['-n', ns, '-j', 'filter', 'show', 'dev', 'v0', 'ingress'], (out) => JSON.parse(out).filter((f) => f.options && (f.options.keys || f.options.match || f.options.actions)).length));
  report(`tc filter list of ${FILTERS} ${kind} filters with their actions, ${RUNS} alternating runs:`,
    'netlinkjs  rt.tc.filter.list()', 'iproute2   tc -j filter show', list);
  net(list, 1.0);
} finally {
  cleanup();
}
