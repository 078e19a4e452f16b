/**
 * Bulk changes against the kernel: a plain Promise.all over rt.route.add and an explicit
 * rt.batch(ops) both leave pipelined (many requests per sendmsg, counted at the socket), and
 * rt.batch reports every op's own outcome in order: done, refused by the kernel, or invalid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, bridgeJson, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** Counts sendmsg calls and the messages in them, between the engine and its socket. */
/** Counts sendmsg calls and the messages in them (also by type: barriers, link lookups). */
function countSends(handle: nl.Rtnl): { calls: number; messages: number; barriers: number; lookups: number; restore(): void } {
  const engine = handle.engine as any;
  const sock = engine.transport;
  const counter = {
    calls: 0,
    messages: 0,
    barriers: 0,
    lookups: 0,
    restore: () => {
      engine.transport = sock;
    },
  };
  engine.transport = {
    send(buf: Buffer) {
      counter.calls++;
      for (let off = 0; off + 16 <= buf.length; off += (buf.readUInt32LE(off) + 3) & ~3) {
        counter.messages++;
        const type = buf.readUInt16LE(off + 4);
        if (type === 1 /* NLMSG_NOOP */) counter.barriers++;
        if (type === 18 /* RTM_GETLINK */) counter.lookups++;
      }
      return sock.send(buf);
    },
    ref: () => sock.ref(),
    unref: () => sock.unref(),
    close: () => sock.close(),
  };
  return counter;
}

const hostRoute = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;

