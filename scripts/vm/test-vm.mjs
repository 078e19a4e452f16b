#!/usr/bin/env node
// `npm run test:vm [-- <vitest files or options>]`: runs the privileged vitest suite as root inside
// the test VM (scripts/vm/run), by default test/integration and test/vm. Exits with vitest's
// exit status, or scripts/vm/run's own (124 timeout, 125 no QEMU / no kernel image).
//
// NETLINKJS_TEST_STRICT=1 makes a test whose kernel feature is missing fail instead of skipping
// (test/helpers/requires.ts), so this run cannot pass by skipping the VM-only tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'package.json'));

// vitest fails on a filter that matches nothing, so name only the directories that exist.
const defaultTargets = ['test/integration', 'test/vm'].filter((d) => existsSync(join(root, d)));
const args = process.argv.slice(2);
const vitestArgs = args.length > 0 ? [...args] : defaultTargets;

// Software emulation runs everything several times slower than the host, so the per-test and
// per-hook limits that suit the host are raised (unless given), and the whole VM gets 40 minutes
// (NETLINKJS_VM_TIMEOUT overrides) before scripts/vm/run kills it as hung.
const slowLimitMs = '180000';
for (const option of ['--testTimeout', '--hookTimeout']) {
  if (!vitestArgs.some((a) => a === option || a.startsWith(`${option}=`))) vitestArgs.push(`${option}=${slowLimitMs}`);
}
const vmTimeoutS = process.env.NETLINKJS_VM_TIMEOUT ?? '2400';

// The guest sees the host's files at the same paths, so the entry point resolved here works there.
const vitest = relative(root, join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs'));

const child = spawn(
  join(root, 'scripts', 'vm', 'run'),
  ['--timeout', vmTimeoutS, '--env', 'NETLINKJS_TEST_STRICT=1', '--', 'node', vitest, 'run', ...vitestArgs],
  { cwd: root, stdio: 'inherit' },
);
// Ctrl-C reaches scripts/vm/run as well (same process group); it stops the VM and exits 130.
process.on('SIGINT', () => {});
child.on('error', (err) => {
  console.error(`test:vm: cannot start scripts/vm/run: ${err.message}`);
  process.exit(125);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 : 1));
});
