/**
 * Bulk changes against a fake socket: rt.batch's machinery resolves each distinct link name
 * once, patches the ifindexes into already-built messages, sends every valid op in one
 * sendmsg, and reports per-op results; invalid ops are never sent.
 */
import { describe, expect, it } from 'vitest';
import { NetlinkError, ValidationError } from '../../lib/errors';
import { NLMSG_NOOP } from '../../lib/wire/constants';
import { RTM_NEWADDR, RTM_NEWNEIGH, RTM_NEWROUTE } from '../../lib/rtnetlink/constants';
import { RTA } from '../../lib/rtnetlink/route/route-schema';
import { Engine } from '../../lib/core/engine';
import { LinkIndexResolver } from '../../lib/rtnetlink/request/link-ref';
import { applyChange } from '../../lib/rtnetlink/request/prepare';
import { prepareBatchOp, runBatch, type BatchOp, type Preparers } from '../../lib/rtnetlink/batch';
import { prepareAddress } from '../../lib/rtnetlink/address/address';
import { prepareRoute } from '../../lib/rtnetlink/route/route';
import { prepareNeigh } from '../../lib/rtnetlink/neigh/neigh';
import { prepareFdb } from '../../lib/rtnetlink/neigh/fdb';
import { prepareRule } from '../../lib/rtnetlink/rule/rule';
import { FakeTransport, ack, tick } from '../helpers/fake-kernel';

const preparers: Preparers = { address: prepareAddress, route: prepareRoute, neigh: prepareNeigh, fdb: prepareFdb, rule: prepareRule };

/** A resolver whose lookups are counted and answer from a table (ENODEV otherwise). */
function fakeResolver(table: Record<string, number>) {
  const calls: string[] = [];
  const resolver = new LinkIndexResolver(async (name) => {
    calls.push(name);
    const i = table[name];
    if (i === undefined) throw new NetlinkError({ errno: 19, operation: 'link.get' });
    return i;
  });
  return { resolver, calls };
}

/** Acks every message sent so far that has not been answered, failing those `fail` picks. */
function answer(t: FakeTransport, e: Engine, answered: Set<number>, fail: (type: number, bytes: Buffer) => number = () => 0) {
  const replies = t.messages().filter((m) => !answered.has(m.seq)).map((m) => {
    answered.add(m.seq);
    return ack(m.seq, fail(m.type, m.bytes));
  });
  if (replies.length) e.receive(Buffer.concat(replies));
}

