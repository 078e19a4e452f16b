/**
 * Generic netlink framing and the controller's family replies, decoded from bytes built the
 * way the kernel lays them out; the raw layer's schema hook.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { toSchema, nestArray } from '../../lib/genetlink/attrs';
import { CTRL_CMD_NEWFAMILY, GENL_ID_CTRL } from '../../lib/genetlink/constants';
import { decodeFamily } from '../../lib/genetlink/ctrl';
import { GENL_ATTRS_AT, genlHeader, genlWriter } from '../../lib/genetlink/genl-message';
import { decodeAttrs, defineSchema, encodeAttrs } from '../../lib/wire/attributes';

/** A CTRL_CMD_NEWFAMILY message as the kernel sends it. */
function familyMessage(): Buffer {
  const w = genlWriter(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 2);
  w.string(2, 'devlink');
  w.u16(1, 0x1c);
  w.u32(3, 1);
  w.u32(4, 0);
  w.u32(5, 176);
  w.nestStart(6);
  [[1, 0x0e], [2, 0x0b], [5, 0x1e]].forEach(([id, flags], i) => {
    w.nestStart(i + 1);
    w.u32(1, id!);
    w.u32(2, flags!);
    w.nestEnd();
  });
  w.nestEnd();
  w.nestStart(7);
  w.nestStart(1);
  w.u32(2, 9);
  w.string(1, 'config');
  w.nestEnd();
  w.nestEnd();
  w.u32(99, 7); // a newer attribute: kept, never fatal
  return Buffer.from(w.finish().bytes);
}

describe('generic netlink framing', () => {
  it('writes nlmsghdr (type = family id) then genlmsghdr, attributes after', () => {
    const w = genlWriter(0x1c, 5, 1, 0x300);
    w.u32(3, 7);
    const b = w.finish().bytes;
    expect(b.readUInt16LE(4)).toBe(0x1c);
    expect(b.readUInt16LE(6) & 0x301).toBe(0x301);
    expect([b[16], b[17], b.readUInt16LE(18)]).toEqual([5, 1, 0]);
    expect(b.readUInt16LE(GENL_ATTRS_AT + 2)).toBe(3);
    expect(genlHeader(b, 0, b.length)).toEqual({ cmd: 5, version: 1 });
  });

  it('puts a family header between genlmsghdr and the attributes', () => {
    const b = genlWriter(30, 1, 1, 0, Uint8Array.of(1, 2, 3, 4)).u8(1, 9).finish().bytes;
    expect([...b.subarray(20, 24)]).toEqual([1, 2, 3, 4]);
    expect(b.readUInt16LE(26)).toBe(1);
  });

  it('rejects a message too short for a genlmsghdr', () => {
    expect(() => genlHeader(Buffer.alloc(18), 0, 18)).toThrow(/genlmsghdr/);
  });
});

describe('controller replies', () => {
  it('decodes id, version, ops with their capabilities and multicast groups', () => {
    const b = familyMessage();
    const fam = decodeFamily(b, 0, b.length);
    expect(fam).toEqual({
      id: 0x1c, name: 'devlink', version: 1, hdrsize: 0, maxattr: 176,
      ops: [
        { id: 1, flags: 0x0e, do: true, dump: true, adminPerm: false, unsAdminPerm: false },
        { id: 2, flags: 0x0b, do: true, dump: false, adminPerm: true, unsAdminPerm: false },
        { id: 5, flags: 0x1e, do: true, dump: true, adminPerm: false, unsAdminPerm: true },
      ],
      groups: [{ name: 'config', id: 9 }],
    });
  });

  it('decodes arrays of nests whatever their index numbers', () => {
    const item = defineSchema('x', { 1: { name: 'a', type: 'u8' } });
    const s = defineSchema('outer', { 1: nestArray('list', item) });
    const w = genlWriter(1, 1, 1);
    w.nestStart(1);
    for (const [i, v] of [[7, 1], [3, 2]]) w.nestStart(i!).u8(1, v!).nestEnd();
    w.nestEnd();
    const b = w.finish().bytes;
    expect(decodeAttrs(s, b, GENL_ATTRS_AT, b.length)).toEqual({ list: [{ a: 1 }, { a: 2 }] });
  });
});

describe('the raw layer schema hook', () => {
  it('turns a plain table (nests too) into a schema that encodes and decodes', () => {
    const s = toSchema({ 1: { name: 'ifname', type: 'string' }, 2: { name: 'peer', type: 'nested', nested: { 1: { name: 'key', type: 'binary' } } } }, 'schema');
    const w = genlWriter(40, 1, 1);
    encodeAttrs(w, s, { ifname: 'wg0', peer: { key: Buffer.from([1, 2]) } });
    const b = w.finish().bytes;
    expect(decodeAttrs(s, b, GENL_ATTRS_AT, b.length)).toEqual({ ifname: 'wg0', peer: { key: Buffer.from([1, 2]) } });
    expect(toSchema(s, 'schema')).toBe(s);
  });

  it('names the bad entry of a table', () => {
    expect(() => toSchema({ 0: { name: 'x', type: 'u8' } } as never, 'schema')).toThrow(ValidationError);
    expect(() => toSchema({ 2: { name: 'x', type: 'u128' } } as never, 'schema')).toThrow(expect.objectContaining({ field: 'schema.2.type' }));
    expect(() => toSchema({ 3: { type: 'u8' } } as never, 'schema')).toThrow(expect.objectContaining({ field: 'schema.3' }));
    expect(() => toSchema({ 4: { name: 'n', type: 'nested' } } as never, 'schema')).toThrow(expect.objectContaining({ field: 'schema.4.nested' }));
    expect(() => toSchema([] as never, 'schema')).toThrow(expect.objectContaining({ field: 'schema' }));
  });
});
