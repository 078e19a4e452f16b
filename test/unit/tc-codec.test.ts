/**
 * rt.tc's codecs without a kernel: every typed kind's options, written into a request and read
 * back from the same bytes, come back as given (the request and the kernel's reply share the
 * layout); units, handles and psched conversions match tc's; bad input is a ValidationError
 * naming the field before anything is built.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { formatHandle, parseHandle } from '../../lib/rtnetlink/tc/handle';
import { decodeClass, decodeFilter, decodeQdisc } from '../../lib/rtnetlink/tc/objects';
import { prepareClass, prepareFilter, prepareQdisc, parseFilterHandle } from '../../lib/rtnetlink/tc/requests';
import { parsePsched, parseRate, parseRateBits, parseSize, percentToU32, u32ToPercent, rateTable, xmitTime, xmitSize } from '../../lib/rtnetlink/tc/units';
import { formatControl, parseControl } from '../../lib/rtnetlink/tc/control';

const bytesOf = (p: { msg: { bytes: Buffer } }) => Buffer.from(p.msg.bytes);
const qdiscBack = (spec: any) => { const b = bytesOf(prepareQdisc('add', 3, spec)); return decodeQdisc(b, 0, b.length); };
const classBack = (spec: any) => { const b = bytesOf(prepareClass('add', 3, spec)); return decodeClass(b, 0, b.length); };
const filterBack = (spec: any) => { const b = bytesOf(prepareFilter('add', 3, spec)); return decodeFilter(b, 0, b.length); };

describe('tc units', () => {
  it('parses rates in tc units to bit/s and bytes/s', () => {
    expect(parseRateBits('10mbit', 'r')).toBe(10e6);
    expect(parseRateBits('1gbit', 'r')).toBe(1e9);
    expect(parseRateBits('2mbps', 'r')).toBe(16e6); // bytes per second, as tc
    expect(parseRateBits('512kibit', 'r')).toBe(512 * 1024);
    expect(parseRate(100e9, 'r')).toBe(12.5e9);
    expect(() => parseRate(-1, 'htb.rate')).toThrow(ValidationError);
    expect(() => parseRate('10 furlongs', 'x')).toThrow(/x/);
  });

  it('parses sizes as tc does (k = 1024, kbit = 128)', () => {
    expect(parseSize('32kb', 's')).toBe(32768);
    expect(parseSize('32k', 's')).toBe(32768);
    expect(parseSize('1mb', 's')).toBe(1048576);
    expect(parseSize('8kbit', 's')).toBe(1024);
    expect(parseSize(1500, 's')).toBe(1500);
    expect(() => parseSize(-3, 'tbf.burst')).toThrow(expect.objectContaining({ field: 'tbf.burst' }));
  });

  it('reads /proc/net/psched as tc does', () => {
    expect(parsePsched('000003e8 00000040 000f4240 3b9aca00\n')).toEqual({ tickInUsec: 15.625, clockFactor: 1, hz: 1e9 });
    expect(parsePsched('00000001 00000001 3b9aca00 3b9aca00\n').tickInUsec).toBe(1000);
  });

  it('computes transmit times and rate tables like tc_calc_rtable', () => {
    expect(xmitTime(1_250_000, 32768)).toBe(409600); // 10 mbit, 32 kb: 26.2144 ms in 1/15.625 µs ticks
    expect(xmitSize(1_250_000, 409600)).toBe(32768);
    const { spec, table } = rateTable(12_500_000, 1600);
    expect(spec).toMatchObject({ cellLog: 3, cellAlign: -1, linklayer: 1, rate: 12_500_000 });
    expect(table.readUInt32LE(0)).toBe(xmitTime(12_500_000, 8));
    expect(table.readUInt32LE(255 * 4)).toBe(xmitTime(12_500_000, 2048));
  });

  it('scales percentages to u32 and back to 6 decimals', () => {
    expect(percentToU32(100, 'p')).toBe(0xffffffff);
    expect(u32ToPercent(percentToU32(1.5, 'p'))).toBe(1.5);
    expect(u32ToPercent(percentToU32(0.000123, 'p'))).toBe(0.000123);
    expect(() => percentToU32(101, 'netem.lossPercent')).toThrow(expect.objectContaining({ field: 'netem.lossPercent' }));
  });
});

describe('tc handles and verdicts', () => {
  it('parses handles as tc writes them', () => {
    expect(parseHandle('1:', 'h', 'qdisc-handle')).toBe(0x10000);
    expect(parseHandle('1:10', 'h', 'classid')).toBe(0x10010);
    expect(parseHandle(':5', 'h', 'classid')).toBe(5);
    expect(parseHandle('root', 'p', 'qdisc-parent')).toBe(0xffffffff);
    expect(parseHandle('ingress', 'p', 'qdisc-parent')).toBe(0xfffffff1);
    expect(parseHandle('ingress', 'p', 'filter-parent')).toBe(0xfffffff2);
    expect(parseHandle('egress', 'p', 'filter-parent')).toBe(0xfffffff3);
    expect(parseHandle(0x20003, 'h', 'classid')).toBe(0x20003);
    expect(() => parseHandle('1:2:3', 'parent', 'qdisc-parent')).toThrow(expect.objectContaining({ name: 'ValidationError', field: 'parent' }));
    expect(() => parseHandle('1:10', 'handle', 'qdisc-handle')).toThrow(/minor/);
    expect(() => parseHandle('10000:', 'h', 'classid')).toThrow(ValidationError);
    expect(() => parseHandle('egress', 'parent', 'qdisc-parent')).toThrow(ValidationError);
    expect([0x10000, 0x10010, 5, 0xffffffff, 0].map(formatHandle)).toEqual(['1:', '1:10', ':5', 'root', 'none']);
    expect(parseFilterHandle('800::800', 'handle')).toBe(0x80000800);
    expect(parseFilterHandle('0x10', 'handle')).toBe(16);
  });

  it('parses verdicts, goto chain and jump', () => {
    for (const v of ['ok', 'drop', 'pipe', 'reclassify', 'continue', 'stolen', 'trap', 'goto chain 12', 'jump 2'] as const) expect(formatControl(parseControl(v, 'a'))).toBe(v);
    expect(parseControl('pass', 'a')).toBe(0);
    expect(parseControl('shot', 'a')).toBe(2);
    expect(() => parseControl('explode', 'gact.action')).toThrow(expect.objectContaining({ field: 'gact.action' }));
  });
});

describe('tc codecs: options read back as written', () => {
  it('qdiscs', () => {
    expect(qdiscBack({ handle: '1:', kind: 'htb', htb: { defaultClass: '1:10', r2q: 5, directQlen: 30 } })).toMatchObject({ handle: '1:', parent: 'root', htb: { defaultClass: '1:10', r2q: 5, directQlen: 30 } });
    expect(qdiscBack({ kind: 'tbf', tbf: { rate: '10mbit', burst: '32kb', latencyMs: 50, peakrate: '12mbit', mtu: 1600 } }).tbf).toMatchObject({ rate: 10e6, burst: 32768, latencyMs: 50, peakrate: 12e6, mtu: 1600 });
    const netem = { limit: 100, delayUs: 123456, jitterUs: 789, delayCorrelation: 12.5, lossPercent: 0.25, duplicatePercent: 1, reorderPercent: 3, gap: 4, corruptPercent: 0.5, ecn: true, rate: { rate: 1e9, packetOverhead: -2, cellSize: 48, cellOverhead: 5 }, slot: { minDelayUs: 5, maxDelayUs: 9, maxPackets: 3, maxBytes: 4 } };
    expect(qdiscBack({ kind: 'netem', netem }).netem).toMatchObject(netem);
    expect(qdiscBack({ kind: 'netem', netem: { delayUs: 1e10, loss: { model: 'state', p13: 1, p31: 2, p32: 3, p23: 4, p14: 5 } } }).netem).toMatchObject({ delayUs: 1e10, loss: { model: 'state', p13: 1, p31: 2, p32: 3, p23: 4, p14: 5 } });
    expect(qdiscBack({ kind: 'netem', netem: { rate: { rate: 100e9 } } }).netem).toMatchObject({ rate: { rate: 100e9 } });
    expect(qdiscBack({ kind: 'fq_codel', fq_codel: { limit: 9, ecn: true, memoryLimit: '4mb' } }).fq_codel).toEqual({ limit: 9, ecn: true, memoryLimit: 4194304 });
    expect(qdiscBack({ kind: 'fq', fq: { maxRate: 'unlimited', horizonDrop: false } }).fq).toEqual({ maxRate: 'unlimited', horizonDrop: false });
    expect(qdiscBack({ kind: 'cake', cake: { bandwidth: '40gbit', diffserv: 'diffserv8', flowMode: 'dual-srchost', overhead: -10 } }).cake).toEqual({ bandwidth: 40e9, diffserv: 'diffserv8', flowMode: 'dual-srchost', overhead: -10 });
    expect(qdiscBack({ kind: 'prio', prio: { bands: 3 } }).prio).toMatchObject({ bands: 3, priomap: [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1] });
    expect(qdiscBack({ kind: 'sfq', sfq: { perturbSec: 10, headdrop: true } }).sfq).toMatchObject({ perturbSec: 10, headdrop: true });
    expect(qdiscBack({ kind: 'bfifo', bfifo: { limit: '10kb' } }).bfifo).toEqual({ limit: 10240 });
    expect(qdiscBack({ kind: 'mqprio', mqprio: { numTc: 2, map: [0, 1], queues: [{ count: 1, offset: 0 }, { count: 1, offset: 1 }], mode: 'channel', shaper: 'bw_rlimit', maxRate: [1e9, 100e9] } }).mqprio)
      .toMatchObject({ numTc: 2, queues: [{ count: 1, offset: 0 }, { count: 1, offset: 1 }], mode: 'channel', shaper: 'bw_rlimit', maxRate: [1e9, 100e9] });
    expect(qdiscBack({ kind: 'ingress' })).toMatchObject({ handle: 'ffff:', parent: 'ingress' });
    expect(qdiscBack({ kind: 'clsact' })).toMatchObject({ handle: 'ffff:', parent: 'ingress' });
    expect(qdiscBack({ kind: 'weird', options: Buffer.from([1, 2, 3, 4]) }).options).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  it('classes, with 64-bit rates', () => {
    for (const rate of [40e9, 100e9, '100gbit']) {
      expect(classBack({ parent: '1:', classid: '1:5', kind: 'htb', htb: { rate, ceil: 100e9, prio: 2, quantum: 1500 } }).htb).toMatchObject({ rate: typeof rate === 'string' ? 100e9 : rate, ceil: 100e9, prio: 2, quantum: 1500 });
    }
    expect(classBack({ classid: '1:5', kind: 'htb', htb: { rate: '100mbit', burst: '15k', cburst: 3000 } })).toMatchObject({ parent: '1:', htb: { rate: 100e6, ceil: 100e6, burst: 15360, cburst: 3000 } });
    expect(classBack({ classid: '1:6', kind: 'hfsc', hfsc: { sc: { m1: '20mbit', dUs: 5000, m2: '10mbit' }, ul: { m2: '30mbit' } } }).hfsc).toEqual({ rt: { m1: 20e6, dUs: 5000, m2: 10e6 }, ls: { m1: 20e6, dUs: 5000, m2: 10e6 }, ul: { m2: 30e6 } });
  });

  it('filters and actions', () => {
    const u32 = filterBack({ parent: '1:', protocol: 'ip', priority: 3, kind: 'u32', classid: '1:10', u32: { match: [{ ip: { src: '10.0.0.0/8', dst: '192.168.0.1/32', protocol: 'udp', sport: 53, dport: { value: 0x1000, mask: 0xf000 }, tos: 0x10 } }, { u32: { value: 1, mask: 0xff, at: 40 } }] } });
    expect(u32).toMatchObject({ protocol: 'ip', priority: 3, classid: '1:10', u32: { match: [{ ip: { src: '10.0.0.0/8', dst: '192.168.0.1/32', protocol: 'udp', sport: 53, dport: { value: 0x1000, mask: 0xf000 }, tos: 0x10 } }, { u32: { value: 1, mask: 0xff, at: 40 } }] } });
    expect(filterBack({ parent: '1:', protocol: 'ipv6', kind: 'u32', u32: { match: [{ ip6: { src: '2001:db8::/48', protocol: 'tcp', dport: 22 } }] } }).u32).toMatchObject({ match: [{ ip6: { src: '2001:db8::/48', protocol: 'tcp', dport: 22 } }] });
    const flower = { dstMac: '02:00:00:00:00:01', ipProto: 'tcp', srcIp: '10.0.0.0/8', dstIp: '2001:db8::1/128', dstPort: 443, srcPort: { min: 1, max: 9 }, tcpFlags: '0x2/0x12', ctState: '+trk-new', ctMark: '0x1/0xf', encKeyId: 5, skipSw: true };
    expect(() => filterBack({ parent: 'ingress', protocol: 'ip', kind: 'flower', flower })).toThrow(expect.objectContaining({ field: 'flower.dstIp' }));
    const f6 = { ...flower, srcIp: '2001:db8::/32' };
    expect(filterBack({ parent: 'ingress', protocol: 'ipv6', kind: 'flower', flower: f6 })).toMatchObject({ parent: 'ingress', protocol: 'ipv6', flower: f6 });
    const actions = [
      { kind: 'gact', gact: { action: 'goto chain 3' } },
      { kind: 'mirred', mirred: { action: 'mirror', direction: 'ingress', dev: 7, control: 'pipe' } },
      { kind: 'police', police: { rate: 40e9, burst: 64000, exceed: 'drop', conform: 'ok' } },
      { kind: 'vlan', vlan: { action: 'modify', id: 5, protocol: '802.1q' } },
      { kind: 'skbedit', skbedit: { mark: 1, ptype: 'otherhost' } },
      { kind: 'tunnel_key', tunnel_key: { action: 'set', srcIp: '2001:db8::1', dstIp: '2001:db8::2', keyId: 1, noCsum: true } },
      { kind: 'csum', csum: { update: ['icmp', 'sctp'] } },
      { kind: 'pedit', pedit: { keys: [{ off: 4, value: 9, mask: 0xffff0000, at: 2, offmask: 0xf, shift: 2 }] } },
      { kind: 'nat', nat: { direction: 'ingress', old: '10.0.0.1', new: '10.0.0.2' } },
      { kind: 'connmark', connmark: { zone: 1 } },
      { kind: 'ct', ct: { commit: true, nat: { type: 'dst', minIp: '10.0.0.1', maxIp: '10.0.0.3', minPort: 80, maxPort: 81 } } },
      { kind: 'sample', sample: { rate: 5, group: 6 } },
      { kind: 'bpf', options: Buffer.from([8, 0, 9, 0, 0, 0, 0, 0]) },
    ];
    const back = filterBack({ parent: 'ingress', protocol: 'all', kind: 'matchall', actions });
    actions.forEach((a, i) => expect(back.actions![i], a.kind).toMatchObject(a));
    expect(filterBack({ parent: '1:', protocol: 'ip', handle: 5, kind: 'fw', fw: { mask: 0xff }, classid: '1:1' })).toMatchObject({ handle: 5, fw: { mask: 0xff }, classid: '1:1' });
    expect(filterBack({ parent: '1:', protocol: 'ip', kind: 'bpf', bpf: { fd: 9, directAction: true } }).bpf).toMatchObject({ name: 'netlinkjs', directAction: true });
  });
});

describe('CoDel times', () => {
  it('reads back what was written through the kernel\'s 1024 ns units', async () => {
    const { Buffer } = await import('node:buffer');
    // What fq_codel reports for target 4000, interval 90000, ce_threshold 2000, and 1 µs.
    for (const [reported, written] of [[3999, 4000], [89999, 90000], [1999, 2000], [0, 0], [1024, 1024]]) {
      const opts = Buffer.alloc(8);
      opts.writeUInt16LE(8, 0);
      opts.writeUInt16LE(1, 2); // TCA_FQ_CODEL_TARGET
      opts.writeUInt32LE(reported!, 4);
      const { QDISC_CODECS } = await import('../../lib/rtnetlink/tc/objects');
      expect(QDISC_CODECS.fq_codel!.decode(opts, 0, 8, { handle: 0, isClass: false })).toEqual({ targetUs: written });
    }
  });
});

describe('tc validation names the field', () => {
  const bad: [string, () => unknown, string][] = [
    ['handle 1:2:3', () => prepareQdisc('add', 'v0', { parent: '1:2:3', kind: 'pfifo' }), 'parent'],
    ['unknown kind option', () => prepareQdisc('add', 'v0', { kind: 'netem', netem: { delayMs: 5 } as any }), 'netem.delayMs'],
    ['unknown spec key', () => prepareQdisc('add', 'v0', { kind: 'tbf', rate: '1mbit' } as any), 'rate'],
    ['negative rate', () => prepareClass('add', 'v0', { classid: '1:1', kind: 'htb', htb: { rate: -1 } }), 'htb.rate'],
    ['missing rate', () => prepareClass('add', 'v0', { classid: '1:1', kind: 'htb', htb: {} as any }), 'htb.rate'],
    ['class without minor', () => prepareClass('add', 'v0', { classid: '1:', kind: 'htb', htb: { rate: 1 } }), 'classid'],
    ['filter without protocol', () => prepareFilter('add', 'v0', { parent: '1:', kind: 'matchall' }), 'protocol'],
    ['filter unknown protocol', () => prepareFilter('add', 'v0', { parent: '1:', protocol: 'ipx', kind: 'matchall' }), 'protocol'],
    ['bad action verdict', () => prepareFilter('add', 'v0', { parent: '1:', protocol: 'all', kind: 'matchall', actions: [{ kind: 'gact', gact: { action: 'nope' as any } }] }), 'actions[0].gact.action'],
    ['mirred without dev', () => prepareFilter('add', 'v0', { parent: '1:', protocol: 'all', kind: 'matchall', actions: [{ kind: 'mirred', mirred: { action: 'redirect' } as any }] }), 'actions[0].mirred.dev'],
    ['police without burst', () => prepareFilter('add', 'v0', { parent: '1:', protocol: 'all', kind: 'matchall', actions: [{ kind: 'police', police: { rate: '1mbit' } }] }), 'actions[0].police.burst'],
    ['flower port without proto', () => prepareFilter('add', 'v0', { parent: 'ingress', protocol: 'ip', kind: 'flower', flower: { dstPort: 80 } }), 'flower.dstPort'],
    ['u32 contradiction', () => prepareFilter('add', 'v0', { parent: '1:', protocol: 'ip', kind: 'u32', u32: { match: [{ ip: { dst: '10.0.0.1/32' } }, { ip: { dst: '10.0.0.2/32' } }] } }), 'u32.match[1].ip.dst'],
    ['bad device name', () => prepareQdisc('add', 'a/b', { kind: 'pfifo' }), 'dev'],
    ['netem reorder without delay', () => prepareQdisc('add', 'v0', { kind: 'netem', netem: { reorderPercent: 5 } }), 'netem.reorderPercent'],
    ['tbf without latency or limit', () => prepareQdisc('add', 'v0', { kind: 'tbf', tbf: { rate: '1mbit', burst: 1000 } }), 'tbf.latencyMs'],
  ];
  for (const [what, fn, field] of bad) {
    it(what, () => {
      expect(fn).toThrow(ValidationError);
      try { fn(); } catch (e) { expect((e as ValidationError).field).toBe(field); }
    });
  }
});

describe('tc filter requests name extack offsets without a map per message', () => {
  it('reads dotted field names off the bytes, down into the actions', () => {
    const prep = prepareFilter('add', 3, {
      parent: 'ingress', protocol: 'ip', priority: 1, kind: 'u32', chain: 0, u32: { match: [{ ip: { dst: '10.0.0.1/32' } }] },
      actions: [{ kind: 'mirred', mirred: { action: 'redirect', dev: 5 } }, { kind: 'gact', gact: { action: 'drop' } }],
    });
    expect(prep.msg.attrNames).toBeUndefined(); // bulk adds keep 10 000 of these until the acks
    const table = prep.msg.attrTable!;
    const b = Buffer.from(prep.msg.bytes);
    // Every attribute start, at every depth (the tc nests are all nests of attributes, but u32's
    // selector and the actions' parms structs, which are leaves).
    const names = new Set<string>();
    const walk = (from: number, to: number, depth: number): void => {
      for (let p = from; to - p >= 4;) {
        const len = b.readUInt16LE(p);
        const type = b.readUInt16LE(p + 2) & 0x3fff;
        names.add(table.nameAt!(b, p)!);
        const leaf = (depth === 1 && type === 5) || depth === 4 || (depth === 0 && type !== 2) || (depth === 3 && type !== 2);
        if (!leaf) walk(p + 4, p + len, depth + 1);
        p += (len + 3) & ~3;
      }
    };
    walk(16 + 20, b.length, 0);
    expect([...names]).toEqual(expect.arrayContaining([
      'chain', 'kind', 'u32', 'u32.match', 'actions', 'actions[0]', 'actions[0].kind', 'actions[0].mirred', 'actions[0].mirred.dev',
      'actions[1]', 'actions[1].kind', 'actions[1].gact.action',
    ]));
    expect([...names]).not.toContain(undefined);
  });

  it('names flower keys by the option that wrote them', () => {
    const prep = prepareFilter('add', 3, { parent: 'ingress', protocol: 'ip', kind: 'flower', flower: { dstIp: '10.0.0.0/8', ipProto: 'tcp', dstPort: 22 } });
    const b = Buffer.from(prep.msg.bytes);
    const names: string[] = [];
    for (let p = 16 + 20; b.length - p >= 4;) {
      const len = b.readUInt16LE(p);
      if ((b.readUInt16LE(p + 2) & 0x3fff) === 2) {
        for (let q = p + 4; p + len - q >= 4;) {
          names.push(prep.msg.attrTable!.nameAt!(b, q + 4)!); // an offset inside the payload
          q += (b.readUInt16LE(q) + 3) & ~3;
        }
      }
      p += (len + 3) & ~3;
    }
    expect(names).toEqual(['protocol', 'flower.ipProto', 'flower.dstIp', 'flower.dstIp', 'flower.dstPort', 'flower.dstPort']);
  });
});