describe('runBatch', () => {
  it('resolves each name once, sends all valid ops in one sendmsg with ifindexes patched, reports each', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const { resolver, calls } = fakeResolver({ v0: 7, v1: 8 });
    const ops: BatchOp[] = [
      ...Array.from({ length: 50 }, (_, i): BatchOp => ({ op: 'route.add', route: { dst: `10.1.${i}.0/24`, dev: 'v0' } })),
      { op: 'address.add', dev: 'v1', address: '10.0.0.1/24' },
      { op: 'neigh.add', neigh: { dev: 'v0', address: '10.0.0.2', lladdr: '02:00:00:00:00:02' } },
      { op: 'route.add', route: { dst: '10.0.0.300/24' } },
      { op: 'route.add', route: { dst: '10.2.0.0/16', dev: 'gone' } },
      { op: 'route.teleport' } as any,
    ];
    const done = runBatch(e, resolver, ops, (op, i) => prepareBatchOp(preparers, op, i));
    await tick();
    await tick();
    expect(calls.sort()).toEqual(['gone', 'v0', 'v1']);
    expect(t.sends.length).toBe(1);
    const msgs = t.messages();
    expect(msgs.length).toBe(52 + 1); // + the acked barrier that closes the sendmsg (engine.ts)
    // ifindexes are in place: RTA_OIF of each route, ifa_index, ndm_ifindex.
    const route = msgs.find((m) => m.type === RTM_NEWROUTE)!.bytes;
    expect(route.readUInt32LE(route.length - 4)).toBe(7);
    expect(msgs.find((m) => m.type === RTM_NEWADDR)!.bytes.readUInt32LE(16 + 4)).toBe(8);
    expect(msgs.find((m) => m.type === RTM_NEWNEIGH)!.bytes.readInt32LE(16 + 4)).toBe(7);
    // The kernel refuses the third route (RTA_DST 10.1.2.0).
    answer(t, e, new Set(), (type, bytes) => (type === RTM_NEWROUTE && bytes[16 + 12 + 4 + 2] === 2 ? 17 : 0));
    const results = await done;
    expect(results.map((r) => r.ok)).toEqual([...Array(50).fill(true).map((_, i) => i !== 2), true, true, false, false, false]);
    const err = (i: number) => (results[i] as { error: any }).error;
    expect(err(2)).toBeInstanceOf(NetlinkError);
    expect(err(2).code).toBe('EEXIST');
    expect(err(52)).toBeInstanceOf(ValidationError);
    expect(err(52).field).toBe('dst');
    expect(err(53)).toBeInstanceOf(NetlinkError);
    expect(err(53)).toMatchObject({ code: 'ENODEV', operation: 'route.add', attribute: 'dev' });
    expect(err(54)).toBeInstanceOf(ValidationError);
    expect(err(54).field).toBe('ops.54.op');
    expect(results.every((r, i) => r.op === ops[i])).toBe(true);
  });

  it('needs no lookup at all when links are given by ifindex', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const { resolver, calls } = fakeResolver({});
    const done = runBatch(e, resolver, [{ op: 'fdb.append', fdb: { dev: 4, lladdr: '00:00:00:00:00:00', dst: '192.0.2.1' } }, { op: 'rule.add', rule: { priority: 5, table: 9 } }], (op, i) => prepareBatchOp(preparers, op, i));
    await tick();
    await tick();
    expect(calls).toEqual([]);
    expect(t.messages().length).toBe(2 + 1); // + the barrier
    answer(t, e, new Set());
    expect((await done).map((r) => r.ok)).toEqual([true, true]);
  });
});

