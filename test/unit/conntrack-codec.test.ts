/**
 * The ctnetlink codec without a kernel: a dump message captured from Linux 6.18 (an entry made
 * with `conntrack -I -p tcp -s 192.0.2.1 -d 192.0.2.2 --sport 40000 --dport 80 --state
 * ESTABLISHED -u SEEN_REPLY,ASSURED -m 5 -w 3`, accounting on) decodes to what `conntrack -L`
 * printed for it; requests encode to the bytes the kernel's parser expects; filters match.
 */
import { describe, expect, it } from 'vitest';
import { decodeConntrack, eventTypeOf, statusNames } from '../../lib/nfnetlink/conntrack/conntrack-decode';
import {
  compileFilter, deleteEntryRequest, flushRequest, getRequest, listRequest, matchesFilter,
} from '../../lib/nfnetlink/conntrack/conntrack-request';
import { ValidationError } from '../../lib/errors';

// `conntrack -L -o extended,id` said: ipv4 2 tcp 6 97 ESTABLISHED src=192.0.2.1 dst=192.0.2.2
// sport=40000 dport=80 packets=0 bytes=0 src=192.0.2.2 dst=192.0.2.1 sport=80 dport=40000
// packets=0 bytes=0 [ASSURED] mark=5 zone=3 use=1 id=3807354088
const TCP_ENTRY = Buffer.from(
  '3001000000010200dda32951ed46000002000000340001801400018008000100c000020108000200c00002021c00028005000100'
  + '06000000060002009c4000000600030000500000340002801400018008000100c000020208000200c00002011c00028005000100'
  + '060000000600020000500000060003009c4000000600120000030000080003000000000e080008000000000508000c00e2ef9ce8'
  + '08000b00000000010800070000000061300004802c00018005000100030000000500020000000000050003000000000006000400'
  + '0a000000060005000a0000001c0009800c00010000000000000000000c00020000000000000000001c000a800c00010000000000'
  + '000000000c00020000000000000000001c001880080001000000000008000200000000000800030000000000',
  'hex',
);

describe('conntrack decode', () => {
  it('decodes a kernel dump message as conntrack -L printed it', () => {
    const e = decodeConntrack(TCP_ENTRY, 0, TCP_ENTRY.length);
    expect(e).toMatchObject({
      family: 'ipv4', protocol: 'tcp', protocolNumber: 6, state: 'ESTABLISHED',
      orig: { src: '192.0.2.1', dst: '192.0.2.2', sport: 40000, dport: 80 },
      reply: { src: '192.0.2.2', dst: '192.0.2.1', sport: 80, dport: 40000 },
      mark: 5, zone: 3, use: 1, id: 3807354088, timeout: 97,
      counters: { orig: { packets: 0, bytes: 0 }, reply: { packets: 0, bytes: 0 } },
    });
    expect(e.status).toEqual(expect.arrayContaining(['SEEN_REPLY', 'ASSURED', 'CONFIRMED']));
    // CTA_SYNPROXY (24) is decoded, not left raw; nothing in this message is unknown.
    expect(e.unknown).toBeUndefined();
  });

  it('keeps an attribute it does not know raw instead of failing', () => {
    const extra = Buffer.from('08006300deadbeef', 'hex'); // type 99, 4 bytes
    const msg = Buffer.concat([TCP_ENTRY, extra]);
    msg.writeUInt32LE(msg.length, 0);
    const e = decodeConntrack(msg, 0, msg.length);
    expect(e.unknown).toEqual([{ type: 99, data: Buffer.from('deadbeef', 'hex') }]);
    expect(e.orig.sport).toBe(40000);
  });

  it('names status bits and event types', () => {
    expect(statusNames(0b1110)).toEqual(['SEEN_REPLY', 'ASSURED', 'CONFIRMED']);
    expect(statusNames(1 << 4 | 1 << 5)).toEqual(['SRC_NAT', 'DST_NAT']);
    expect(eventTypeOf(0x100, 0x600)).toBe('new');
    expect(eventTypeOf(0x100, 0)).toBe('update');
    expect(eventTypeOf(0x102, 0)).toBe('destroy');
    expect(eventTypeOf(0xa00, 0)).toBeUndefined();
  });
});

