/**
 * Link properties (RTM_NEWLINKPROP / RTM_DELLINKPROP): alternative names. A link may carry
 * several altnames of up to 127 bytes besides its 15-byte name; every lookup by name (ours and
 * the kernel's) finds it by any of them. Used by `rt.link.set(dev, { altnames })`.
 */
import { ValidationError } from '../../errors';
import { AF_UNSPEC } from '../../wire/constants';
import { MessageWriter, type BuiltMessage } from '../../wire/message-writer';
import { RTM_DELLINKPROP, RTM_NEWLINKPROP } from '../constants';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../structs';
import { linkRefParts, type LinkRef } from '../request/link-ref';
import { IFLA } from './link-schema';

/** Altnames to add and remove (`ip link property add|del dev D altname N …`). */
export interface AltnameChanges {
  add?: string[];
  del?: string[];
}

/** ALTIFNAMSIZ - 1: the longest altname the kernel takes. */
const ALTNAME_MAX = 127;

/** Checks one altname the way the kernel does (dev_valid_name with ALTIFNAMSIZ). */
export function validateAltname(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new ValidationError(field, 'an altname is a non-empty string');
  if (Buffer.byteLength(name) > ALTNAME_MAX) throw new ValidationError(field, `altname ${JSON.stringify(name)} is longer than ${ALTNAME_MAX} bytes`);
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) throw new ValidationError(field, `altname ${JSON.stringify(name)} may not contain '/', ':' or whitespace`);
}

/**
 * A link reference as it goes on the wire: an ifindex, a name (IFLA_IFNAME) or, for a name
 * longer than an interface name can be, an altname (IFLA_ALT_IFNAME).
 */
export function writeLinkLookup(w: MessageWriter, ref: LinkRef, field: string, build: (index: number) => void): void {
  if (typeof ref === 'string' && Buffer.byteLength(ref) > 15) {
    validateAltname(ref, field);
    build(0);
    w.string(IFLA.ALT_IFNAME, ref, field);
    return;
  }
  const parts = linkRefParts(ref, field);
  build(parts.index ?? 0);
  if (parts.name !== undefined) w.string(IFLA.IFNAME, parts.name, field);
}

/** Validates altname changes and builds their requests (adds first, then deletions); nothing is sent. */
export function prepareAltnames(ref: LinkRef, changes: AltnameChanges, field = 'altnames'): BuiltMessage[] {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) throw new ValidationError(field, 'expected { add?: [...], del?: [...] }');
  for (const k of Object.keys(changes)) if (k !== 'add' && k !== 'del') throw new ValidationError(`${field}.${k}`, `unknown option "${k}" (expected add, del)`);
  const out: BuiltMessage[] = [];
  for (const [key, type] of [['add', RTM_NEWLINKPROP], ['del', RTM_DELLINKPROP]] as const) {
    const names = changes[key];
    if (names === undefined) continue;
    if (!Array.isArray(names) || names.length === 0) throw new ValidationError(`${field}.${key}`, 'expected a non-empty array of names');
    names.forEach((n, i) => validateAltname(n, `${field}.${key}.${i}`));
    // NLM_F_EXCL|NLM_F_APPEND as `ip link property add` sends them (the kernel ignores both).
    const w = new MessageWriter(type, type === RTM_NEWLINKPROP ? 0x200 | 0x800 : 0, 64 + names.length * 132);
    writeLinkLookup(w, ref, 'link', (index) => w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC, index })));
    w.nestStart(IFLA.PROP_LIST, `${field}.${key}`);
    for (const n of names) w.string(IFLA.ALT_IFNAME, n, `${field}.${key}`);
    w.nestEnd();
    out.push(w.finish());
  }
  if (!out.length) throw new ValidationError(field, 'give add and/or del');
  return out;
}