describe('applyChange', () => {
  it('rejects with the ValidationError and sends nothing', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const { resolver, calls } = fakeResolver({ v0: 1 });
    const err = await applyChange(e, resolver, prepareRoute, 'add', { dst: '10.0.0.0/8', gateway: '2001:db8::1', dev: 'v0' }).catch((x) => x);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe('gateway');
    await tick();
    expect(calls).toEqual([]);
    expect(t.sends).toEqual([]);
  });

  it('resolves a name, patches it in, and resolves with nothing once acked', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const { resolver } = fakeResolver({ v0: 12 });
    const p = applyChange(e, resolver, prepareNeigh, 'add', { dev: 'v0', address: '2001:db8::5', lladdr: '02:00:00:00:00:05', router: true });
    await tick();
    await tick();
    const [m] = t.messages();
    expect(m!.bytes.readInt32LE(20)).toBe(12);
    expect(m!.bytes[16]).toBe(10);
    answer(t, e, new Set());
    await expect(p).resolves.toBeUndefined();
  });

  it('changes naming one link wait in the queue on one lookup, keep their order, and leave together', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    let release!: (i: number) => void;
    const calls: string[] = [];
    const resolver = new LinkIndexResolver((name) => {
      calls.push(name);
      return new Promise<number>((r) => (release = r));
    });
    const named = Array.from({ length: 1000 }, (_, i) => applyChange(e, resolver, prepareRoute, 'add', { dst: `10.3.${i >> 8}.${i & 255}/32`, dev: 'v0' }));
    // Issued after the named ones, by ifindex: it must not overtake them.
    const byIndex = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.4.0.0/16', dev: 3 });
    await tick();
    await tick();
    expect(calls).toEqual(['v0']);
    expect(t.messages()).toEqual([]);
    release(42);
    await tick();
    await tick();
    const msgs = t.messages();
    expect(t.sends.length).toBe(1);
    expect(msgs.length).toBe(1001 + 1);
    expect(msgs.slice(0, 1000).every((m) => m.bytes.readUInt32LE(m.bytes.length - 4) === 42)).toBe(true);
    expect(msgs[1000]!.bytes.readUInt32LE(msgs[1000]!.bytes.length - 4)).toBe(3);
    answer(t, e, new Set());
    await Promise.all([...named, byIndex]);
  });

  it('a failed lookup rejects every change waiting on it, naming its field, and sends none of them', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const { resolver } = fakeResolver({});
    const ps = Array.from({ length: 3 }, (_, i) => applyChange(e, resolver, prepareRoute, 'add', { dst: `10.5.0.${i}/32`, dev: 'gone' }));
    const other = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.6.0.0/16', dev: 4 });
    const res = await Promise.allSettled(ps);
    for (const r of res) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ENODEV', operation: 'route.add', attribute: 'dev' });
      expect((r as PromiseRejectedResult).reason.extack).toContain('no link named "gone"');
    }
    await tick();
    expect(t.messages().map((m) => m.type)).toEqual([RTM_NEWROUTE, NLMSG_NOOP]);
    answer(t, e, new Set());
    await other;
  });

  it('names the route attribute an extack offset points at, top-level or nested', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const { resolver } = fakeResolver({});
    const p = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.1.0.0/16', gateway: '10.0.0.2', dev: 3, metric: 1 });
    const q = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.2.0.0/16', multipath: [{ gateway: '10.0.0.2', dev: 3 }, { gateway: '10.0.0.3', dev: 3 }] });
    await tick();
    const [m1, m2] = t.messages();
    // Where each attribute starts in the message, to aim the fake kernel's offsets.
    const at = (bytes: Buffer, type: number) => {
      let off = 16 + 12;
      while (bytes.readUInt16LE(off + 2) !== type) off += (bytes.readUInt16LE(off) + 3) & ~3;
      return off;
    };
    e.receive(Buffer.concat([
      ack(m1!.seq, 22, { msg: 'bad gateway', offs: at(m1!.bytes, RTA.GATEWAY) }),
      ack(m2!.seq, 22, { msg: 'bad hop', offs: at(m2!.bytes, RTA.MULTIPATH) + 4 + 8 }),
      ack(t.messages().at(-1)!.seq),
    ]));
    await expect(p).rejects.toMatchObject({ code: 'EINVAL', extack: 'bad gateway', attribute: 'gateway' });
    await expect(q).rejects.toMatchObject({ code: 'EINVAL', extack: 'bad hop', attribute: 'multipath' });
  });

  it('a change waiting on a lookup can be aborted, and closing the handle rejects the rest', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    let release!: (i: number) => void;
    const resolver = new LinkIndexResolver(() => new Promise<number>((r) => (release = r)));
    const ac = new AbortController();
    const aborted = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.7.0.0/16', dev: 'v0' }, { signal: ac.signal });
    const waiting = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.8.0.0/16', dev: 'v0' });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    e.close();
    await expect(waiting).rejects.toThrow(/closed/);
    release(5); // the lookup answering after close sends nothing and throws nothing
    await tick();
    expect(t.messages()).toEqual([]);
  });

  it('a change naming several links by name keeps its place too, and gets every ifindex', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const { resolver } = fakeResolver({ v0: 7, v1: 8 });
    const multi = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.9.0.0/16', multipath: [{ gateway: '10.0.0.2', dev: 'v0' }, { gateway: '10.0.1.2', dev: 'v1' }] });
    const after = applyChange(e, resolver, prepareRoute, 'add', { dst: '10.10.0.0/16', dev: 4 });
    await tick();
    await tick();
    const msgs = t.messages();
    expect(msgs.map((m) => m.type)).toEqual([RTM_NEWROUTE, RTM_NEWROUTE, NLMSG_NOOP]);
    const [m1, m2] = msgs;
    // RTA_DST 10.9.0.0 first, then 10.10.0.0: issue order holds.
    expect([m1!.bytes[16 + 12 + 4 + 1], m2!.bytes[16 + 12 + 4 + 1]]).toEqual([9, 10]);
    // Both next hops carry their ifindex (struct rtnexthop: len, flags, hops, ifindex).
    const mp = m1!.bytes;
    let off = 16 + 12;
    while (mp.readUInt16LE(off + 2) !== RTA.MULTIPATH) off += (mp.readUInt16LE(off) + 3) & ~3;
    const hop1 = off + 4;
    const hop2 = hop1 + mp.readUInt16LE(hop1);
    expect([mp.readInt32LE(hop1 + 4), mp.readInt32LE(hop2 + 4)]).toEqual([7, 8]);
    answer(t, e, new Set());
    await Promise.all([multi, after]);
  });
});