/** The attribute bytes after nlmsghdr + nfgenmsg. */
const body = (b: Buffer) => b.subarray(20).toString('hex');

describe('conntrack requests', () => {
  it('a filtered dump carries the tuple, CTA_FILTER flags and the mark with its mask', () => {
    const msg = listRequest(compileFilter({ family: 'ipv4', protocol: 'tcp', src: '10.0.0.1', dport: 80, mark: 7 })).bytes;
    expect(msg.readUInt16LE(4)).toBe(0x0101); // ctnetlink GET
    expect(msg.readUInt16LE(6) & 0x300).toBe(0x300); // NLM_F_DUMP
    expect(msg[16]).toBe(2); // AF_INET
    expect(body(msg)).toBe(
      // CTA_TUPLE_ORIG { IP { V4_SRC 10.0.0.1 } PROTO { NUM 6, DST_PORT 80 (be16) } }
      '24000180' + '0c000180' + '080001000a000001' + '14000280' + '0500010006000000' + '0600030000500000'
      // CTA_FILTER { ORIG_FLAGS = ipSrc|protoNum|dstPort = 0x29 (host order) }
      + '0c001980' + '0800010029000000'
      // CTA_MARK 7, CTA_MARK_MASK 0xffffffff (big-endian)
      + '0800080000000007' + '08001500ffffffff',
    );
  });

  it('sends tuples only when the family is known; prefixes and zone stay client-side', () => {
    expect(body(listRequest(compileFilter({ protocol: 'tcp', sport: 1 })).bytes)).toBe('');
    const f = compileFilter({ src: '10.0.0.0/8', zone: 3 });
    expect(f.family).toBe(2); // inferred from the address
    expect(body(listRequest(f).bytes)).toBe('');
  });

  it('get, delete and flush messages', () => {
    const get = getRequest({ protocol: 'icmp', src: '192.0.2.1', dst: '192.0.2.2', type: 8, code: 0, id: 77, zone: 3 }).bytes;
    expect(get.readUInt16LE(4)).toBe(0x0101);
    expect(body(get)).toBe(
      '3c000180' + '14000180' + '08000100c0000201' + '08000200c0000202'
      + '24000280' + '0500010001000000' + '0500050008000000' + '0500060000000000' + '060004000' + '04d0000'
      + '0600120000030000',
    );
    const del = deleteEntryRequest(decodeConntrack(TCP_ENTRY, 0, TCP_ENTRY.length)).bytes;
    expect(del.readUInt16LE(4)).toBe(0x0102);
    expect(body(del)).toContain('0600120000030000'); // CTA_ZONE 3
    expect(body(del)).toContain('08000c00e2ef9ce8'); // CTA_ID
    const flush6 = flushRequest({ family: 'ipv6' }).bytes;
    expect([flush6[16], flush6[17]]).toEqual([10, 1]); // family honoured: version 1
    expect(body(flush6)).toBe('');
  });

  it('matches prefixes, reply tuples, masked marks and status', () => {
    const e = decodeConntrack(TCP_ENTRY, 0, TCP_ENTRY.length);
    expect(matchesFilter(compileFilter({ src: '192.0.2.0/25' }), e)).toBe(true);
    expect(matchesFilter(compileFilter({ src: '192.0.2.128/25' }), e)).toBe(false);
    expect(matchesFilter(compileFilter({ reply: { sport: 80, dst: '192.0.2.1' } }), e)).toBe(true);
    expect(matchesFilter(compileFilter({ mark: { value: 4, mask: 6 } }), e)).toBe(true);
    expect(matchesFilter(compileFilter({ status: ['ASSURED'], zone: 3 }), e)).toBe(true);
    expect(matchesFilter(compileFilter({ status: ['SRC_NAT'] }), e)).toBe(false);
    expect(matchesFilter(compileFilter({ family: 'ipv6' }), e)).toBe(false);
  });

  it('refuses bad filters naming the field', () => {
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as ValidationError).field;
      }
      return 'no error';
    };
    expect(field(() => compileFilter({ sprot: 1 } as any))).toBe('sprot');
    expect(field(() => compileFilter({ protocol: 'tcpp' }))).toBe('protocol');
    expect(field(() => compileFilter({ src: '10.0.0.1', dst: '::1' }))).toBe('dst');
    expect(field(() => compileFilter({ reply: { srcc: '1.2.3.4' } } as any))).toBe('reply.srcc');
    expect(field(() => compileFilter({ zone: -1 }))).toBe('zone');
    expect(field(() => getRequest({ protocol: 'udp', src: '1.2.3.4', dst: '1.2.3.5', dport: 1 }))).toBe('sport');
    expect(field(() => getRequest({ protocol: 'udp', src: '1.2.3.4', dst: '1.2.3.5', sport: 1, dport: 2, direction: 'up' as any }))).toBe('direction');
    expect(field(() => flushRequest({ family: 'ipx' as any }))).toBe('family');
  });
});

