#!/usr/bin/env node
// Route add: netlinkjs against `ip -batch`, adding 100 000 routes.
//
// Builds a throwaway namespace, then in the same run and alternating, times a fresh `node`
// process that loads dist/index.js and adds ROUTES routes with a plain
// `Promise.all(routes.map((r) => rt.route.add(r)))` against `ip -batch FILE` adding the same
// routes (`route add 10.x.y.z/32 via 10.0.0.2 dev v0 table 100`). Each timing is the whole
// program: start, parse/build, every request and its ack, exit. Table 100 is flushed between
// runs (not timed) and every run is checked to have added every route. Prints both medians
// and the ratio (ours / iproute2). The namespace is removed on exit, error or Ctrl-C.
//
//   node scripts/build-ts.mjs && sudo npm run bench:route-add [-- --runs 7 --routes 100000 --batch]
//
// --batch: our side uses rt.batch(ops) instead of Promise.all over rt.route.add.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { args, buildNamespace, dist, median, opt, setupBench, timeRun } from './bench-env.mjs';

const RUNS = opt('runs', 7);
const ROUTES = opt('routes', 100_000);
const MODE = args.includes('--batch') ? 'batch' : 'all';

const { ns, work, cleanup } = setupBench('route-add');


// Both sides add the same routes: 10.100.0.0/32, 10.100.0.1/32 … via 10.0.0.2 dev v0 table 100.
const dst = (i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
const batchFile = path.join(work, 'routes.batch');
{
  const lines = new Array(ROUTES);
  for (let i = 0; i < ROUTES; i++) lines[i] = `route add ${dst(i)} via 10.0.0.2 dev v0 table 100`;
  writeFileSync(batchFile, `${lines.join('\n')}\n`);
}

// The measured program on our side: load the package, open the handle, add, exit.
const child = path.join(work, 'add.cjs');
writeFileSync(child, `
const nl = require(${JSON.stringify(dist)});
const [ns, count, mode] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const dst = ${dst.toString()};
(async () => {
  const rt = await nl.open({ netns: ns });
  if (mode === 'batch') {
    const ops = new Array(count);
    for (let i = 0; i < count; i++) ops[i] = { op: 'route.add', route: { dst: dst(i), gateway: '10.0.0.2', dev: 'v0', table: 100 } };
    const results = await rt.batch(ops);
    const failed = results.find((r) => !r.ok);
    if (failed) throw failed.error;
  } else {
    const adds = new Array(count);
    for (let i = 0; i < count; i++) adds[i] = rt.route.add({ dst: dst(i), gateway: '10.0.0.2', dev: 'v0', table: 100 });
    await Promise.all(adds);
  }
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);

function routesInTable() {
  return Number(execFileSync('sh', ['-c', `ip -n ${ns} route show table 100 | wc -l`], { encoding: 'utf8' }).trim());
}
function flush() {
  try {
    execFileSync('ip', ['-n', ns, 'route', 'flush', 'table', '100'], { stdio: 'ignore' });
  } catch {
    /* table 100 does not exist yet */
  }
}

try {
  buildNamespace(ns);

  const ours = [];
  const theirs = [];
  const ourCpu = [];
  const theirCpu = [];
  const run = (which) => {
    flush();
    const r = which === 'ours' ? timeRun(process.execPath, [child, ns, String(ROUTES), MODE]) : timeRun('ip', ['-n', ns, '-batch', batchFile]);
    const n = routesInTable();
    if (n !== ROUTES) throw new Error(`${which}: table 100 holds ${n} routes, expected ${ROUTES}`);
    (which === 'ours' ? ours : theirs).push(r.ms);
    (which === 'ours' ? ourCpu : theirCpu).push(r.cpu);
  };
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first so neither always runs on a warmer cache.
    if (i % 2 === 0) {
      run('ours');
      run('theirs');
    } else {
      run('theirs');
      run('ours');
    }
  }
  const a = median(ours);
  const b = median(theirs);
  const line = (label, wall, cpu) =>
    `  ${label.padEnd(44)} wall median ${median(wall).toFixed(1).padStart(7)} ms (min ${Math.min(...wall).toFixed(1)}), CPU median ${median(cpu).toFixed(0).padStart(5)} ms`;
  console.log(`route add of ${ROUTES} routes (via, dev, table 100), ${RUNS} alternating runs, each a fresh process:`);
  console.log(line(MODE === 'batch' ? 'netlinkjs  rt.batch(ops)' : 'netlinkjs  Promise.all(rt.route.add …)', ours, ourCpu));
  console.log(line('iproute2   ip -batch', theirs, theirCpu));
  console.log(`  ratio netlinkjs / iproute2: ${(a / b).toFixed(2)}x wall, ${(median(ourCpu) / median(theirCpu)).toFixed(2)}x CPU`);
} finally {
  cleanup();
}
