/**
 * Generic netlink framing: every message is nlmsghdr + genlmsghdr (+ the family's own fixed
 * header, for the few families that have one) + attributes. The nlmsghdr type is the family id.
 */
import { ParseError } from '../errors';
import { MessageWriter } from '../wire/message-writer';
import { NLMSG_HDRLEN } from '../wire/constants';
import { GENL_HDRLEN } from './constants';

/** Where attributes start in a message of a family without a header of its own. */
export const GENL_ATTRS_AT = NLMSG_HDRLEN + GENL_HDRLEN;

/** Starts a request: nlmsghdr (type = family id) and genlmsghdr; `header` is the family's fixed header. */
export function genlWriter(familyId: number, cmd: number, version: number, flags = 0, header?: Uint8Array, capacity = 256): MessageWriter {
  const w = new MessageWriter(familyId, flags, capacity);
  w.struct(GENL_HDRLEN, (b, at) => {
    b[at] = cmd;
    b[at + 1] = version;
    b.writeUInt16LE(0, at + 2);
  });
  if (header && header.length) w.struct(header.length, (b, at) => b.set(header, at));
  return w;
}

/** The genlmsghdr of a received message at `off` (its nlmsghdr). */
export function genlHeader(buf: Buffer, off: number, len: number): { cmd: number; version: number } {
  if (len < GENL_ATTRS_AT) throw new ParseError(`generic netlink message of ${len} bytes has no genlmsghdr`);
  return { cmd: buf[off + NLMSG_HDRLEN]!, version: buf[off + NLMSG_HDRLEN + 1]! };
}
