/**
 * The native namespace threads (native/netns-thread.cc) against the real kernel:
 *
 * - a namespace fd lent by the caller is duplicated on the caller's thread before the helper
 *   thread runs, so closing the handle right after `nl.open({ netns: handle })` — even with the
 *   fd number immediately reused for another namespace — still opens the socket in the
 *   namespace that was asked for (iproute2 lists that namespace's links: the oracle);
 * - when the environment is torn down (a worker exits) while helper threads are still running,
 *   the fds those threads opened are closed rather than leaked.
 */
import * as fs from 'node:fs';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import * as tap from '../../lib/tap/tap';
import { packageRoot } from '../../lib/native';
import { ip, ipnJson, isRoot, NetnsPool } from '../helpers/netns';

const pool = new NetnsPool();
afterEach(() => pool.cleanup());

const linkNames = (ns: string) => ipnJson<{ ifname: string }[]>(ns, 'link').map((l) => l.ifname).sort();

/** Sockets this process holds (fds whose link reads socket:[…]). */
function socketFds(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      /* closed while listing */
    }
  }
  return n;
}

const threadCount = () => fs.readdirSync('/proc/self/task').length;

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/** The addon file the library loads (an instrumented build under test:asan). */
function addonFile(): string {
  if (process.env.NETLINKJS_ADDON_PATH) return process.env.NETLINKJS_ADDON_PATH;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require('node-gyp-build') as { path(dir: string): string }).path(packageRoot);
}

describe.skipIf(!isRoot)('native namespace threads', { timeout: 60_000 }, () => {
  it('opens in the namespace of a handle closed right after the call, even when its fd number is reused', async () => {
    const a = pool.add('nsdupa');
    const b = pool.add('nsdupb');
    ip('-n', a, 'link', 'add', 'nlmarka0', 'type', 'veth', 'peer', 'name', 'nlmarka1');
    ip('-n', b, 'link', 'add', 'nlmarkb0', 'type', 'veth', 'peer', 'name', 'nlmarkb1');

    for (let round = 0; round < 5; round++) {
      const handle = nl.netns.open(a);
      const fd = handle.fd;
      const opening = nl.open({ netns: handle });
      // The caller is done with its handle at once; the number then names namespace b.
      handle.close();
      const reused = fs.openSync(`/run/netns/${b}`, 'r');
      try {
        const rt = await opening;
        try {
          const names = (await rt.link.list()).map((l) => l.name).sort();
          expect(names, `round ${round} (fd ${fd}, reused as ${reused})`).toEqual(linkNames(a));
          expect(names).toContain('nlmarka0');
        } finally {
          rt.close();
        }
      } finally {
        fs.closeSync(reused);
      }
    }
  });

  it('does the same for a TAP opened with a handle', async () => {
    const a = pool.add('nsdupt');
    const b = pool.add('nsdupu');
    const handle = nl.netns.open(a);
    const opening = tap.open({ netns: handle, name: 'nldup0' });
    handle.close();
    const reused = fs.openSync(`/run/netns/${b}`, 'r');
    try {
      const t = await opening;
      try {
        expect(linkNames(a)).toContain('nldup0');
        expect(linkNames(b)).not.toContain('nldup0');
      } finally {
        t.close();
      }
    } finally {
      fs.closeSync(reused);
    }
  });

  it('closes the fds of helper threads that finish after their environment was torn down', async () => {
    const ns = pool.add('nsteardown');
    const baseThreads = threadCount();
    const baseSockets = socketFds();
    for (let round = 0; round < 4; round++) {
      // Each worker starts 32 opens in the namespace and exits at once: some threads settle
      // normally, some find the thread-safe function closing, some are still queued.
      const w = new Worker(
        `const { workerData } = require('node:worker_threads');
         const n = require(workerData.addon);
         for (let i = 0; i < 32; i++) n.openNetlink(0, { path: workerData.path }).catch(() => {});
         process.exit(0);`,
        { eval: true, workerData: { addon: addonFile(), path: `/run/netns/${ns}` } },
      );
      await once(w, 'exit');
    }
    // Every helper thread has finished (they are detached: count the process's threads).
    await until(() => threadCount() <= baseThreads);
    expect(socketFds()).toBe(baseSockets);
  });
});
