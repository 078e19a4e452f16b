/**
 * The native NetlinkSocket's lifetime and async context (root only: real sockets in
 * throwaway namespaces, iproute2 makes the changes that are announced):
 *
 * - callbacks run in the async context the socket was opened in, so AsyncLocalStorage works
 *   inside them (a monitor opened in `als.run()` sees the store in its listeners);
 * - an open socket keeps itself alive with no JS reference left (libuv points at it), and once
 *   closed lets go of its callbacks, so it and what they close over (the engine) are collected;
 * - a socket left open in a worker is closed when the worker's environment goes away.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { native, packageRoot } from '../../lib/native';
import { openNetlinkSocket } from '../../lib/core/socket';
import { NETLINK_ROUTE } from '../../lib/wire/constants';
import { ip, isRoot, NetnsPool } from '../helpers/netns';

const pool = new NetnsPool();
afterEach(() => pool.cleanup());

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(until: () => boolean): Promise<boolean> {
  for (let i = 0; i < 50 && !until(); i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return until();
}

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

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

const RTMGRP_LINK = 1;

describe.skipIf(!isRoot)('native netlink socket', { timeout: 60_000 }, () => {
  it('runs callbacks in the async context it was opened in (AsyncLocalStorage)', async () => {
    const ns = pool.add('nlsals');
    const als = new AsyncLocalStorage<{ id: number }>();
    // A request awaited inside als.run() sees the store after the reply.
    const seenAfterAwait = await als.run({ id: 1 }, async () => {
      const rt = await nl.open({ netns: ns });
      try {
        const links = await rt.link.list();
        expect(links.map((l) => l.name)).toContain('lo');
        return als.getStore();
      } finally {
        rt.close();
      }
    });
    expect(seenAfterAwait).toEqual({ id: 1 });

    // Listeners of a monitor opened inside als.run() run from the socket's data callback.
    const mon = await als.run({ id: 2 }, () => nl.monitor({ netns: ns, groups: ['link'] }));
    try {
      const seen = await new Promise<unknown>((resolve) => {
        mon.once('event', () => resolve(als.getStore()));
        ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
      });
      expect(seen).toEqual({ id: 2 });
    } finally {
      mon.close();
    }
  });

  it('stays alive while open with no reference left, and is collected after close', async () => {
    const ns = pool.add('nlslife');
    const n = native();
    const { fd } = await n.openNetlink(NETLINK_ROUTE, { path: `/run/netns/${ns}` });
    const datagrams: number[] = [];
    const collected = new Set<string>();
    const registry = new FinalizationRegistry<string>((what) => collected.add(what));
    let weak: WeakRef<object>;
    (() => {
      const sock = new n.NetlinkSocket(fd, (buf: Buffer) => datagrams.push(buf.length), () => {});
      sock.bind(RTMGRP_LINK);
      registry.register(sock, 'unreferenced');
      weak = new WeakRef(sock);
    })();
    // Nothing in JS holds the socket now; collections must not close it under libuv.
    await collect(() => false);
    expect(collected.has('unreferenced')).toBe(false);
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    await until(() => datagrams.length > 0);
    (weak!.deref() as { close(): void }).close();
    expect(await collect(() => collected.has('unreferenced'))).toBe(true);

    // The same through the library: closing the engine lets socket and engine go, although
    // the socket's callbacks close over the engine.
    await (async () => {
      const { sock, engine } = await openNetlinkSocket(NETLINK_ROUTE, { netns: ns });
      registry.register(sock, 'sock');
      registry.register(engine, 'engine');
      engine.close();
    })();
    expect(await collect(() => collected.has('sock') && collected.has('engine'))).toBe(true);
  });

  it('is closed with its environment when a worker exits with it open', async () => {
    const ns = pool.add('nlsenv');
    const base = socketFds();
    const addon = process.env.NETLINKJS_ADDON_PATH ?? (require('node-gyp-build') as { path(d: string): string }).path(packageRoot);
    for (let round = 0; round < 3; round++) {
      const w = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
         const n = require(workerData.addon);
         n.openNetlink(0, { path: workerData.path }).then(({ fd }) => {
           const s = new n.NetlinkSocket(fd, () => {}, () => {});
           s.bind(1);
           s.ref();
           parentPort.postMessage('open');
         });`,
        { eval: true, workerData: { addon, path: `/run/netns/${ns}` } },
      );
      await once(w, 'message');
      expect(socketFds()).toBe(base + 1);
      await w.terminate();
    }
    expect(socketFds()).toBe(base);
  });
});
