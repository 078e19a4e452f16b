// What every route bench needs: its options, a throwaway namespace and work directory removed
// on exit, error or Ctrl-C, `ip`, a median, and a timer that reports a child's wall and CPU time.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root and the compiled package the measured programs load. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = path.join(root, 'dist', 'index.js');
export const args = process.argv.slice(2);

/** `--name N` as a number, else `def`. */
export const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};

/** Checks the build and root, then makes the namespace name and work dir for bench `name`, and `cleanup` (also run on exit and on signals). */
export function setupBench(name) {
  if (!existsSync(dist)) {
    console.error(`${dist} is missing: run \`node scripts/build-ts.mjs\` first`);
    process.exit(1);
  }
  if (process.getuid?.() !== 0) {
    console.error(`${name} needs root (it builds a network namespace)`);
    process.exit(1);
  }
  const ns = `nljs-bench-${name.replace('route-', '')}-${randomBytes(3).toString('hex')}`;
  const work = mkdtempSync(path.join(tmpdir(), `nljs-bench-${name.replace('route-', '')}-`));
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* never created, or already gone */
    }
    rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  return { ns, work, cleanup };
}

export const ip = (...a) => execFileSync('ip', a, { encoding: 'utf8', maxBuffer: 1 << 30 });

/** The namespace both sides work in: lo up, v0 (10.0.0.1/24) ⇄ v1 up, so 10.0.0.2 is a usable gateway. */
export function buildNamespace(ns) {
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ip('-n', ns, 'link', 'set', 'v0', 'up');
  ip('-n', ns, 'link', 'set', 'v1', 'up');
  ip('-n', ns, 'address', 'add', '10.0.0.1/24', 'dev', 'v0');
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// CPU time of reaped children (utime + stime, fields 16–17 of /proc/self/stat, in clock ticks):
// on a busy machine wall time mostly measures the scheduler, CPU time still measures the work.
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** Runs a command to completion; its wall ms, CPU ms and stdout (throws if it failed). */
export function timeRun(cmd, argv) {
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr || r.error}`);
  return { ms, cpu: childCpuMs() - c0, out: r.stdout };
}
