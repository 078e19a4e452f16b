import { describe, expect, it } from 'vitest';
import { Engine } from '../../lib/core/engine';
import { MessageWriter } from '../../lib/wire/message-writer';
import { NLMSG_NOOP, NLM_F_ACK, NLM_F_ECHO } from '../../lib/wire/constants';
import { runTransaction, TransactionError, GenerationChangedError } from '../../lib/nfnetlink/batch';
import { NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS } from '../../lib/nfnetlink/nfnetlink';
import { nftType, NFT_MSG } from '../../lib/nfnetlink/nftables/constants';
import { FakeTransport, ack, nlmsg, tick } from '../helpers/fake-kernel';

const msg = (n: number, flags = 0) => {
  const w = new MessageWriter(nftType(NFT_MSG.NEWTABLE), flags);
  w.struct(4, (b, at) => (b[at] = 1));
  w.string(1, `t${n}`, 'name');
  return w.finish();
};
const cmds = (n: number) => Array.from({ length: n }, (_, i) => ({ msg: msg(i, NLM_F_ECHO), command: i, operation: 'add table' }));

describe('engine groups', () => {
  it('sends the group alone in one sendmsg, then an acked barrier in the next', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const before = e.request(msg(99), { operation: 'x' });
    const g = e.group([msg(1), msg(2), msg(3)], { operation: 'g', decode: (b, off) => b.readUInt32LE(off + 8) });
    const after = e.request(msg(100), { operation: 'y' });
    await tick();
    // before (+ its barrier) | group | group barrier | after (+ its barrier)
    expect(t.sends.length).toBe(4);
    const groupMsgs = t.messages().filter((m) => t.sends[1]!.includes(m.bytes));
    expect(groupMsgs.length).toBe(3);
    expect(groupMsgs.every((m) => !(m.flags & NLM_F_ACK))).toBe(true);
    const b2 = t.sends[2]!;
    expect(b2.readUInt16LE(4)).toBe(NLMSG_NOOP);
    const seqs = groupMsgs.map((m) => m.seq);
    // An echo for message 1, an error for message 2, then the barrier's ack.
    e.receive(Buffer.concat([nlmsg(nftType(NFT_MSG.NEWTABLE), 0, seqs[0]!), ack(seqs[1]!, 22, { msg: 'bad' }), ack(b2.readUInt32LE(8))]));
    const r = await g;
    expect(r[0]).toEqual({ items: [seqs[0]] });
    expect(r[1]!.error).toMatchObject({ code: 'EINVAL', extack: 'bad' });
    expect(r[2]).toEqual({ items: [] });
    const all = t.messages();
    e.receive(Buffer.concat(all.filter((m) => m.type === NLMSG_NOOP || m.flags & NLM_F_ACK).map((m) => ack(m.seq))));
    await Promise.all([before, after]);
  });

  it('fails every message of a queued group when the engine closes', async () => {
    const t = new FakeTransport();
    const e = new Engine(t);
    const g = e.group([msg(1), msg(2)], { operation: 'g' });
    e.close();
    const r = await g;
    expect(r.map((x) => x.error?.message)).toEqual(['the netlink handle was closed', 'the netlink handle was closed']);
  });
});

describe('nfnetlink transactions', () => {
  const setup = () => {
    const t = new FakeTransport();
    return { t, e: new Engine(t) };
  };

  it('wraps the messages in BATCH_BEGIN/END with res_id NFNL_SUBSYS_NFTABLES and returns echoes per message', async () => {
    const { t, e } = setup();
    const p = runTransaction(e, cmds(3), { subsystem: NFNL_SUBSYS.nftables, operation: 'nft.apply', decode: (b, off) => b.readUInt16LE(off + 4) });
    await tick();
    const m = t.messages();
    expect(m.map((x) => x.type)).toEqual([NFNL_MSG_BATCH_BEGIN, nftType(0), nftType(0), nftType(0), NFNL_MSG_BATCH_END, NLMSG_NOOP]);
    expect(m[0]!.bytes.readUInt16BE(18)).toBe(NFNL_SUBSYS.nftables);
    expect(m[4]!.bytes.readUInt16BE(18)).toBe(NFNL_SUBSYS.nftables);
    expect(m[0]!.bytes.length).toBe(20); // no generation attribute
    e.receive(Buffer.concat([nlmsg(nftType(0), 0, m[2]!.seq), ack(m[5]!.seq)]));
    expect(await p).toEqual([[], [nftType(0)], []]);
  });

  it('maps an error to the command index, operation and extack of the failing message', async () => {
    const { t, e } = setup();
    const p = runTransaction(e, cmds(100), { subsystem: NFNL_SUBSYS.nftables, operation: 'nft.apply', pathOf: (i) => `nftables[${i}]` });
    await tick();
    const m = t.messages();
    // message 50 of the caller (index 49) is m[50] (m[0] is BEGIN); a later one fails as a consequence.
    e.receive(Buffer.concat([ack(m[50]!.seq, 2, { msg: 'No such file or directory' }), ack(m[70]!.seq, 22), ack(m.at(-1)!.seq)]));
    const err = await p.catch((x) => x);
    expect(err).toBeInstanceOf(TransactionError);
    expect(err).toMatchObject({ index: 49, path: 'nftables[49]', command: 'add table', code: 'ENOENT', extack: 'No such file or directory' });
    expect(err.failures.map((f: any) => f.index)).toEqual([49, 69]);
    expect(err.message).toContain('command 50 (nftables[49], add table)');
  });

  it('carries the generation id on BATCH_BEGIN and reports ERESTART as GenerationChangedError', async () => {
    const { t, e } = setup();
    const p = runTransaction(e, cmds(1), { subsystem: NFNL_SUBSYS.nftables, operation: 'nft.apply', generation: 0x01020304 });
    await tick();
    const m = t.messages();
    expect(m[0]!.bytes.length).toBe(28);
    expect(m[0]!.bytes.readUInt16LE(22)).toBe(1); // NFNL_BATCH_GENID
    expect(m[0]!.bytes.readUInt32BE(24)).toBe(0x01020304);
    e.receive(Buffer.concat([ack(m[0]!.seq, 85), ack(m.at(-1)!.seq)]));
    await expect(p).rejects.toBeInstanceOf(GenerationChangedError);
  });

  it('a failed commit (error on BATCH_BEGIN) rejects naming the commit', async () => {
    const { t, e } = setup();
    const p = runTransaction(e, cmds(2), { subsystem: NFNL_SUBSYS.nftables, operation: 'nft.apply' });
    await tick();
    const m = t.messages();
    e.receive(Buffer.concat([ack(m[0]!.seq, 12), ack(m.at(-1)!.seq)]));
    await expect(p).rejects.toMatchObject({ command: 'commit', code: 'ENOMEM' });
  });
});
