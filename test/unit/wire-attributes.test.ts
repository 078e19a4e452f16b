import { describe, expect, it } from 'vitest';
import { decodeAttrs, defineSchema, encodeAttrs } from '../../lib/wire/attributes';
import { MessageWriter } from '../../lib/wire/message-writer';
import { ParseError } from '../../lib/errors';
import { attr, cstr } from '../helpers/fake-kernel';

const inner = defineSchema('inner', { 1: { name: 'port', type: 'u16be' }, 2: { name: 'on', type: 'bool8' } });
const schema = defineSchema('test', {
  1: { name: 'name', type: 'string' },
  2: { name: 'mtu', type: 'u32' },
  3: { name: 'mac', type: 'mac' },
  4: { name: 'ip', type: 'ip' },
  5: { name: 'nest', type: 'nested', nested: inner },
  6: { name: 'alt', type: 'string', multi: true },
  7: { name: 'big', type: 'u64' },
});

describe('TLV attributes', () => {
  it('encodes with the schema and decodes back the same object', () => {
    const w = new MessageWriter(100, 0);
    const obj = { name: 'br0', mtu: 9000, mac: '02:00:00:00:00:01', ip: '2001:db8::5', nest: { port: 4789, on: true }, alt: ['a', 'bb'], big: 2 ** 40 + 7 };
    encodeAttrs(w, schema, obj);
    const { bytes, attrNames } = w.finish();
    expect(bytes.readUInt32LE(0)).toBe(bytes.length);
    expect(bytes.length % 4).toBe(0);
    const back = decodeAttrs(schema, bytes, 16, bytes.length);
    expect(back).toEqual(obj);
    expect([...attrNames!.values()]).toContain('nest.port');
  });

  it('keeps unknown attributes and odd-sized ones raw', () => {
    const buf = Buffer.concat([attr(2, Buffer.from([1, 2])), attr(99, Buffer.from('xyz')), attr(1, cstr('eth0'))]);
    const out: any = decodeAttrs(schema, buf, 0, buf.length);
    expect(out.name).toBe('eth0');
    expect(out.mtu).toBeUndefined();
    expect(out.unknown.map((u: any) => u.type)).toEqual([2, 99]);
    expect(out.unknown[1].data.toString()).toBe('xyz');
  });

  it('sets NLA_F_NESTED on nests and pads every attribute', () => {
    const w = new MessageWriter(100, 0);
    w.nestStart(5).string(1, 'a').nestEnd();
    const { bytes } = w.finish();
    expect(bytes.readUInt16LE(18) & 0x8000).toBe(0x8000);
    expect(bytes.readUInt16LE(16)).toBe(4 + 8);
  });

  it('throws ParseError (only) for a TLV that overruns its container', () => {
    const buf = attr(1, cstr('eth0'));
    buf.writeUInt16LE(200, 0);
    expect(() => decodeAttrs(schema, buf, 0, buf.length)).toThrow(ParseError);
    const short = Buffer.from([3, 0, 1, 0]);
    expect(() => decodeAttrs(schema, short, 0, 4)).toThrow(ParseError);
  });
});
