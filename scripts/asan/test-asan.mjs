#!/usr/bin/env node
/**
 * `npm run test:asan`: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into
 * build-asan/ (build/Release is left alone) and runs the native-heavy tests against that build,
 * with the sanitizer runtimes preloaded (node itself is not instrumented, so libasan must be
 * the first library in the process to interpose malloc/free).
 *
 * Any report fails the run: ASan aborts on its first error and writes its report under
 * build-asan/reports/, which is checked after the run (a report in a forked test worker cannot
 * hide behind a passing summary); UBSan is built without recovery, so its first report (on
 * stderr) aborts the worker and fails the run.
 * Leak detection is off: node does not free its own allocations at exit, and those are not
 * ours to judge; use-after-free, overflows and UB in the addon are what this run is for.
 *
 *   npm run test:asan                 # build (incremental) + the default test set
 *   npm run test:asan -- FILES…       # build + these test files instead
 *   ASAN_SKIP_BUILD=1 npm run test:asan
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'build-asan');
const reports = path.join(out, 'reports');

/** The native-heavy tests: frame pump / TAP / macvtap, netlink sockets, netns threads, codec fuzz. */
const DEFAULT_TESTS = [
  'test/unit/frame-pump.test.ts',
  'test/unit/native-netlink-socket.test.ts',
  'test/unit/codec-fuzz.test.ts',
  'test/integration/tap.test.ts',
  'test/integration/tap-errors.test.ts',
  'test/integration/tap-vnet.test.ts',
  'test/integration/tap-multiqueue.test.ts',
  'test/integration/macvtap.test.ts',
  'test/integration/netns-native.test.ts',
  'test/integration/netns.test.ts',
  'test/integration/ethtool.test.ts',
];

const SAN_FLAGS = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer', '-g', '-O1'];

function runtime(lib) {
  const p = execFileSync(process.env.CC || 'gcc', [`-print-file-name=${lib}`], { encoding: 'utf8' }).trim();
  if (!path.isAbsolute(p) || !fs.existsSync(p)) {
    throw new Error(`${lib} not found (gcc -print-file-name said "${p}"): install gcc's sanitizer runtimes (Debian: libasan8 libubsan1, which build-essential pulls in)`);
  }
  return fs.realpathSync(p);
}

/** A binding.gyp for build-asan/: the project's, with sanitizer flags. */
function writeBinding() {
  const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8'));
  for (const t of gyp.targets) {
    t.cflags = [...(t.cflags ?? []), ...SAN_FLAGS];
    if (t.cflags_cc) t.cflags_cc = [...t.cflags_cc.filter((f) => !/^-O/.test(f)), ...SAN_FLAGS];
    t.ldflags = [...(t.ldflags ?? []), '-fsanitize=address,undefined'];
  }
  const text = JSON.stringify(gyp, null, 2) + '\n';
  const file = path.join(out, 'binding.gyp');
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return false;
  fs.writeFileSync(file, text);
  return true;
}

function build() {
  fs.mkdirSync(out, { recursive: true });
  const changed = writeBinding();
  // The sources (native/) and node-addon-api's include dir (node_modules/) are the project's,
  // reached through links so that the generated binding.gyp keeps the project's relative paths.
  for (const dir of ['native', 'node_modules']) {
    const link = path.join(out, dir);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(root, dir), link);
  }
  const gyp = path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const configured = !changed && fs.existsSync(path.join(out, 'build', 'Makefile'));
  const steps = configured ? [['build']] : [['configure'], ['build']];
  for (const step of steps) {
    const r = spawnSync(process.execPath, [gyp, ...step, '-j', '2'], { cwd: out, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

if (!process.env.ASAN_SKIP_BUILD) build();
const addon = path.join(out, 'build', 'Release', 'netlinkjs.node');
if (!fs.existsSync(addon)) throw new Error(`${addon} is missing: build first`);

fs.rmSync(reports, { recursive: true, force: true });
fs.mkdirSync(reports, { recursive: true });
const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_TESTS;
const env = {
  ...process.env,
  NETLINKJS_ADDON_PATH: addon,
  LD_PRELOAD: [runtime('libasan.so'), runtime('libubsan.so'), process.env.LD_PRELOAD].filter(Boolean).join(':'),
  // detect_leaks=0: node's own allocations at exit. alloc_dealloc_mismatch=0: node and V8
  // (uninstrumented) free some memory with another allocator family than they used.
  ASAN_OPTIONS: [
    'detect_leaks=0',
    'alloc_dealloc_mismatch=0',
    'abort_on_error=1',
    'halt_on_error=1',
    `log_path=${path.join(reports, 'asan')}`,
    process.env.ASAN_OPTIONS,
  ].filter(Boolean).join(':'),
  UBSAN_OPTIONS: ['halt_on_error=1', 'abort_on_error=1', 'print_stacktrace=1', `log_path=${path.join(reports, 'ubsan')}`, process.env.UBSAN_OPTIONS]
    .filter(Boolean)
    .join(':'),
};
// The instrumented addon must really be the one loaded, with the runtime in place (a missing
// preload makes the load fail; a wrong path would silently test build/Release).
const probe = spawnSync(
  process.execPath,
  ['-e', "const a=require(process.env.NETLINKJS_ADDON_PATH); if(!a.FramePump||!require('fs').readFileSync('/proc/self/maps','utf8').includes('libasan'))process.exit(3)"],
  { env, stdio: 'inherit' },
);
if (probe.status !== 0) {
  console.error('test:asan: the instrumented addon did not load with the sanitizer runtime');
  process.exit(1);
}

const started = Date.now();
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', ...files], { cwd: root, env, stdio: 'inherit' });

// Reports of our addon count; a preloaded runtime also lands in the tools the tests run (ip,
// tc, sysctl), whose reports would name their own binaries: those are listed, and fail too.
const found = fs.readdirSync(reports).map((f) => path.join(reports, f));
for (const f of found) {
  process.stderr.write(`\n── sanitizer report ${f} ──\n${fs.readFileSync(f, 'utf8')}`);
}
const secs = ((Date.now() - started) / 1000).toFixed(0);
if (found.length > 0) {
  console.error(`test:asan: ${found.length} sanitizer report(s) (see above), ${secs} s`);
  process.exit(1);
}
if (r.status !== 0) {
  console.error(`test:asan: tests failed (exit ${r.status ?? r.signal}), ${secs} s`);
  process.exit(r.status ?? 1);
}
console.log(`test:asan: ${files.length} test files passed under ASan+UBSan with zero reports, ${secs} s`);
