/**
 * Rule requests and replies at the byte level, without root: fib_rule_hdr and FRA_* for each
 * RuleSpec option, the defaults `ip rule add|del` uses, and decoding (including the kernel's
 * "unset" suppressors).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { forEachAttr } from '../../lib/wire/attributes';
import { RTM_DELRULE, RTM_NEWRULE } from '../../lib/rtnetlink/constants';
import { prepareRule } from '../../lib/rtnetlink/rule/rule';
import { decodeRule } from '../../lib/rtnetlink/rule/rule-decode';
import { FRA } from '../../lib/rtnetlink/rule/rule-schema';
import { attr, cstr, nlmsg } from '../helpers/fake-kernel';

const hdr = (b: Buffer) => ({ family: b[16], dstLen: b[17], srcLen: b[18], tos: b[19], table: b[20], action: b[23], flags: b.readUInt32LE(24) });
function attrs(bytes: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  forEachAttr(bytes, 28, bytes.length, (type, off, len) => out.set(type, bytes.subarray(off, off + len)));
  return out;
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

describe('prepareRule', () => {
  it('add defaults to action table main; from/to set the header lengths', () => {
    const b = prepareRule('add', { priority: 100, from: '10.0.0.0/8', to: '192.168.1.0/24' }).msg.bytes;
    expect(b.readUInt16LE(4)).toBe(RTM_NEWRULE);
    expect(hdr(b)).toEqual({ family: 2, dstLen: 24, srcLen: 8, tos: 0, table: 254, action: 1, flags: 0 });
    const a = attrs(b);
    expect(a.get(FRA.PRIORITY)!.readUInt32LE(0)).toBe(100);
    expect([...a.get(FRA.SRC)!]).toEqual([10, 0, 0, 0]);
  });

  it('del matches any action and table unless given', () => {
    const b = prepareRule('del', { priority: 7 }).msg.bytes;
    expect(b.readUInt16LE(4)).toBe(RTM_DELRULE);
    expect(hdr(b)).toMatchObject({ table: 0, action: 0 });
  });

  it('goto, not, tables above 255, names, marks, ranges', () => {
    const g = prepareRule('add', { priority: 5, goto: 9, not: true, fwmark: 3, fwmask: 0xf }).msg.bytes;
    expect(hdr(g)).toMatchObject({ action: 2, flags: 2, table: 0 });
    expect(attrs(g).get(FRA.GOTO)!.readUInt32LE(0)).toBe(9);
    expect(attrs(g).get(FRA.FWMASK)!.readUInt32LE(0)).toBe(0xf);
    const t = prepareRule('add', { family: 'inet6', priority: 6, table: 5000, iif: 'eth0', oif: 'eth1', sport: { start: 1, end: 1024 }, dport: 443, ipProto: 6, uidRange: { start: 1, end: 2 } }).msg.bytes;
    expect(hdr(t)).toMatchObject({ family: 10, table: 0 });
    const a = attrs(t);
    expect(a.get(FRA.TABLE)!.readUInt32LE(0)).toBe(5000);
    expect(a.get(FRA.IIFNAME)!.toString('utf8', 0, 4)).toBe('eth0');
    expect([a.get(FRA.SPORT_RANGE)!.readUInt16LE(0), a.get(FRA.SPORT_RANGE)!.readUInt16LE(2)]).toEqual([1, 1024]);
    expect([a.get(FRA.DPORT_RANGE)!.readUInt16LE(0), a.get(FRA.DPORT_RANGE)!.readUInt16LE(2)]).toEqual([443, 443]);
    expect([a.get(FRA.UID_RANGE)!.readUInt32LE(0), a.get(FRA.UID_RANGE)!.readUInt32LE(4)]).toEqual([1, 2]);
    expect(hdr(prepareRule('add', { priority: 1, action: 'blackhole' }).msg.bytes)).toMatchObject({ action: 6, table: 0 });
  });

  it('refuses bad input naming the field', () => {
    const cases: [any, string][] = [
      [{ from: '10.0.0.0/40' }, 'from'],
      [{ from: '10.0.0.0/8', to: '::/0' }, 'to'],
      [{ iif: 'x'.repeat(16) }, 'iif'],
      [{ oif: '' }, 'oif'],
      [{ fwmask: 1 }, 'fwmask'],
      [{ action: 'goto' }, 'goto'],
      [{ action: 'dance' }, 'action'],
      [{ uidRange: { start: 5, end: 1 } }, 'uidRange'],
      [{ sport: 70000 }, 'sport.start'],
      [{ table: 'all' }, 'table'],
      [{ priority: 1.5 }, 'priority'],
    ];
    for (const [spec, field] of cases) {
      let err: any;
      try {
        prepareRule('add', spec);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(spec)).toBeInstanceOf(ValidationError);
      expect(err.field).toBe(field);
    }
  });
});

describe('decodeRule', () => {
  it('reads prefixes, table, goto and flags; all-ones suppressors mean unset', () => {
    const h = Buffer.alloc(12);
    h[0] = 2;
    h[2] = 16;
    h[4] = 0;
    h[7] = 1;
    h.writeUInt32LE(2 | 8, 8);
    const m = nlmsg(RTM_NEWRULE, 0, 0, Buffer.concat([
      h,
      attr(FRA.PRIORITY, u32(100)),
      attr(FRA.SRC, Buffer.from([10, 1, 0, 0])),
      attr(FRA.TABLE, u32(5000)),
      attr(FRA.IIFNAME, cstr('eth9')),
      attr(FRA.SUPPRESS_PREFIXLEN, u32(0xffffffff)),
      attr(FRA.SUPPRESS_IFGROUP, u32(0xffffffff)),
      attr(FRA.PROTOCOL, Buffer.from([4])),
    ]));
    expect(decodeRule(m, 0, m.readUInt32LE(0))).toEqual({
      family: 'inet', priority: 100, tos: 0, action: 'table', table: 5000, tableName: '5000', flags: ['not', 'iif_detached'],
      from: '10.1.0.0/16', iif: 'eth9', protocol: 'static',
    });
  });
});