describe.skipIf(!isRoot)('bulk changes (root)', () => {
  beforeAll(async () => {
    ns = pool.add('batch');
    const sh = (...a: string[]) => ip('-n', ns, ...a);
    sh('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    sh('link', 'add', 'br0', 'type', 'bridge');
    sh('link', 'add', 'vx0', 'type', 'vxlan', 'id', '7', 'dstport', '4789', 'nolearning');
    for (const l of ['v0', 'v1', 'br0', 'vx0']) sh('link', 'set', l, 'up');
    sh('address', 'add', '10.0.0.1/24', 'dev', 'v0');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('Promise.all over 5 000 rt.route.add leaves in a handful of sendmsg calls', async () => {
    const n = 5000;
    const sends = countSends(rt);
    try {
      await Promise.all(Array.from({ length: n }, (_, i) => rt.route.add({ dst: hostRoute(i), gateway: '10.0.0.2', dev: 'v0', table: 100 })));
    } finally {
      sends.restore();
    }
    // One lookup of 'v0' (shared by all), then the adds, at most 4096 in flight at a time,
    // each sendmsg of adds closed by one acked barrier (see engine.ts).
    expect(sends.messages).toBe(n + 1 + (sends.calls - 1));
    expect(sends.calls).toBeLessThanOrEqual(5);
    expect(ipnJson(ns, 'route', 'show', 'table', '100').length).toBe(n);
    const listed = await rt.route.list({ table: 100, family: 'inet', names: false });
    expect(listed.length).toBe(n);
    await Promise.all(listed.map((r) => rt.route.del({ dst: r.dst, table: 100 })));
    expect(ipnJson(ns, 'route', 'show', 'table', '100')).toEqual([]);
  });

  it('rt.batch applies mixed ops pipelined and reports each outcome in order', async () => {
    const ops: nl.BatchOp[] = [
      { op: 'address.add', dev: 'v0', address: '10.0.1.1/24' },
      ...Array.from({ length: 100 }, (_, i): nl.BatchOp => ({ op: 'route.add', route: { dst: hostRoute(i), gateway: '10.0.0.2', table: 200 } })),
      { op: 'route.add', route: { dst: hostRoute(0), gateway: '10.0.0.2', table: 200 } }, // a duplicate: EEXIST
      { op: 'route.add', route: { dst: '10.0.0.300/24' } }, // invalid: never sent
      { op: 'route.add', route: { dst: '10.5.0.0/16', dev: 'nope0' } }, // no such link
      { op: 'neigh.add', neigh: { dev: 'v0', address: '10.0.0.9', lladdr: '02:00:00:00:00:09' } },
      { op: 'fdb.append', fdb: { dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '192.0.2.10' } },
      { op: 'fdb.append', fdb: { dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '192.0.2.11' } },
      { op: 'rule.add', rule: { priority: 1000, from: '10.0.1.0/24', table: 200 } },
      { op: 'nope.add' } as any,
    ];
    const sends = countSends(rt);
    let results: nl.BatchResult<nl.BatchOp>[];
    try {
      results = await rt.batch(ops);
    } finally {
      sends.restore();
    }
    expect(results.length).toBe(ops.length);
    expect(results.every((r, i) => r.op === ops[i])).toBe(true);
    const failed = results.map((r, i) => [i, r] as const).filter(([, r]) => !r.ok);
    expect(failed.map(([i]) => i)).toEqual([101, 102, 103, 108]);
    const err = (i: number) => (results[i] as { error: any }).error;
    expect(err(101)).toBeInstanceOf(nl.NetlinkError);
    expect(err(101).code).toBe('EEXIST');
    expect(err(102)).toBeInstanceOf(nl.ValidationError);
    expect(err(102).field).toBe('dst');
    expect(err(103)).toBeInstanceOf(nl.NetlinkError);
    expect(err(103).code).toBe('ENODEV');
    expect(err(103).attribute).toBe('dev');
    expect(err(108)).toBeInstanceOf(nl.ValidationError);
    expect(err(108).field).toBe('ops.108.op');
    // One lookup per distinct name (v0, nope0, vx0); the 106 ops that were valid and had
    // their links each sent once, in order: an op waits in the queue for the lookup of the
    // name it needs, so a sendmsg ends where an op waits, closed by its acked barrier.
    expect(sends.lookups).toBe(3);
    expect(sends.messages - sends.lookups - sends.barriers).toBe(106);
    expect(sends.barriers).toBeLessThanOrEqual(sends.calls);
    expect(sends.calls).toBeLessThanOrEqual(4);

    expect(ipnJson(ns, 'address', 'show', 'dev', 'v0')[0].addr_info.map((a: any) => a.local)).toContain('10.0.1.1');
    expect(ipnJson(ns, 'route', 'show', 'table', '200').length).toBe(100);
    expect(ipnJson(ns, 'neigh', 'show', '10.0.0.9', 'dev', 'v0')[0].lladdr).toBe('02:00:00:00:00:09');
    expect(bridgeJson(ns, 'fdb', 'show', 'dev', 'vx0').filter((e: any) => e.mac === '00:00:00:00:00:00').map((e: any) => e.dst).sort())
      .toEqual(['192.0.2.10', '192.0.2.11']);
    expect(ipnJson(ns, 'rule', 'show').find((r: any) => r.priority === 1000)).toMatchObject({ src: '10.0.1.0', table: '200' });
  });

  it('rt.batch undoes in bulk too: deletes, and an empty batch is a no-op', async () => {
    const dels: nl.BatchOp[] = Array.from({ length: 100 }, (_, i) => ({ op: 'route.del', route: { dst: hostRoute(i), table: 200 } }));
    dels.push({ op: 'rule.del', rule: { priority: 1000 } }, { op: 'address.del', dev: 'v0', address: '10.0.1.1/24' });
    const results = await rt.batch(dels);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(ipnJson(ns, 'route', 'show', 'table', 'all').filter((r: any) => r.table === '200')).toEqual([]);
    expect(await rt.batch([])).toEqual([]);
    await expect(rt.batch('nope' as any)).rejects.toBeInstanceOf(nl.ValidationError);
  });

  it('a burst of failures never outruns a small receive buffer: each change gets its own error', async () => {
    // 64 KiB asked → 128 KiB granted: room for a few hundred error messages, not 2 000.
    const small = await nl.open({ netns: ns, receiveBufferSize: 64 * 1024 });
    try {
      const n = 2000;
      const res = await Promise.allSettled(Array.from({ length: n }, (_, i) => small.route.del({ dst: `10.222.${i >> 8}.${i & 255}/32`, table: 100 })));
      const codes = new Set(res.map((r) => (r.status === 'rejected' ? (r.reason as nl.NetlinkError).code : 'ok')));
      expect([...codes]).toEqual(['ESRCH']);
    } finally {
      small.close();
    }
  });
});

