/**
 * Address requests at the byte level, without root: ifaddrmsg and IFA_* for each option,
 * the lifetimes in IFA_CACHEINFO, and del's wildcard form.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { forEachAttr } from '../../lib/wire/attributes';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../lib/wire/constants';
import { RTM_DELADDR, RTM_NEWADDR } from '../../lib/rtnetlink/constants';
import { prepareAddress } from '../../lib/rtnetlink/address/address';
import { IFA } from '../../lib/rtnetlink/address/address-schema';

const ifa = (b: Buffer) => ({ family: b[16], prefixLen: b[17], flags: b[18], scope: b[19], index: b.readUInt32LE(20) });
function attrs(bytes: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  forEachAttr(bytes, 24, bytes.length, (type, off, len) => out.set(type, bytes.subarray(off, off + len)));
  return out;
}

describe('prepareAddress', () => {
  it('IPv4 add: local and address, derived broadcast, label, scope, metric', () => {
    const b = prepareAddress('add', 4, '10.1.2.3/20', { broadcast: '+', label: 'v0:a', scope: 'link', metric: 9 }).msg.bytes;
    expect(b.readUInt16LE(4)).toBe(RTM_NEWADDR);
    expect(b.readUInt16LE(6) & (NLM_F_CREATE | NLM_F_EXCL)).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(ifa(b)).toEqual({ family: 2, prefixLen: 20, flags: 0, scope: 253, index: 4 });
    const a = attrs(b);
    expect([...a.get(IFA.LOCAL)!]).toEqual([10, 1, 2, 3]);
    expect([...a.get(IFA.ADDRESS)!]).toEqual([10, 1, 2, 3]);
    expect([...a.get(IFA.BROADCAST)!]).toEqual([10, 1, 15, 255]);
    expect(a.get(IFA.LABEL)!.toString('utf8', 0, 4)).toBe('v0:a');
    expect(a.get(IFA.RT_PRIORITY)!.readUInt32LE(0)).toBe(9);
    expect(a.has(IFA.CACHEINFO)).toBe(false);
  });

  it('peer: IFA_ADDRESS is the peer and its prefix length wins', () => {
    const b = prepareAddress('add', 4, '10.0.0.1', { peer: '10.0.0.2/32' }).msg.bytes;
    expect(ifa(b).prefixLen).toBe(32);
    expect([...attrs(b).get(IFA.ADDRESS)!]).toEqual([10, 0, 0, 2]);
  });

  it('IPv6 flags go in IFA_FLAGS (and the low byte in the header); lifetimes in IFA_CACHEINFO', () => {
    const b = prepareAddress('replace', 4, '2001:db8::1/64', { flags: ['nodad', 'noprefixroute', 'mngtmpaddr'], validLft: 100, preferredLft: 50 }).msg.bytes;
    expect(b.readUInt16LE(6) & NLM_F_REPLACE).toBe(NLM_F_REPLACE);
    expect(ifa(b)).toMatchObject({ family: 10, prefixLen: 64, flags: 0x02, scope: 0 });
    const a = attrs(b);
    expect(a.get(IFA.FLAGS)!.readUInt32LE(0)).toBe(0x02 | 0x200 | 0x100);
    const ci = a.get(IFA.CACHEINFO)!;
    expect([ci.readUInt32LE(0), ci.readUInt32LE(4)]).toEqual([50, 100]);
    // Only one lifetime given: the other is forever, as iproute2 does.
    const v = attrs(prepareAddress('add', 4, '2001:db8::1/64', { validLft: 'forever', preferredLft: 0 }).msg.bytes).get(IFA.CACHEINFO)!;
    expect([v.readUInt32LE(0), v.readUInt32LE(4)]).toEqual([0, 0xffffffff]);
  });

  it('127/8 gets host scope by default; del of a bare IPv4 address matches by local address only', () => {
    expect(ifa(prepareAddress('add', 1, '127.0.0.2/8').msg.bytes).scope).toBe(254);
    const d = prepareAddress('del', 4, '10.0.0.1').msg.bytes;
    expect(d.readUInt16LE(4)).toBe(RTM_DELADDR);
    expect(attrs(d).has(IFA.ADDRESS)).toBe(false);
    expect(attrs(prepareAddress('del', 4, '10.0.0.1/24').msg.bytes).has(IFA.ADDRESS)).toBe(true);
  });

  it('a named link is patched in later, at ifa_index', () => {
    expect(prepareAddress('add', 'eth0', '10.0.0.1/24').links).toEqual([{ field: 'dev', name: 'eth0', at: 20 }]);
  });

  it('refuses bad input naming the field', () => {
    const cases: [() => unknown, string][] = [
      [() => prepareAddress('add', 4, '10.0.0.300/24'), 'address'],
      [() => prepareAddress('add', 4, '10.0.0.1/33'), 'address'],
      [() => prepareAddress('add', 4, '10.0.0.1/24', { broadcast: '10.0.0.256' }), 'broadcast'],
      [() => prepareAddress('add', 4, '2001:db8::1/64', { broadcast: '+' }), 'broadcast'],
      [() => prepareAddress('add', 4, '2001:db8::1/64', { label: 'x' }), 'label'],
      [() => prepareAddress('add', 4, '10.0.0.1/24', { flags: ['permanent' as any] }), 'flags'],
      [() => prepareAddress('add', 4, '10.0.0.1/24', { validLft: 5, preferredLft: 6 }), 'preferredLft'],
      [() => prepareAddress('add', 4, '10.0.0.1/24', { proto: 256 }), 'proto'],
      [() => prepareAddress('add', -1, '10.0.0.1/24'), 'dev'],
    ];
    for (const [call, field] of cases) {
      let err: any;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(ValidationError);
      expect(err.field).toBe(field);
    }
  });
});
