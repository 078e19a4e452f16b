// What the benches share: options, a throwaway namespace and work directory removed on exit,
// error or Ctrl-C, `ip`, a median, CPU time from /proc, a timer that reports a child's wall and
// CPU time, and for the route benches the routes and the alternating ours/theirs runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root and the compiled package the measured programs load. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = path.join(root, 'dist', 'netlinkjs.js');
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

// CPU time from /proc/PID/stat in clock ticks: utime + stime (fields 14–15), or those of the
// process's reaped children (16–17). On a busy machine wall time mostly measures the scheduler,
// CPU time still measures the work.
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** CPU ms used so far by process `pid` ('self' = this one), or with `children` by its reaped children. */
export function procCpuMs(pid = 'self', children = false) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = children ? 13 : 11;
  return (Number(f[at]) + Number(f[at + 1])) * TICK_MS;
}

/** Runs a command to completion; its wall ms, CPU ms and stdout (throws if it failed). */
export function timeRun(cmd, argv) {
  const c0 = procCpuMs('self', true);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr || r.error}`);
  return { ms, cpu: procCpuMs('self', true) - c0, out: r.stdout };
}

/** Destination of route i of a bench table: 10.100.0.0/32, 10.100.0.1/32 … (self-contained: the measured programs embed its source). */
export const routeDst = (i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;

/** Writes an `ip -batch` file adding routes 0 … n-1 via 10.0.0.2 dev v0 to table 100. */
export function writeRouteBatch(file, n) {
  const lines = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = `route add ${routeDst(i)} via 10.0.0.2 dev v0 table 100`;
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/**
 * Calls `ours` and `theirs` (each returns a {@link timeRun} result) `runs` times each, alternating
 * which goes first so neither always runs on a warmer cache; their wall and CPU ms.
 */
export function alternate(runs, ours, theirs) {
  const t = { ours: { wall: [], cpu: [] }, theirs: { wall: [], cpu: [] } };
  const one = (side, fn) => {
    const r = fn();
    t[side].wall.push(r.ms);
    t[side].cpu.push(r.cpu);
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      one('ours', ours);
      one('theirs', theirs);
    } else {
      one('theirs', theirs);
      one('ours', ours);
    }
  }
  return t;
}

/** Prints `title`, both sides' medians (wall with its minimum, CPU) and the ratio netlinkjs / `peer` (iproute2 unless named). */
export function report(title, ourLabel, theirLabel, t, peer = 'iproute2') {
  const line = (label, { wall, cpu }) =>
    `  ${label.padEnd(44)} wall median ${median(wall).toFixed(1).padStart(7)} ms (min ${Math.min(...wall).toFixed(1)}), CPU median ${median(cpu).toFixed(0).padStart(5)} ms`;
  console.log(title);
  console.log(line(ourLabel, t.ours));
  console.log(line(theirLabel, t.theirs));
  const ratio = (side) => (median(t.ours[side]) / median(t.theirs[side])).toFixed(2);
  console.log(`  ratio netlinkjs / ${peer}: ${ratio('wall')}x wall, ${ratio('cpu')}x CPU`);
}
