// `npm run bench:load`: how long `require('netlinkjs')` takes in a fresh process (median of
// N runs, default 21), for the package's entry (the esbuild bundle) and, for comparison, the
// per-file tsc output it is built from. Short-lived users (a CLI call, a CNI-style plugin, a
// test worker) pay this on every start. Target: ≤ 20 ms. No root needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { median, opt, root } from './bench-env.mjs';

const runs = opt('runs', 21);
const entries = { 'bundle (package entry)': path.join(root, 'dist', 'netlinkjs.js'), 'per-file tsc output': path.join(root, 'dist', 'index.js') };
for (const file of Object.values(entries)) {
  if (!existsSync(file)) {
    console.error(`${file} is missing: run \`npm run build:ts\` first`);
    process.exit(1);
  }
}
const probe = (file) => `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
const times = Object.fromEntries(Object.keys(entries).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  // Alternating, so load on the machine hits both alike.
  for (const [name, file] of Object.entries(entries)) {
    const r = spawnSync(process.execPath, ['-e', probe(file)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    times[name].push(Number(r.stdout));
  }
}
for (const [name, t] of Object.entries(times)) console.log(`${name.padEnd(24)} require: median ${median(t).toFixed(1)} ms over ${runs} fresh processes`);
const ours = median(times['bundle (package entry)']);
console.log(`load target ≤ 20 ms: ${ours <= 20 ? 'met' : 'NOT met'} (${ours.toFixed(1)} ms)`);
