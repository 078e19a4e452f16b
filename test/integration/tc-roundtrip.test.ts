/**
 * rt.tc against the host kernel (htb, tbf, pfifo/bfifo, ingress, clsact, u32, mirred), with
 * `tc` as the oracle both ways: what we add, tc shows with the same parameters; what tc adds,
 * we decode to the typed objects. 40 and 100 Gbit/s round-trip exactly (64-bit attributes).
 * The kernel's refusals arrive as NetlinkErrors with its extack text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as nl from '../../lib/index';
import { NetnsPool, ip, isRoot } from '../helpers/netns';
import { htbClasses, tc, tcJson, u32Keys } from './tc-helpers';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

describe.skipIf(!isRoot)('rt.tc on the host kernel', () => {
  beforeAll(async () => {
    ns = pool.add('tc');
    ip('-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ip('-n', ns, 'link', 'set', 'va', 'up');
    ip('-n', ns, 'link', 'set', 'vb', 'up');
    rt = await nl.open({ netns: ns });
  });
  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('adds htb qdisc and classes that tc shows, and decodes them back identically', async () => {
    await rt.tc.qdisc.add('va', { parent: 'root', handle: '1:', kind: 'htb', htb: { defaultClass: '1:10' } });
    await rt.tc.class.add('va', { parent: '1:', classid: '1:1', kind: 'htb', htb: { rate: '1gbit' } });
    await rt.tc.class.add('va', { parent: '1:1', classid: '1:10', kind: 'htb', htb: { rate: '100mbit', ceil: '1gbit', burst: '15k', prio: 3 } });
    await rt.tc.class.add('va', { parent: '1:', classid: '1:40', kind: 'htb', htb: { rate: '40gbit', ceil: 100e9, quantum: 60000 } });
    const [q] = tcJson(ns, 'qdisc', 'show', 'dev', 'va', 'root');
    expect(q).toMatchObject({ kind: 'htb', handle: '1:', root: true, options: { r2q: 10, default: '0x10' } });
    const shown = htbClasses(ns, 'va');
    expect(shown['1:10']).toMatchObject({ parent: '1:1', prio: 3, rate: 100e6, ceil: 1e9, burst: 15360 });
    expect(shown['1:40']).toMatchObject({ rate: 40e9, ceil: 100e9 });

    const qdiscs = await rt.tc.qdisc.list({ dev: 'va' });
    expect(qdiscs.find((x) => x.parent === 'root')).toMatchObject({ dev: 'va', kind: 'htb', handle: '1:', htb: { defaultClass: '1:10', r2q: 10 } });
    const classes = await rt.tc.class.list({ dev: 'va' });
    const byId = Object.fromEntries(classes.map((c) => [c.classid, c]));
    expect(byId['1:10']).toMatchObject({ kind: 'htb', parent: '1:1', htb: { rate: 100e6, ceil: 1e9, burst: 15360, prio: 3 } });
    expect(byId['1:40']!.htb).toMatchObject({ rate: 40e9, ceil: 100e9, quantum: 60000 });
    expect(byId['1:1']).toMatchObject({ parent: 'root', htb: { rate: 1e9, ceil: 1e9 } });
    expect((byId['1:1']!.htb as any).level).toBeGreaterThan(0); // an inner class
    expect(byId['1:10']!.stats).toMatchObject({ bytes: expect.any(Number), packets: expect.any(Number), drops: 0, qlen: 0 });
    expect(byId['1:10']!.xstats).toHaveProperty('tokens');
  });

  it('changes and replaces a class with the verbs tc uses', async () => {
    await rt.tc.class.change('va', { parent: '1:1', classid: '1:10', kind: 'htb', htb: { rate: '200mbit', ceil: '1gbit', burst: '15k', prio: 3 } });
    expect(htbClasses(ns, 'va')['1:10']!.rate).toBe(200e6);
    await rt.tc.class.replace('va', { parent: '1:1', classid: '1:11', kind: 'htb', htb: { rate: '5mbit' } });
    await rt.tc.class.replace('va', { parent: '1:1', classid: '1:11', kind: 'htb', htb: { rate: '6mbit' } });
    expect(htbClasses(ns, 'va')['1:11']!.rate).toBe(6e6);
    await expect(rt.tc.class.add('va', { parent: '1:1', classid: '1:11', kind: 'htb', htb: { rate: '6mbit' } })).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(rt.tc.class.change('va', { parent: '1:1', classid: '1:12', kind: 'htb', htb: { rate: '6mbit' } })).rejects.toMatchObject({ code: 'ENOENT' });
    await rt.tc.class.del('va', { classid: '1:11' });
    expect(htbClasses(ns, 'va')['1:11']).toBeUndefined();
  });

  it('decodes an htb tree that tc made', async () => {
    tc(ns, 'qdisc', 'add', 'dev', 'vb', 'root', 'handle', '2:', 'htb', 'default', '20', 'r2q', '5');
    tc(ns, 'class', 'add', 'dev', 'vb', 'parent', '2:', 'classid', '2:20', 'htb', 'rate', '10mbit', 'ceil', '20mbit', 'burst', '32k', 'cburst', '16k', 'prio', '2');
    tc(ns, 'class', 'add', 'dev', 'vb', 'parent', '2:', 'classid', '2:30', 'htb', 'rate', '100gbit');
    const q = (await rt.tc.qdisc.list({ dev: 'vb' })).find((x) => x.parent === 'root')!;
    expect(q).toMatchObject({ kind: 'htb', handle: '2:', htb: { defaultClass: '2:20', r2q: 5 } });
    const cls = Object.fromEntries((await rt.tc.class.list({ dev: 'vb' })).map((c) => [c.classid, c]));
    expect(cls['2:20']!.htb).toMatchObject({ rate: 10e6, ceil: 20e6, prio: 2 });
    // Bursts travel as psched ticks; tc's own conversion loses a byte or two.
    expect(Math.abs((cls['2:20']!.htb as any).burst - 32768)).toBeLessThan(4);
    expect(Math.abs((cls['2:20']!.htb as any).cburst - 16384)).toBeLessThan(4);
    expect(cls['2:30']!.htb).toMatchObject({ rate: 100e9, ceil: 100e9 });
    tc(ns, 'qdisc', 'del', 'dev', 'vb', 'root');
  });

  it('refuses a second root qdisc with add (NetlinkError with the extack), replaces it with replace', async () => {
    const err = await rt.tc.qdisc.add('va', { handle: '2:', kind: 'tbf', tbf: { rate: '10mbit', burst: 32768, latencyMs: 50 } }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('EEXIST');
    expect(err.extack).toMatch(/NLM_F_REPLACE needed/);
    expect(err.operation).toBe('tc.qdisc.add');
    await rt.tc.qdisc.replace('va', { kind: 'tbf', tbf: { rate: '10mbit', burst: 32768, latencyMs: 50 } });
    const [q] = tcJson(ns, 'qdisc', 'show', 'dev', 'va', 'root');
    expect(q).toMatchObject({ kind: 'tbf', options: { rate: 1250000, lat: 50000 } });
    expect(Math.abs(q.options.burst - 32768)).toBeLessThan(4); // tc truncates its tick conversion
    const ours = (await rt.tc.qdisc.list({ dev: 'va' })).find((x) => x.parent === 'root')!;
    expect(ours.tbf).toMatchObject({ rate: 10e6, burst: 32768, latencyMs: 50 });
    await rt.tc.qdisc.change('va', { kind: 'tbf', tbf: { rate: '20mbit', burst: 32768, latencyMs: 50 } });
    expect(tcJson(ns, 'qdisc', 'show', 'dev', 'va', 'root')[0].options.rate).toBe(2500000);
    await rt.tc.qdisc.del('va', { parent: 'root' });
    expect(tcJson(ns, 'qdisc', 'show', 'dev', 'va', 'root')[0].kind).not.toBe('tbf');
  });

  it('round-trips tbf at 40 and 100 Gbit/s exactly', async () => {
    for (const rate of [40e9, 100e9]) {
      await rt.tc.qdisc.replace('va', { kind: 'tbf', tbf: { rate, burst: '1mb', limit: 10_000_000 } });
      const ours = (await rt.tc.qdisc.list({ dev: 'va' })).find((x) => x.parent === 'root')!;
      expect(ours.tbf).toMatchObject({ rate, limit: 10_000_000 });
      // At these rates one psched tick is 160–400 bytes: the burst comes back to within one.
      expect(Math.abs((ours.tbf as any).burst - 1048576)).toBeLessThanOrEqual(rate / 8 / 15.625e6);
      expect(tcJson(ns, 'qdisc', 'show', 'dev', 'va', 'root')[0].options.rate).toBe(rate / 8);
    }
    tc(ns, 'qdisc', 'replace', 'dev', 'vb', 'root', 'tbf', 'rate', '100gbit', 'burst', '4mb', 'latency', '10ms');
    const q = (await rt.tc.qdisc.list({ dev: 'vb' })).find((x) => x.parent === 'root')!;
    expect(q.tbf).toMatchObject({ rate: 100e9 });
    expect(Math.abs((q.tbf as any).burst - 4 * 1048576)).toBeLessThanOrEqual(800);
    expect((q.tbf as any).latencyMs).toBeCloseTo(10, 1);
    await rt.tc.qdisc.del('va', { parent: 'root' });
    tc(ns, 'qdisc', 'del', 'dev', 'vb', 'root');
  });

  it('round-trips pfifo and bfifo limits both ways', async () => {
    await rt.tc.qdisc.add('va', { handle: '5:', kind: 'pfifo', pfifo: { limit: 77 } });
    expect(tcJson(ns, 'qdisc', 'show', 'dev', 'va', 'root')[0]).toMatchObject({ kind: 'pfifo', handle: '5:', options: { limit: 77 } });
    tc(ns, 'qdisc', 'add', 'dev', 'vb', 'root', 'bfifo', 'limit', '64kb');
    const q = (await rt.tc.qdisc.list({ dev: 'vb' })).find((x) => x.parent === 'root')!;
    expect(q).toMatchObject({ kind: 'bfifo', bfifo: { limit: 65536 } });
    expect((await rt.tc.qdisc.list({ dev: 'va' })).find((x) => x.parent === 'root')).toMatchObject({ kind: 'pfifo', pfifo: { limit: 77 } });
    await rt.tc.qdisc.del('va', { parent: 'root' });
    tc(ns, 'qdisc', 'del', 'dev', 'vb', 'root');
  });

  it('adds ingress and clsact, and deletes them by kind', async () => {
    await rt.tc.qdisc.add('va', { kind: 'ingress' });
    await rt.tc.qdisc.add(ip('-n', ns, '-j', 'link', 'show', 'vb') && 'vb', { kind: 'clsact' });
    const shown = tcJson(ns, 'qdisc', 'show');
    expect(shown.find((q: any) => q.dev === 'va' && q.kind === 'ingress')).toMatchObject({ handle: 'ffff:', parent: 'ffff:fff1' });
    expect(shown.find((q: any) => q.dev === 'vb' && q.kind === 'clsact')).toMatchObject({ handle: 'ffff:', parent: 'ffff:fff1' });
    const ours = await rt.tc.qdisc.list();
    expect(ours.find((q) => q.dev === 'va' && q.kind === 'ingress')).toMatchObject({ handle: 'ffff:', parent: 'ingress' });
    expect(ours.find((q) => q.dev === 'vb' && q.kind === 'clsact')).toMatchObject({ handle: 'ffff:', parent: 'ingress' });
    await rt.tc.qdisc.del('vb', { kind: 'clsact' });
    expect(tcJson(ns, 'qdisc', 'show', 'dev', 'vb').some((q: any) => q.kind === 'clsact')).toBe(false);
  });

  it('adds u32 filters with typed matches and classid that tc shows as the same keys', async () => {
    await rt.tc.qdisc.add('va', { handle: '1:', kind: 'htb', htb: { defaultClass: 10 } });
    await rt.tc.class.add('va', { parent: '1:', classid: '1:10', kind: 'htb', htb: { rate: '10mbit' } });
    await rt.tc.filter.add('va', {
      parent: '1:', protocol: 'ip', priority: 1, kind: 'u32', classid: '1:10',
      u32: { match: [{ ip: { src: '192.168.1.0/24', dst: '10.0.0.2/32', protocol: 'tcp', sport: 1234, dport: 80 } }] },
    });
    await rt.tc.filter.add('va', { parent: '1:', protocol: 'ipv6', priority: 2, kind: 'u32', classid: '1:10', u32: { match: [{ ip6: { dst: '2001:db8::/64', dport: 443 } }] } });
    const keys = u32Keys(ns, 'va', '1:');
    const all = Object.values(keys).flat();
    expect(all).toEqual(expect.arrayContaining([
      { value: 0x00060000, mask: 0x00ff0000, at: 8 },
      { value: 0xc0a80100, mask: 0xffffff00, at: 12 },
      { value: 0x0a000002, mask: 0xffffffff, at: 16 },
      { value: (1234 << 16 | 80) >>> 0, mask: 0xffffffff, at: 20 },
      { value: 0x20010db8, mask: 0xffffffff, at: 24 },
      { value: 0, mask: 0xffffffff, at: 28 },
      { value: 443, mask: 0xffff, at: 40 },
    ]));
    const filters = await rt.tc.filter.list({ dev: 'va', parent: '1:' });
    const f1 = filters.find((f) => f.priority === 1 && f.handle !== 0 && f.u32 && (f.u32 as any).match);
    expect(f1).toMatchObject({ kind: 'u32', protocol: 'ip', classid: '1:10', u32: { match: [{ ip: { src: '192.168.1.0/24', dst: '10.0.0.2/32', protocol: 'tcp', sport: 1234, dport: 80 } }] } });
    const f2 = filters.find((f) => f.priority === 2 && (f.u32 as any)?.match);
    expect(f2).toMatchObject({ protocol: 'ipv6', u32: { match: [{ ip6: { dst: '2001:db8::/64', dport: 443 } }] } });
  });

  it('replaces and changes one u32 filter by its handle, and deletes it by handle', async () => {
    // Priority 1 holds the root table 800: (from the test above), so the node goes in as 800::5.
    await rt.tc.class.add('va', { parent: '1:', classid: '1:20', kind: 'htb', htb: { rate: '10mbit' } });
    await rt.tc.filter.add('va', { parent: '1:', protocol: 'ip', priority: 1, handle: '800::5', kind: 'u32', classid: '1:10', u32: { match: [{ ip: { dst: '10.6.0.0/16' } }] } });
    // The kernel keeps an existing u32 node's keys (as with tc): replace and change move its class.
    await rt.tc.filter.replace('va', { parent: '1:', protocol: 'ip', priority: 1, handle: '800::5', kind: 'u32', classid: '1:20', u32: { match: [{ ip: { dst: '10.6.0.0/16' } }] } });
    let f = (await rt.tc.filter.list({ dev: 'va', parent: '1:' })).find((x) => x.priority === 1 && x.handle === 0x80000005)!;
    expect(f).toMatchObject({ classid: '1:20', u32: { match: [{ ip: { dst: '10.6.0.0/16' } }] } });
    await rt.tc.filter.change('va', { parent: '1:', protocol: 'ip', priority: 1, handle: '800::5', kind: 'u32', classid: '1:10', u32: { match: [{ ip: { dst: '10.6.0.0/16' } }] } });
    f = (await rt.tc.filter.list({ dev: 'va', parent: '1:' })).find((x) => x.priority === 1 && x.handle === 0x80000005)!;
    expect(f.classid).toBe('1:10');
    expect(tc(ns, 'filter', 'show', 'dev', 'va', 'parent', '1:')).toMatch(/fh 800::5 .*flowid 1:10/);
    await expect(rt.tc.filter.add('va', { parent: '1:', protocol: 'ip', priority: 1, handle: '800::5', kind: 'u32', u32: { match: [{ all: true }] } })).rejects.toMatchObject({ code: 'EEXIST' });
    await rt.tc.filter.del('va', { parent: '1:', protocol: 'ip', priority: 1, handle: '800::5', kind: 'u32' });
    expect(tc(ns, 'filter', 'show', 'dev', 'va', 'parent', '1:')).not.toMatch(/fh 800::5 /);
  });

  it('decodes u32 filters and mirred actions that tc made', async () => {
    tc(ns, 'qdisc', 'add', 'dev', 'vb', 'ingress');
    tc(ns, 'filter', 'add', 'dev', 'vb', 'parent', 'ffff:', 'protocol', 'ip', 'prio', '7', 'u32', 'match', 'ip', 'dst', '10.1.0.0/16', 'match', 'ip', 'protocol', '17', '0xff', 'action', 'mirred', 'egress', 'mirror', 'dev', 'va');
    tc(ns, 'filter', 'add', 'dev', 'vb', 'parent', 'ffff:', 'protocol', 'all', 'prio', '8', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'va');
    const idx = (JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'va')) as { ifindex: number }[])[0]!.ifindex;
    const filters = (await rt.tc.filter.list({ dev: 'vb', parent: 'ingress' })).filter((f) => (f.u32 as any)?.match);
    expect(filters.find((f) => f.priority === 7)).toMatchObject({
      parent: 'ffff:', protocol: 'ip', u32: { match: [{ ip: { dst: '10.1.0.0/16', protocol: 'udp' } }] },
      actions: [{ kind: 'mirred', mirred: { action: 'mirror', direction: 'egress', dev: idx, control: 'pipe' } }],
    });
    const f8 = filters.find((f) => f.priority === 8)!;
    expect(f8).toMatchObject({ protocol: 'all', u32: { match: [{ all: true }] }, actions: [{ kind: 'mirred', mirred: { action: 'redirect', dev: idx, control: 'stolen' } }] });
    expect(f8.actions![0]!.index).toBeGreaterThan(0);
    expect(f8.actions![0]!.stats).toMatchObject({ packets: 0 });
  });

  it('adds a mirred filter by device name that tc shows', async () => {
    await rt.tc.filter.add('va', {
      parent: 'ingress', protocol: 'all', priority: 3, kind: 'u32', u32: { match: [{ all: true }] },
      actions: [{ kind: 'mirred', mirred: { action: 'redirect', direction: 'egress', dev: 'vb' } }],
    });
    const shown = tcJson(ns, 'filter', 'show', 'dev', 'va', 'ingress');
    const act = shown.find((f: any) => f.options?.actions)?.options.actions[0];
    expect(act).toMatchObject({ kind: 'mirred', mirred_action: 'redirect', direction: 'egress', to_dev: 'vb', control_action: { type: 'stolen' } });
    await rt.tc.filter.del('va', { parent: 'ingress', priority: 3 });
    expect(tcJson(ns, 'filter', 'show', 'dev', 'va', 'ingress')).toEqual([]);
  });

  it('round-trips classic BPF filters (cls_bpf bytecode) both ways', async () => {
    await rt.tc.qdisc.del('vb', { kind: 'ingress' }).catch(() => {}); // left by an earlier test
    await rt.tc.qdisc.add('vb', { kind: 'clsact' });
    // "accept the whole packet": ret #-1
    await rt.tc.filter.add('vb', { parent: 'ingress', protocol: 'all', priority: 1, kind: 'bpf', classid: '1:1', bpf: { ops: [[6, 0, 0, 0xffffffff]] } });
    expect(tc(ns, 'filter', 'show', 'dev', 'vb', 'ingress')).toMatch(/bpf .*flowid 1:1 .*bytecode '1,6 0 0 4294967295'/);
    tc(ns, 'filter', 'add', 'dev', 'vb', 'egress', 'protocol', 'ip', 'prio', '2', 'bpf', 'bytecode', '2,40 0 0 12,6 0 0 0', 'classid', '1:2');
    const [mine] = (await rt.tc.filter.list({ dev: 'vb', parent: 'ingress' })).filter((f) => f.handle);
    expect(mine).toMatchObject({ kind: 'bpf', classid: '1:1', bpf: { ops: [[6, 0, 0, 0xffffffff]] } });
    const [theirs] = (await rt.tc.filter.list({ dev: 'vb', parent: 'egress' })).filter((f) => f.handle);
    expect(theirs).toMatchObject({ kind: 'bpf', protocol: 'ip', priority: 2, classid: '1:2', bpf: { ops: [[40, 0, 0, 12], [6, 0, 0, 0]] } });
    await rt.tc.qdisc.del('vb', { kind: 'clsact' });
  });

  it('attaches a pinned eBPF program by path (object-pinned) both ways, and closes the fd it opened', async () => {
    // A bpf filesystem of the test's own, with a trivial program pinned on it (no compiler needed).
    const fsDir = mkdtempSync(path.join(tmpdir(), 'nljs-bpffs-'));
    execFileSync('mount', ['-t', 'bpf', 'bpf', fsDir]);
    try {
      const prog = path.join(fsDir, 'prog');
      execFileSync('python3', [path.join(__dirname, '../fixtures/bpf/pin-prog.py'), prog]);
      await rt.tc.qdisc.add('vb', { kind: 'clsact' });
      const fds = () => readdirSync('/proc/self/fd').length;
      const before = fds();
      await rt.tc.filter.add('vb', { parent: 'ingress', protocol: 'all', priority: 1, kind: 'bpf', bpf: { pinned: prog, directAction: true } });
      expect(fds()).toBe(before);
      tc(ns, 'filter', 'add', 'dev', 'vb', 'egress', 'protocol', 'all', 'prio', '2', 'bpf', 'object-pinned', prog, 'da');
      const shown = (dir: string) => tcJson(ns, 'filter', 'show', 'dev', 'vb', dir).find((f: any) => f.options)!.options;
      const [ours, theirs] = [shown('ingress'), shown('egress')];
      // Same program, same name and mode as tc gives it.
      expect(ours).toMatchObject({ bpf_name: 'prog:[*fsobj]', 'direct-action': true, prog: { id: theirs.prog.id, tag: theirs.prog.tag } });
      expect(theirs).toMatchObject({ bpf_name: 'prog:[*fsobj]', 'direct-action': true });
      const decoded = async (parent: string) => (await rt.tc.filter.list({ dev: 'vb', parent })).find((f) => f.handle)!;
      const want = { kind: 'bpf', bpf: { name: 'prog:[*fsobj]', directAction: true, id: theirs.prog.id, tag: theirs.prog.tag } };
      expect(await decoded('ingress')).toMatchObject({ ...want, priority: 1 });
      expect(await decoded('egress')).toMatchObject({ ...want, priority: 2 });
      // A path with nothing pinned: refused naming the field, nothing added.
      await expect(rt.tc.filter.add('vb', { parent: 'ingress', protocol: 'all', priority: 3, kind: 'bpf', bpf: { pinned: path.join(fsDir, 'none') } }))
        .rejects.toMatchObject({ name: 'ValidationError', field: 'bpf.pinned' });
      await expect(rt.tc.filter.add('vb', { parent: 'ingress', protocol: 'all', priority: 3, kind: 'bpf', bpf: { pinned: prog, ops: [[6, 0, 0, 0]] } }))
        .rejects.toMatchObject({ name: 'ValidationError', field: 'bpf.pinned' });
      expect(tcJson(ns, 'filter', 'show', 'dev', 'vb', 'ingress').filter((f: any) => f.options)).toHaveLength(1);
      expect(fds()).toBe(before);
      await rt.tc.qdisc.del('vb', { kind: 'clsact' });
    } finally {
      execFileSync('umount', [fsDir]);
      rmSync(fsDir, { recursive: true, force: true });
    }
  });

  it('adds mq and noqueue, and decodes the pfifo_fast children the kernel made', async () => {
    ip('-n', ns, 'link', 'add', 'vm', 'numtxqueues', '4', 'type', 'veth', 'peer', 'name', 'vn');
    await rt.tc.qdisc.add('vm', { handle: '1:', kind: 'mq' });
    await rt.tc.qdisc.add('vn', { kind: 'noqueue' });
    const shown = tcJson(ns, 'qdisc', 'show');
    expect(shown.find((q: any) => q.dev === 'vm' && q.root)).toMatchObject({ kind: 'mq', handle: '1:' });
    expect(shown.find((q: any) => q.dev === 'vn' && q.root)).toMatchObject({ kind: 'noqueue' });
    const ours = await rt.tc.qdisc.list({ dev: 'vm' });
    expect(ours.find((q) => q.parent === 'root')).toMatchObject({ kind: 'mq', handle: '1:' });
    const leaves = ours.filter((q) => q.kind === 'pfifo_fast');
    expect(leaves.map((q) => q.parent).sort()).toEqual(['1:1', '1:2', '1:3', '1:4']);
    expect(leaves[0]!.pfifo_fast).toEqual({ bands: 3, priomap: [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1] });
    expect((await rt.tc.qdisc.list({ dev: 'vn' })).find((q) => q.parent === 'root')).toMatchObject({ kind: 'noqueue' });
  });

  it('adds, lists and deletes chains, and filters in a chain, both ways', async () => {
    ip('-n', ns, 'link', 'add', 'vc1', 'type', 'veth', 'peer', 'name', 'vc2');
    await rt.tc.qdisc.add('vc1', { kind: 'clsact' });
    await rt.tc.chain.add('vc1', { parent: 'ingress', chain: 5 });
    tc(ns, 'chain', 'add', 'dev', 'vc1', 'ingress', 'chain', '9');
    expect(tcJson(ns, 'chain', 'show', 'dev', 'vc1', 'ingress').map((c: any) => c.chain).sort()).toEqual([5, 9]);
    expect((await rt.tc.chain.list({ dev: 'vc1', parent: 'ingress' })).map((c) => c.chain).sort()).toEqual([5, 9]);
    await rt.tc.filter.add('vc1', { parent: 'ingress', protocol: 'ip', priority: 1, chain: 5, kind: 'u32', u32: { match: [{ ip: { dst: '10.5.0.0/16' } }] } });
    const shown = tc(ns, 'filter', 'show', 'dev', 'vc1', 'ingress', 'chain', '5');
    expect(shown).toMatch(/match 0a050000\/ffff0000 at 16/); // only chain 5 was asked for
    const listed = await rt.tc.filter.list({ dev: 'vc1', parent: 'ingress', chain: 5 });
    expect(listed.find((f) => (f.u32 as any)?.match)).toMatchObject({ chain: 5, u32: { match: [{ ip: { dst: '10.5.0.0/16' } }] } });
    await rt.tc.chain.del('vc1', { parent: 'ingress', chain: 5 });
    expect(tcJson(ns, 'chain', 'show', 'dev', 'vc1', 'ingress').map((c: any) => c.chain)).toEqual([9]);
  });

  it('validates before sending: bad handle, unknown option, negative rate, missing protocol', async () => {
    await expect(rt.tc.qdisc.add('va', { parent: '1:2:3', kind: 'pfifo' })).rejects.toMatchObject({ name: 'ValidationError', field: 'parent' });
    await expect(rt.tc.qdisc.add('va', { kind: 'htb', htb: { defualt: 10 } as any })).rejects.toMatchObject({ name: 'ValidationError', field: 'htb.defualt' });
    await expect(rt.tc.class.add('va', { parent: '1:', classid: '1:20', kind: 'htb', htb: { rate: -5 } })).rejects.toMatchObject({ name: 'ValidationError', field: 'htb.rate' });
    await expect(rt.tc.filter.add('va', { parent: '1:', kind: 'u32', u32: { match: [{ all: true }] } })).rejects.toMatchObject({ name: 'ValidationError', field: 'protocol' });
    await expect(rt.tc.qdisc.add('va', { kind: 'tbf', tbf: { rate: '10mbit', burst: 1000, latencyMs: 1 } }, { signal: 5 } as any)).rejects.toMatchObject({ name: 'ValidationError', field: 'options.signal' });
  });
});
