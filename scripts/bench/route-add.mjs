#!/usr/bin/env node
// Route add: netlinkjs against `ip -batch`, adding 100 000 routes.
//
// Builds a throwaway namespace, then in the same run and alternating, times a fresh `node`
// process that loads the package (dist/netlinkjs.js) and adds ROUTES routes with a plain
// `Promise.all(routes.map((r) => rt.route.add(r)))` against `ip -batch FILE` adding the same
// routes (`route add 10.x.y.z/32 via 10.0.0.2 dev v0 table 100`). Each timing is the whole
// program: start, parse/build, every request and its ack, exit. Table 100 is flushed between
// runs (not timed) and every run is checked to have added every route. Prints both medians
// and the ratio (ours / iproute2). The namespace is removed on exit, error or Ctrl-C.
//
//   node scripts/build-ts.mjs && sudo npm run bench:route-add [-- --runs 7 --routes 100000 --batch]
//
// --batch: our side uses rt.batch(ops) instead of Promise.all over rt.route.add.
// --nexthop: both sides first get 4 nexthop objects (ids 1–4 via 10.0.0.2–5, untimed), and
// route i names nexthop object 1 + i % 4 (`route add 10.x.y.z/32 nhid N table 100`) instead
// of carrying its own gateway: how big tables are programmed with nexthop objects.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { alternate, args, buildNamespace, dist, ip, opt, report, routeDst, setupBench, timeRun, writeRouteBatch } from './bench-env.mjs';

const RUNS = opt('runs', 7);
const ROUTES = opt('routes', 100_000);
const MODE = args.includes('--batch') ? 'batch' : 'all';
const NEXTHOP = args.includes('--nexthop');

const { ns, work, cleanup } = setupBench('route-add');

// Both sides add the same routes: 10.100.0.0/32, 10.100.0.1/32 … via 10.0.0.2 dev v0 table 100.
const batchFile = path.join(work, 'routes.batch');
if (NEXTHOP) {
  const lines = new Array(ROUTES);
  for (let i = 0; i < ROUTES; i++) lines[i] = `route add ${routeDst(i)} nhid ${1 + (i % 4)} table 100`;
  writeFileSync(batchFile, `${lines.join('\n')}\n`);
} else {
  writeRouteBatch(batchFile, ROUTES);
}

// The measured program on our side: load the package, open the handle, add, exit.
const child = path.join(work, 'add.cjs');
writeFileSync(child, `
const nl = require(${JSON.stringify(dist)});
const [ns, count, mode, nexthop] = [process.argv[2], Number(process.argv[3]), process.argv[4], process.argv[5] === 'nexthop'];
const dst = ${routeDst.toString()};
const route = nexthop ? (i) => ({ dst: dst(i), nhid: 1 + (i % 4), table: 100 }) : (i) => ({ dst: dst(i), gateway: '10.0.0.2', dev: 'v0', table: 100 });
(async () => {
  const rt = await nl.open({ netns: ns });
  if (mode === 'batch') {
    const ops = new Array(count);
    for (let i = 0; i < count; i++) ops[i] = { op: 'route.add', route: route(i) };
    const results = await rt.batch(ops);
    const failed = results.find((r) => !r.ok);
    if (failed) throw failed.error;
  } else {
    const adds = new Array(count);
    for (let i = 0; i < count; i++) adds[i] = rt.route.add(route(i));
    await Promise.all(adds);
  }
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);

function routesInTable() {
  return ip('-n', ns, 'route', 'show', 'table', '100').split('\n').filter(Boolean).length;
}
/** The 4 nexthop objects of --nexthop runs (deleting them takes their routes along). */
function addNexthops() {
  for (let id = 1; id <= 4; id++) ip('-n', ns, 'nexthop', 'add', 'id', String(id), 'via', `10.0.0.${id + 1}`, 'dev', 'v0');
}
function flush() {
  if (NEXTHOP) {
    // `ip route flush` leaves routes over nexthop objects behind (iproute2 6.1); removing the
    // objects removes every route using them.
    ip('-n', ns, 'nexthop', 'flush');
    addNexthops();
    return;
  }
  try {
    execFileSync('ip', ['-n', ns, 'route', 'flush', 'table', '100'], { stdio: 'ignore' });
  } catch {
    /* table 100 does not exist yet */
  }
}

try {
  buildNamespace(ns);
  if (NEXTHOP) addNexthops();

  // Each run starts from an empty table 100 (flushed untimed) and must leave every route in it.
  const timed = (which, cmd, argv) => () => {
    flush();
    const r = timeRun(cmd, argv);
    const n = routesInTable();
    if (n !== ROUTES) throw new Error(`${which}: table 100 holds ${n} routes, expected ${ROUTES}`);
    return r;
  };
  const t = alternate(
    RUNS,
    timed('ours', process.execPath, [child, ns, String(ROUTES), MODE, NEXTHOP ? 'nexthop' : 'gateway']),
    timed('theirs', 'ip', ['-n', ns, '-batch', batchFile]),
  );
  report(
    `route add of ${ROUTES} routes (${NEXTHOP ? 'over 4 nexthop objects' : 'via, dev'}, table 100), ${RUNS} alternating runs, each a fresh process:`,
    MODE === 'batch' ? 'netlinkjs  rt.batch(ops)' : 'netlinkjs  Promise.all(rt.route.add …)',
    'iproute2   ip -batch',
    t,
  );
} finally {
  cleanup();
}
