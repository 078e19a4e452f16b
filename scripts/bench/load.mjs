// `npm run bench:load`: how long `require('netlinkjs')` takes in a fresh process (median of
// N runs, default 21). Short-lived users (a CLI call, a CNI-style plugin, a test worker) pay this
// on every start. Target: ≤ 20 ms. No root needed.
//
// Measured, alternating:
// - the package entry as every load after the first runs it: the bundle through the V8 code
//   cache the first load wrote (lib/boot/code-cache.ts);
// - the same entry with the cache off (NETLINKJS_CODE_CACHE=0): V8 parses the bundle each time,
//   as a first load, or a read-only install, does;
// - the per-file tsc output the bundle is built from (what `require` of 100+ modules costs).
// Then the very first load of a fresh install once: compile, run, and write the cache.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { median, opt, root } from './bench-env.mjs';

const runs = opt('runs', 21);
const entry = path.join(root, 'dist', 'netlinkjs.js');
const perFile = path.join(root, 'dist', 'index.js');
for (const file of [entry, perFile]) {
  if (!existsSync(file)) {
    console.error(`${file} is missing: run \`npm run build:ts\` first`);
    process.exit(1);
  }
}
const cacheDir = path.join(root, 'dist', '.v8-cache');
const probe = (file) => `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
const time = (file, env = {}) => {
  const r = spawnSync(process.execPath, ['-e', probe(file)], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
  return Number(r.stdout);
};

// The first load of a fresh install (no cache yet): it also writes the cache the rest use.
rmSync(cacheDir, { recursive: true, force: true });
const first = time(entry);
if (!existsSync(cacheDir)) throw new Error(`the first load wrote no code cache into ${cacheDir}`);

const cases = {
  'package entry (code cache)': () => time(entry),
  'package entry, cache off': () => time(entry, { NETLINKJS_CODE_CACHE: '0' }),
  'per-file tsc output': () => time(perFile),
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  // Alternating, so load on the machine hits all alike.
  for (const [name, fn] of Object.entries(cases)) times[name].push(fn());
}
console.log(`${'first load (writes cache)'.padEnd(28)} require: ${first.toFixed(1)} ms (once)`);
for (const [name, t] of Object.entries(times)) console.log(`${name.padEnd(28)} require: median ${median(t).toFixed(1)} ms over ${runs} fresh processes`);
const ours = median(times['package entry (code cache)']);
console.log(`load target ≤ 20 ms: ${ours <= 20 ? 'met' : 'NOT met'} (${ours.toFixed(1)} ms)`);