describe('conntrack event stream (fake socket)', async () => {
  const { Engine } = await import('../../lib/core/engine');
  const { ConntrackEventStream } = await import('../../lib/nfnetlink/conntrack/conntrack-events');

  function fakeStream(types: ('new' | 'update' | 'destroy')[], filter = compileFilter(undefined)) {
    const joined: number[] = [];
    let closed = false;
    const engine = new Engine({ send: () => 0, ref() {}, unref() {}, close: () => { closed = true; } });
    let onError!: (err: any) => void;
    const stream = new ConntrackEventStream(
      async (cb) => {
        onError = cb;
        return { engine, portId: 1, sock: { addMembership: (g: number) => joined.push(g), ref() {}, pause() {}, resume() {} } as any };
      },
      new Set(types), filter, 100, undefined, () => {},
    );
    return { stream, engine, joined, onError: (e: any) => onError(e), isClosed: () => closed };
  }

  /** The captured entry as a notification: seq 0, the given type and flags. */
  function notification(type: number, flags: number): Buffer {
    const b = Buffer.from(TCP_ENTRY);
    b.writeUInt16LE(type, 4);
    b.writeUInt16LE(flags, 6);
    b.writeUInt32LE(0, 8);
    return b;
  }

  it('joins the groups asked for, yields typed events, reports ENOBUFS as resync, closes on leaving the loop', async () => {
    const f = fakeStream(['new', 'destroy']);
    await f.stream.ready;
    expect(f.joined).toEqual([1, 3]);
    f.engine.receive(notification(0x100, 0x600)); // new
    f.engine.receive(notification(0x100, 0)); // update: not asked for
    f.onError(Object.assign(new Error('recvmsg ENOBUFS'), { code: 'ENOBUFS' }));
    f.engine.receive(notification(0x102, 0)); // destroy
    const seen: string[] = [];
    for await (const ev of f.stream) {
      seen.push(ev.type);
      if (ev.type !== 'resync') expect(ev.entry.orig.sport).toBe(40000);
      if (ev.type === 'destroy') break;
    }
    expect(seen).toEqual(['new', 'resync', 'destroy']);
    expect(f.stream.isClosed).toBe(true);
    expect(f.isClosed()).toBe(true);
  });

  it('applies its filter, and ends the loop with a socket error other than ENOBUFS', async () => {
    const f = fakeStream(['new'], compileFilter({ dport: 81 }));
    await f.stream.ready;
    f.engine.receive(notification(0x100, 0x600)); // dport 80: filtered out
    f.onError(Object.assign(new Error('recvmsg EBADF'), { code: 'EBADF' }));
    await expect(f.stream.next()).rejects.toThrow('EBADF');
  });
});
