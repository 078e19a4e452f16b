#!/usr/bin/env node
// Link add: netlinkjs against `ip -batch`, creating 1 000 veth pairs.
//
// Builds a throwaway namespace, then in the same run and alternating, times a fresh `node`
// process that loads dist/index.js and creates PAIRS veth pairs with a plain
// `Promise.all(pairs.map((i) => rt.link.add({ name: `a${i}`, kind: 'veth', peer: { name: `b${i}` } })))`
// (each call resolves with the new Link) against `ip -batch FILE` with the same
// `link add aN type veth peer name bN` lines. Each timing is the whole program: start, every
// request and its reply, exit. The pairs are deleted between runs (not timed) and every run is
// checked to have made every link. Prints both medians and the ratio (ours / iproute2).
//
//   node scripts/build-ts.mjs && sudo npm run bench:link-add [-- --runs 7 --pairs 1000]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { alternate, dist, ip, opt, report, setupBench, timeRun } from './bench-env.mjs';

const RUNS = opt('runs', 7);
const PAIRS = opt('pairs', 1000);

const { ns, work, cleanup } = setupBench('link-add');

const addFile = path.join(work, 'add.batch');
const delFile = path.join(work, 'del.batch');
writeFileSync(addFile, Array.from({ length: PAIRS }, (_, i) => `link add a${i} type veth peer name b${i}\n`).join(''));
writeFileSync(delFile, Array.from({ length: PAIRS }, (_, i) => `link del a${i}\n`).join(''));

// The measured program on our side: load the package, open the handle, add every pair, exit.
const child = path.join(work, 'add.cjs');
writeFileSync(child, `
const nl = require(${JSON.stringify(dist)});
(async () => {
  const rt = await nl.open({ netns: process.argv[2] });
  const n = Number(process.argv[3]);
  const adds = new Array(n);
  for (let i = 0; i < n; i++) adds[i] = rt.link.add({ name: 'a' + i, kind: 'veth', peer: { name: 'b' + i } });
  const links = await Promise.all(adds);
  if (links.length !== n || links.some((l, i) => l.name !== 'a' + i || !(l.index > 0))) throw new Error('link.add did not return the new links');
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);

const vethCount = () => ip('-n', ns, '-o', 'link', 'show', 'type', 'veth').split('\n').filter(Boolean).length;

try {
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  const timed = (which, cmd, argv) => () => {
    if (vethCount() > 0) ip('-n', ns, '-batch', delFile);
    const r = timeRun(cmd, argv);
    const n = vethCount();
    if (n !== 2 * PAIRS) throw new Error(`${which}: ${n} veth links, expected ${2 * PAIRS}`);
    return r;
  };
  const t = alternate(
    RUNS,
    timed('ours', process.execPath, [child, ns, String(PAIRS)]),
    timed('theirs', 'ip', ['-n', ns, '-batch', addFile]),
  );
  report(
    `link add of ${PAIRS} veth pairs, ${RUNS} alternating runs, each a fresh process:`,
    'netlinkjs  Promise.all(rt.link.add …)',
    'iproute2   ip -batch (link add … type veth)',
    t,
  );
} finally {
  cleanup();
}
