/**
 * Attribute helpers generic netlink families share on top of lib/wire/attributes: arrays of
 * nests (the kernel's "index 1..n, each a nest" lists), and turning a user's plain attribute
 * table into a Schema (the raw layer's schema hook).
 */
import { ValidationError } from '../errors';
import { decodeAttrs, defineSchema, forEachAttr, type AttrSpec, type Schema } from '../wire/attributes';

/**
 * A nest whose children are all items of one schema, whatever their type number (CTRL_ATTR_OPS,
 * CTRL_ATTR_MCAST_GROUPS, ethtool's bitset bits): decodes to an array in wire order.
 */
export function nestArray(name: string, item: Schema): AttrSpec {
  return {
    name,
    type: 'nested',
    decode: (buf, off, len) => {
      const out: Record<string, unknown>[] = [];
      forEachAttr(buf, off, off + len, (_t, at, n) => out.push(decodeAttrs(item, buf, at, at + n)), item.name);
      return out;
    },
  };
}

/** An attribute table as users write it: `{ 1: { name: 'ifindex', type: 'u32' }, … }`, nests as tables too. */
export type SchemaTable = Record<number, UserAttrSpec>;

/** One entry of a user's table: an AttrSpec whose `nested` may itself be a plain table. */
export type UserAttrSpec = Omit<AttrSpec, 'nested'> & { nested?: Schema | SchemaTable };

const ATTR_TYPES = new Set(['u8', 'u16', 'u32', 's32', 'u64', 'u16be', 'u32be', 'bool8', 'flag', 'string', 'binary', 'ip', 'mac', 'nested']);

function isSchema(s: unknown): s is Schema {
  return typeof s === 'object' && s !== null && (s as Schema).byName instanceof Map && (s as Schema).attrs instanceof Map;
}

/** A Schema from `schema` (returned as is) or from a plain table, checked entry by entry. */
export function toSchema(schema: Schema | SchemaTable, field: string, name = 'attrs'): Schema {
  if (isSchema(schema)) return schema;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ValidationError(field, 'expected a Schema (defineSchema) or a table { [attrType]: { name, type } }');
  }
  const table: Record<number, AttrSpec> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const type = Number(key);
    const f = `${field}.${key}`;
    if (!Number.isInteger(type) || type < 1 || type > 0x3fff) throw new ValidationError(f, 'attribute type must be an integer from 1 to 16383');
    if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string' || !spec.name) {
      throw new ValidationError(f, 'expected { name, type }');
    }
    if (!ATTR_TYPES.has(spec.type)) throw new ValidationError(`${f}.type`, `unknown attribute type "${String(spec.type)}"`);
    if (spec.type === 'nested' && spec.nested === undefined && !spec.decode) throw new ValidationError(`${f}.nested`, 'a nested attribute needs its table');
    const { nested, ...rest } = spec;
    table[type] = nested === undefined ? (rest as AttrSpec) : { ...rest, nested: toSchema(nested, `${f}.nested`, spec.name) };
  }
  return defineSchema(name, table);
}
