/**
 * Throwaway network namespaces for privileged tests, made and removed with iproute2 (the
 * oracle), so a test of our own netns code never depends on it for setup.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** True when the tests can do privileged network work (root with CAP_NET_ADMIN). */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A unique namespace name with a readable prefix, e.g. `nljs-link-3fa2c1`. */
export function uniqueName(prefix: string): string {
  return `nljs-${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Runs `ip` with args and returns stdout; throws with stderr on failure. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `ip -j …` and parses the JSON (empty output → []). */
export function ipJson<T = any>(...args: string[]): T {
  const out = ip('-j', ...args).trim();
  return (out ? JSON.parse(out) : []) as T;
}

/** Runs `ip -n NS -j …` inside a namespace and parses the JSON. */
export function ipnJson<T = any>(ns: string, ...args: string[]): T {
  return ipJson<T>('-n', ns, ...args);
}

/** Runs `bridge -j …` (optionally `-n NS`) and parses the JSON. */
export function bridgeJson<T = any>(ns: string | null, ...args: string[]): T {
  const full = ns ? ['-n', ns, '-j', ...args] : ['-j', ...args];
  const out = execFileSync('bridge', full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  return (out ? JSON.parse(out) : []) as T;
}

/** Creates namespaces and remembers them so `cleanup()` removes every one, even after failures. */
export class NetnsPool {
  private readonly names: string[] = [];

  /** `ip netns add <unique>` with lo up; returns the name. */
  add(prefix: string): string {
    const name = uniqueName(prefix);
    ip('netns', 'add', name);
    this.names.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** Removes every namespace this pool made (ignoring ones already gone). */
  cleanup(): void {
    for (const name of this.names.splice(0)) {
      try {
        ip('netns', 'del', name);
      } catch {
        /* already deleted by the test */
      }
    }
  }
}
