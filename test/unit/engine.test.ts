import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Engine, DumpInterruptedError } from '../../lib/core/engine';
import { MessageWriter } from '../../lib/wire/message-writer';
import { NLMSG_NOOP, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI } from '../../lib/wire/constants';
import { RTM_GETLINK, RTM_NEWLINK, RTM_NEWROUTE } from '../../lib/rtnetlink/constants';
import { NetlinkError } from '../../lib/errors';
import { FakeTransport, ack, done, nlmsg, tick } from '../helpers/fake-kernel';

const req = (type = RTM_NEWROUTE, flags = 0) => {
  const w = new MessageWriter(type, flags);
  w.struct(12, () => {});
  w.u32(15, 100, 'table');
  return w.finish();
};
const reply = (seq: number, n: number, flags = NLM_F_MULTI) => {
  const p = Buffer.alloc(4);
  p.writeUInt32LE(n);
  return nlmsg(RTM_NEWLINK, flags, seq, p);
};
const decodeN = (buf: Buffer, off: number) => buf.readUInt32LE(off + 16);

describe('request engine', () => {
  it('pipelines requests issued in one tick into one sendmsg, closed by one acked barrier', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const ps = Array.from({ length: 50 }, () => e.request(req(), { operation: 'route.add' }));
    await tick();
    expect(t.sends.length).toBe(1);
    const msgs = t.messages();
    expect(msgs.length).toBe(51);
    const barrier = msgs.at(-1)!;
    expect(barrier.type).toBe(NLMSG_NOOP);
    expect(barrier.flags & NLM_F_ACK).toBe(NLM_F_ACK);
    expect(msgs.slice(0, 50).every((m) => !(m.flags & NLM_F_ACK))).toBe(true);
    expect(new Set(msgs.map((m) => m.seq)).size).toBe(51);
    expect(t.refs).toBe(1);
    let settled = 0;
    ps.forEach((p) => p.then(() => settled++));
    await tick();
    expect(settled).toBe(0);
    e.receive(ack(barrier.seq));
    await Promise.all(ps);
    expect(t.refs).toBe(0);
  });

  it('a change that fails before the barrier rejects; the others resolve at the barrier', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const ps = Array.from({ length: 5 }, () => e.request(req(), { operation: 'route.add' }));
    await tick();
    const msgs = t.messages();
    e.receive(Buffer.concat([ack(msgs[2]!.seq, 17, { msg: 'File exists' }), ack(msgs.at(-1)!.seq)]));
    const res = await Promise.allSettled(ps);
    expect(res.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((res[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'EEXIST', extack: 'File exists' });
  });

  it('requests that expect a reply keep NLM_F_ACK and complete on their own ack', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const p = e.request(req(RTM_GETLINK), { operation: 'link.get', decode: decodeN });
    await tick();
    const msgs = t.messages();
    expect(msgs.length).toBe(1);
    expect(msgs[0]!.flags & NLM_F_ACK).toBe(NLM_F_ACK);
    e.receive(Buffer.concat([reply(msgs[0]!.seq, 9, 0), ack(msgs[0]!.seq)]));
    expect(await p).toEqual([9]);
  });

  it('bounds requests in flight and sends the rest as acks come back', async () => {
    const t = new FakeTransport();
    const e = new Engine(t, { maxInFlight: 10 });
    const get = () => e.request(req(RTM_GETLINK), { operation: 'link.get', decode: decodeN });
    const ps = Array.from({ length: 25 }, get);
    await tick();
    expect(t.messages().length).toBe(10);
    e.receive(Buffer.concat(t.messages().map((m) => ack(m.seq))));
    await tick();
    expect(t.messages().length).toBe(20);
    e.receive(Buffer.concat(t.messages().slice(10).map((m) => ack(m.seq))));
    await tick();
    e.receive(Buffer.concat(t.messages().slice(20).map((m) => ack(m.seq))));
    await Promise.all(ps);
    expect(t.messages().length).toBe(25);
  });

  it('turns NLMSG_ERROR into NetlinkError with extack text and the attribute name', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const msg = req();
    const p = e.request(msg, { operation: 'route.add' });
    await tick();
    const [m] = t.messages(); // the change itself; a barrier follows it
    // offset 16+12 is where the 'table' attribute starts in the request
    e.receive(ack(m!.seq, 22, { msg: 'Invalid table', offs: 28 }));
    const err = await p.catch((x) => x);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({ code: 'EINVAL', errno: 22, operation: 'route.add', extack: 'Invalid table', attribute: 'table' });
    expect(err.message).toContain('Invalid table');
  });

  it('collects a multipart dump until NLMSG_DONE, across datagrams', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const p = e.request(req(RTM_GETLINK, NLM_F_DUMP), { operation: 'link.list', dump: true, decode: decodeN });
    await tick();
    const seq = t.messages()[0]!.seq;
    const d1 = Buffer.concat([reply(seq, 1), reply(seq, 2)]);
    const d2 = Buffer.concat([reply(seq, 3), done(seq)]);
    e.receive(Buffer.concat([d1, d2]), [d1.length, d1.length + d2.length]);
    expect(await p).toEqual([1, 2, 3]);
  });

  it('reports a dump error carried in NLMSG_DONE with its extack', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const p = e.request(req(RTM_GETLINK, NLM_F_DUMP), { operation: 'route.list', dump: true, decode: decodeN });
    await tick();
    e.receive(done(t.messages()[0]!.seq, 2, 'ipv4: FIB table does not exist'));
    await expect(p).rejects.toMatchObject({ code: 'ENOENT', extack: 'ipv4: FIB table does not exist' });
  });

  it('runs one dump at a time and keeps issue order', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const a = e.request(req(RTM_GETLINK, NLM_F_DUMP), { operation: 'a', dump: true, decode: decodeN });
    const b = e.request(req(RTM_GETLINK, NLM_F_DUMP), { operation: 'b', dump: true, decode: decodeN });
    await tick();
    expect(t.messages().length).toBe(1);
    e.receive(Buffer.concat([reply(t.messages()[0]!.seq, 7), done(t.messages()[0]!.seq)]));
    await tick();
    expect(t.messages().length).toBe(2);
    const s2 = t.messages()[1]!.seq;
    e.receive(Buffer.concat([reply(s2, 8), done(s2)]));
    expect(await a).toEqual([7]);
    expect(await b).toEqual([8]);
  });

  it('retries a dump flagged NLM_F_DUMP_INTR, then gives up with DumpInterruptedError', async () => {
    const t = new FakeTransport();
    const e = new Engine(t, { dumpRetries: 2 });
    const p = e.request(req(RTM_GETLINK, NLM_F_DUMP), { operation: 'link.list', dump: true, decode: decodeN });
    await tick();
    let seq = t.messages()[0]!.seq;
    e.receive(Buffer.concat([reply(seq, 1, NLM_F_MULTI | NLM_F_DUMP_INTR), done(seq)]));
    await tick();
    seq = t.messages()[1]!.seq;
    e.receive(Buffer.concat([reply(seq, 2), done(seq)]));
    expect(await p).toEqual([2]); // the retry's result only, not the interrupted parts

    const q = e.request(req(RTM_GETLINK, NLM_F_DUMP), { operation: 'link.list', dump: true, decode: decodeN });
    for (let i = 0; i < 3; i++) {
      await tick();
      const s = t.messages().at(-1)!.seq;
      e.receive(Buffer.concat([reply(s, 1, NLM_F_MULTI | NLM_F_DUMP_INTR), done(s)]));
    }
    await expect(q).rejects.toBeInstanceOf(DumpInterruptedError);
  });

  it('aborts queued requests without sending them and drops late replies', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const ac = new AbortController();
    const p = e.request(req(), { operation: 'route.add', signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await tick();
    expect(t.sends.length).toBe(0);
    expect(t.refs).toBe(0);
  });

  it('puts one listener on a signal shared by many requests, aborts them all, and removes it', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const ac = new AbortController();
    const n = 50_000;
    const ps = Array.from({ length: n }, () => e.change(req(), { operation: 'route.add', signal: ac.signal }));
    expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
    ac.abort();
    const res = await Promise.allSettled(ps);
    expect(res.every((r) => r.status === 'rejected' && r.reason.name === 'AbortError')).toBe(true);
    await tick();
    expect(t.sends.length).toBe(0);
    expect(t.refs).toBe(0);

    // Completed normally: the listener goes once the last request under the signal is done.
    const ac2 = new AbortController();
    const done = Array.from({ length: 10 }, () => e.change(req(), { operation: 'route.add', signal: ac2.signal }));
    await tick();
    expect(getEventListeners(ac2.signal, 'abort').length).toBe(1);
    e.receive(ack(t.messages().at(-1)!.seq));
    await Promise.all(done);
    expect(getEventListeners(ac2.signal, 'abort').length).toBe(0);
  });

  it('an abort after sending rejects at once and drops the late reply', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const ac = new AbortController();
    const p = e.change(req(), { operation: 'route.add', signal: ac.signal });
    const other = e.change(req(), { operation: 'route.add' });
    await tick();
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    const msgs = t.messages();
    e.receive(Buffer.concat([ack(msgs[0]!.seq, 17), ack(msgs.at(-1)!.seq)]));
    await other;
    expect(t.refs).toBe(0);
  });

  it('fails everything when closed, and rejects later requests', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const p = e.request(req(), { operation: 'route.add' });
    await tick();
    e.close();
    await expect(p).rejects.toThrow(/closed/);
    await expect(e.request(req(), { operation: 'x' })).rejects.toThrow(/closed/);
    expect(t.closed).toBe(true);
  });

  it('survives a reply with a bad length and still completes the next datagram', async () => {
    const t = new FakeTransport();
    const warnings: string[] = [];
    const e = new Engine(t);
    e.onParseError = (err) => warnings.push(err.message);
    const p = e.request(req(), { operation: 'route.add' });
    await tick();
    const bad = nlmsg(RTM_NEWLINK, 0, 1);
    bad.writeUInt32LE(9999, 0);
    const good = ack(t.messages().at(-1)!.seq);
    e.receive(Buffer.concat([bad, good]), [bad.length, bad.length + good.length]);
    await p;
    expect(warnings.length).toBe(1);
  });

  it('routes seq-0 messages to the notification handler', () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const seen: number[] = [];
    e.onNotification = (_b, _o, _l, type, nsid) => seen.push(type, nsid);
    e.receive(nlmsg(RTM_NEWLINK, 0, 0), [20], [5]);
    expect(seen).toEqual([RTM_NEWLINK, 5]);
  });
});
