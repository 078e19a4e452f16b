#!/usr/bin/env node
// Route dump: netlinkjs against iproute2 on a table of 100 000 routes.
//
// Builds a throwaway namespace holding ROUTES routes in table 100 (set up with `ip -batch`),
// then, in the same run and alternating, times a fresh `node` process that loads the package (dist/netlinkjs.js)
// and calls `rt.route.list({ table: 100 })` against `ip -j route show table 100`. Prints both
// medians and the ratio (ours / iproute2). The namespace is removed on exit, error or Ctrl-C.
//
//   node scripts/build-ts.mjs && sudo npm run bench:route-dump [-- --runs 11 --routes 100000 --json]
//
// --json: our process also prints the routes as JSON, as `ip -j` does (by default it prints
// only the count: the comparison is "get the routes as data").
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { alternate, args, buildNamespace, dist, ip, opt, report, setupBench, timeRun, writeRouteBatch } from './bench-env.mjs';

const RUNS = opt('runs', 11);
const ROUTES = opt('routes', 100_000);
const JSON_OUT = args.includes('--json');

const { ns, work, cleanup } = setupBench('route-dump');

// The measured program on our side: load the package, open the handle, list, print.
const child = path.join(work, 'list.cjs');
writeFileSync(child, `
const nl = require(${JSON.stringify(dist)});
(async () => {
  const rt = await nl.open({ netns: process.argv[2] });
  const routes = await rt.route.list({ table: 100 });
  process.stdout.write(process.argv[3] === 'json' ? JSON.stringify(routes) : String(routes.length));
  rt.close();
})().catch((e) => { console.error(e); process.exit(1); });
`);

try {
  buildNamespace(ns);
  const batch = path.join(work, 'routes.batch');
  writeRouteBatch(batch, ROUTES);
  ip('-n', ns, '-batch', batch);

  const ourArgs = [child, ns, JSON_OUT ? 'json' : 'count'];
  const ipArgs = ['-n', ns, '-j', 'route', 'show', 'table', '100'];
  // Check both sides see every route once before timing anything.
  const first = timeRun(process.execPath, ourArgs).out;
  const got = JSON_OUT ? JSON.parse(first).length : Number(first);
  const ipGot = JSON.parse(timeRun('ip', ipArgs).out).length;
  if (got !== ROUTES || ipGot !== ROUTES) throw new Error(`expected ${ROUTES} routes, netlinkjs listed ${got}, ip ${ipGot}`);
  const t = alternate(
    RUNS,
    () => timeRun(process.execPath, ourArgs),
    () => timeRun('ip', ipArgs),
  );
  report(
    `route dump of ${ROUTES} routes (table 100), ${RUNS} alternating runs, each a fresh process:`,
    `netlinkjs  rt.route.list({ table: 100 })${JSON_OUT ? ' + JSON' : ''}`,
    'iproute2   ip -j route show table 100',
    t,
  );
} finally {
  cleanup();
}
