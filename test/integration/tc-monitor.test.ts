/**
 * Group 'tc' of nl.monitor: qdisc, class, filter and standalone action notifications arrive
 * as the typed objects rt.tc lists, for changes made with tc and with the library; a
 * resync: 'auto' monitor can re-list them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, ip, isRoot } from '../helpers/netns';
import { tc } from './tc-helpers';
import { KINDS } from '../../lib/rtnetlink/monitor/event-kinds';

const pool = new NetnsPool();
let ns: string;

/** Waits for the first event matching `pred` (fails after 5 s). */
function waitFor(events: any[], mon: nl.Monitor, pred: (ev: any) => boolean): Promise<any> {
  const hit = events.find(pred);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching tc event; got ${JSON.stringify(events.map((e) => [e.type, e.action]))}`)), 5000);
    mon.on('event', (ev) => { if (pred(ev)) { clearTimeout(timer); resolve(ev); } });
  });
}

describe.skipIf(!isRoot)("nl.monitor({ groups: ['tc'] })", () => {
  beforeAll(() => {
    ns = pool.add('tcmon');
    ip('-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  });
  afterAll(() => pool.cleanup());

  it('reports qdiscs, classes, filters and actions, new and del, typed', async () => {
    const mon = await nl.monitor({ netns: ns, groups: ['tc'] });
    const rt = await nl.open({ netns: ns });
    const events: any[] = [];
    mon.on('event', (ev) => events.push(ev));
    try {
      await rt.tc.qdisc.add('va', { handle: '1:', kind: 'htb', htb: { defaultClass: '1:10' } });
      const q = await waitFor(events, mon, (e) => e.type === 'qdisc' && e.action === 'new' && e.qdisc.kind === 'htb');
      expect(q.qdisc).toMatchObject({ handle: '1:', parent: 'root', htb: { defaultClass: '1:10' } });
      tc(ns, 'class', 'add', 'dev', 'va', 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '5mbit');
      const c = await waitFor(events, mon, (e) => e.type === 'class' && e.action === 'new');
      expect(c.class).toMatchObject({ classid: '1:10', kind: 'htb', htb: { rate: 5e6 } });
      await rt.tc.filter.add('va', { parent: '1:', protocol: 'ip', priority: 4, kind: 'u32', classid: '1:10', u32: { match: [{ ip: { dst: '10.9.0.0/16' } }] } });
      const f = await waitFor(events, mon, (e) => e.type === 'filter' && e.action === 'new' && e.filter.u32?.match);
      expect(f.filter).toMatchObject({ kind: 'u32', priority: 4, protocol: 'ip', classid: '1:10', u32: { match: [{ ip: { dst: '10.9.0.0/16' } }] } });
      tc(ns, 'actions', 'add', 'action', 'mirred', 'egress', 'mirror', 'dev', 'vb', 'index', '42');
      const a = await waitFor(events, mon, (e) => e.type === 'action' && e.action === 'new');
      expect(a.actions[0]).toMatchObject({ kind: 'mirred', index: 42, mirred: { action: 'mirror', direction: 'egress' } });
      await rt.tc.filter.del('va', { parent: '1:', priority: 4 });
      await waitFor(events, mon, (e) => e.type === 'filter' && e.action === 'del');
      await rt.tc.qdisc.del('va', { parent: 'root' });
      const d = await waitFor(events, mon, (e) => e.type === 'qdisc' && e.action === 'del' && e.qdisc.kind === 'htb');
      expect(d.qdisc.handle).toBe('1:');
    } finally {
      mon.close();
      rt.close();
    }
  });

  it('re-lists qdiscs, classes, filters, chains and actions for resync', async () => {
    const rt = await nl.open({ netns: ns });
    try {
      await rt.tc.qdisc.add('vb', { handle: '3:', kind: 'htb' });
      await rt.tc.class.add('vb', { classid: '3:1', kind: 'htb', htb: { rate: '1mbit' } });
      await rt.tc.filter.add('vb', { parent: '3:', protocol: 'ip', priority: 2, kind: 'u32', classid: '3:1', u32: { match: [{ ip: { src: '10.3.0.0/16' } }] } });
      tc(ns, 'actions', 'add', 'action', 'mirred', 'egress', 'redirect', 'dev', 'va', 'index', '77');
      const lists = Object.fromEntries(await Promise.all(KINDS.filter((k) => ['qdisc', 'class', 'filter', 'chain', 'action'].includes(k.type))
        .map(async (k) => [k.type, await k.list(rt, new Set())] as const)));
      expect(lists.qdisc!.some((q: any) => q.handle === '3:' && q.kind === 'htb')).toBe(true);
      expect(lists.class!.some((c: any) => c.classid === '3:1')).toBe(true);
      expect(lists.filter!.some((f: any) => f.u32?.match?.[0]?.ip?.src === '10.3.0.0/16')).toBe(true);
      expect(lists.chain!.some((c: any) => c.parent === '3:' && c.chain === 0)).toBe(true);
      expect(lists.action!.some((a: any) => a[0].kind === 'mirred' && a[0].index === 77)).toBe(true);
    } finally {
      rt.close();
    }
  });

  it("rejects an unknown group name and accepts 'tc' beside others", async () => {
    await expect(nl.monitor({ netns: ns, groups: ['tcx' as any] })).rejects.toMatchObject({ name: 'ValidationError' });
    const mon = await nl.monitor({ netns: ns, groups: ['tc', 'link'], resync: 'auto' });
    mon.close();
  });
});
