#!/usr/bin/env node
// Route dump: netlinkjs against iproute2 on a table of 100 000 routes.
//
// Builds a throwaway namespace holding ROUTES routes in table 100 (set up with `ip -batch`),
// then, in the same run and alternating, times a fresh `node` process that loads dist/index.js
// and calls `rt.route.list({ table: 100 })` against `ip -j route show table 100`. Prints both
// medians and the ratio (ours / iproute2). The namespace is removed on exit, error or Ctrl-C.
//
//   node scripts/build-ts.mjs && sudo npm run bench:route-dump [-- --runs 11 --routes 100000 --json]
//
// --json: our process also prints the routes as JSON, as `ip -j` does (by default it prints
// only the count: the comparison is "get the routes as data").
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist', 'index.js');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt('runs', 11);
const ROUTES = opt('routes', 100_000);
const JSON_OUT = args.includes('--json');

if (!existsSync(dist)) {
  console.error(`${dist} is missing: run \`node scripts/build-ts.mjs\` first`);
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  console.error('route-dump needs root (it builds a network namespace)');
  process.exit(1);
}

const ns = `nljs-bench-dump-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(path.join(tmpdir(), 'nljs-bench-dump-'));
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    /* never created, or already gone */
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

const ip = (...a) => execFileSync('ip', a, { encoding: 'utf8', maxBuffer: 1 << 30 });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function routeLines(n) {
  const lines = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = `route add 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 via 10.0.0.2 table 100`;
  return `${lines.join('\n')}\n`;
}

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

// CPU time of reaped children (utime + stime, fields 16–17 of /proc/self/stat, in clock ticks):
// on a busy machine wall time mostly measures the scheduler, CPU time still measures the work.
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

function timeRun(cmd, argv) {
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr || r.error}`);
  return { ms, cpu: childCpuMs() - c0, out: r.stdout };
}

try {
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ip('-n', ns, 'link', 'set', 'v0', 'up');
  ip('-n', ns, 'link', 'set', 'v1', 'up');
  ip('-n', ns, 'address', 'add', '10.0.0.1/24', 'dev', 'v0');
  const batch = path.join(work, 'routes.batch');
  writeFileSync(batch, routeLines(ROUTES));
  ip('-n', ns, '-batch', batch);

  const ours = [];
  const theirs = [];
  const ourCpu = [];
  const theirCpu = [];
  const runOurs = () => {
    const r = timeRun(process.execPath, ourArgs);
    ours.push(r.ms);
    ourCpu.push(r.cpu);
  };
  const runTheirs = () => {
    const r = timeRun('ip', ipArgs);
    theirs.push(r.ms);
    theirCpu.push(r.cpu);
  };
  const ourArgs = [child, ns, JSON_OUT ? 'json' : 'count'];
  const ipArgs = ['-n', ns, '-j', 'route', 'show', 'table', '100'];
  // Check both sides see every route once before timing anything.
  const first = timeRun(process.execPath, ourArgs).out;
  const got = JSON_OUT ? JSON.parse(first).length : Number(first);
  const ipGot = JSON.parse(timeRun('ip', ipArgs).out).length;
  if (got !== ROUTES || ipGot !== ROUTES) throw new Error(`expected ${ROUTES} routes, netlinkjs listed ${got}, ip ${ipGot}`);
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first so neither always runs on a warmer cache.
    if (i % 2 === 0) {
      runOurs();
      runTheirs();
    } else {
      runTheirs();
      runOurs();
    }
  }
  const a = median(ours);
  const b = median(theirs);
  console.log(`route dump of ${ROUTES} routes (table 100), ${RUNS} alternating runs, each a fresh process:`);
  const line = (label, wall, cpu) =>
    `  ${label.padEnd(44)} wall median ${median(wall).toFixed(1).padStart(7)} ms (min ${Math.min(...wall).toFixed(1)}), CPU median ${median(cpu).toFixed(0).padStart(5)} ms`;
  console.log(line(`netlinkjs  rt.route.list({ table: 100 })${JSON_OUT ? ' + JSON' : ''}`, ours, ourCpu));
  console.log(line('iproute2   ip -j route show table 100', theirs, theirCpu));
  console.log(`  ratio netlinkjs / iproute2: ${(a / b).toFixed(2)}x wall, ${(median(ourCpu) / median(theirCpu)).toFixed(2)}x CPU`);
} finally {
  cleanup();
}
