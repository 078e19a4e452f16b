/**
 * Oracles and traffic for the tc tests: `tc -n NS [-j] …` both ways, and iperf3 between two
 * namespaces joined by a veth pair (server in one, client in the other).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** Runs `tc -n ns …`, returning stdout (throws with stderr on failure). */
export function tc(ns: string, ...args: string[]): string {
  return execFileSync('tc', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `tc -n ns -j …` and parses it (tc 6.1's htb class output is text: use tcText for it). */
export function tcJson<T = any>(ns: string, ...args: string[]): T {
  const out = tc(ns, '-j', ...args).trim();
  return (out ? JSON.parse(out) : []) as T;
}

/** tc's size print: '15337b', '1500Kb', '2Mb' → bytes (1024-based as tc's sprint_size). */
export function tcSize(s: string): number {
  const m = /^([0-9.]+)(b|Kb|Mb|Gb)$/.exec(s);
  if (!m) throw new Error(`not a tc size: ${s}`);
  return Math.round(Number(m[1]) * { b: 1, Kb: 1024, Mb: 1024 ** 2, Gb: 1024 ** 3 }[m[2] as 'b']);
}

/** tc's rate print: '100Mbit', '40Gbit', '8bit' → bit/s (1000-based). */
export function tcRate(s: string): number {
  const m = /^([0-9.]+)(bit|Kbit|Mbit|Gbit|Tbit)$/.exec(s);
  if (!m) throw new Error(`not a tc rate: ${s}`);
  return Math.round(Number(m[1]) * { bit: 1, Kbit: 1e3, Mbit: 1e6, Gbit: 1e9, Tbit: 1e12 }[m[2] as 'bit']);
}

/** `tc class show` lines of htb classes as { classid, rate, ceil, burst, cburst, prio }. */
export function htbClasses(ns: string, dev: string): Record<string, { rate: number; ceil: number; burst: number; cburst: number; prio: number; parent: string }> {
  const out: Record<string, any> = {};
  for (const line of tc(ns, 'class', 'show', 'dev', dev).split('\n')) {
    const m = /^class htb (\S+) (?:root|parent (\S+)) .*?prio (\d+) rate (\S+) ceil (\S+) burst (\S+) cburst (\S+)/.exec(line);
    if (m) out[m[1]!] = { parent: m[2] ?? 'root', prio: Number(m[3]), rate: tcRate(m[4]!), ceil: tcRate(m[5]!), burst: tcSize(m[6]!), cburst: tcSize(m[7]!) };
  }
  return out;
}

/** The `match VALUE/MASK at OFF` keys of u32 filters in `tc filter show` text, per filter handle. */
export function u32Keys(ns: string, dev: string, parent: string): Record<string, { value: number; mask: number; at: number }[]> {
  const out: Record<string, { value: number; mask: number; at: number }[]> = {};
  let fh = '';
  for (const line of tc(ns, 'filter', 'show', 'dev', dev, 'parent', parent).split('\n')) {
    const h = /fh (\S+) /.exec(line);
    if (h) { fh = h[1]!; out[fh] ??= []; continue; }
    const m = /match ([0-9a-f]+)\/([0-9a-f]+) at (-?\d+)/.exec(line);
    if (m && fh) out[fh]!.push({ value: parseInt(m[1]!, 16), mask: parseInt(m[2]!, 16), at: Number(m[3]) });
  }
  return out;
}

/** Runs `ip netns exec ns cmd …` and returns stdout. */
export function nsExec(ns: string, cmd: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** An iperf3 server in `ns` (one-off), resolved once it listens. */
export function iperfServer(ns: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, 'iperf3', '-s', '-1', '--forceflush', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) resolve(child);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`iperf3 server exited ${code}: ${out}`)));
  });
}

/**
 * Measured TCP throughput (bit/s, receiver side) of an iperf3 run from `clientNs` to `host`.
 * `reverse` makes the server send (iperf3 -R). The first second (slow start) is omitted.
 */
export async function iperf(serverNs: string, clientNs: string, host: string, seconds = 4, reverse = false): Promise<number> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = await iperfServer(serverNs, port);
  try {
    const out = nsExec(clientNs, 'iperf3', '-c', host, '-p', String(port), '-t', String(seconds), '-O', '1', '-J', ...(reverse ? ['-R'] : []));
    return JSON.parse(out).end.sum_received.bits_per_second;
  } finally {
    server.kill();
  }
}
