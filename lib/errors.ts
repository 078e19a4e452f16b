/**
 * The two error types every public call may reject with.
 *
 * - `NetlinkError`: the kernel refused a request. Carries errno, the symbolic code, the
 *   operation that was attempted (`'link.add'`), the kernel's extended-ack text, and, when the
 *   kernel pointed at an attribute, that attribute's name.
 * - `ValidationError`: the input was rejected before anything was sent. Names the field.
 */
import { constants as osConstants } from 'node:os';

// Linux errnos (asm-generic/errno.h) that Node's table leaves out; EBADFD, for one, is what a
// deleted TUN/TAP device's fd reports.
const LINUX_ONLY_ERRNOS: [number, string][] = [
  [15, 'ENOTBLK'], [44, 'ECHRNG'], [45, 'EL2NSYNC'], [46, 'EL3HLT'], [47, 'EL3RST'], [48, 'ELNRNG'],
  [49, 'EUNATCH'], [50, 'ENOCSI'], [51, 'EL2HLT'], [52, 'EBADE'], [53, 'EBADR'], [54, 'EXFULL'],
  [55, 'ENOANO'], [56, 'EBADRQC'], [57, 'EBADSLT'], [59, 'EBFONT'], [64, 'ENONET'], [65, 'ENOPKG'],
  [66, 'EREMOTE'], [68, 'EADV'], [69, 'ESRMNT'], [70, 'ECOMM'], [73, 'EDOTDOT'], [76, 'ENOTUNIQ'],
  [77, 'EBADFD'], [78, 'EREMCHG'], [79, 'ELIBACC'], [80, 'ELIBBAD'], [81, 'ELIBSCN'], [82, 'ELIBMAX'],
  [83, 'ELIBEXEC'], [85, 'ERESTART'], [86, 'ESTRPIPE'], [87, 'EUSERS'], [94, 'ESOCKTNOSUPPORT'],
  [96, 'EPFNOSUPPORT'], [108, 'ESHUTDOWN'], [109, 'ETOOMANYREFS'], [112, 'EHOSTDOWN'], [117, 'EUCLEAN'],
  [118, 'ENOTNAM'], [119, 'ENAVAIL'], [120, 'EISNAM'], [121, 'EREMOTEIO'], [123, 'ENOMEDIUM'],
  [124, 'EMEDIUMTYPE'], [126, 'ENOKEY'], [127, 'EKEYEXPIRED'], [128, 'EKEYREVOKED'], [129, 'EKEYREJECTED'],
  [130, 'EOWNERDEAD'], [131, 'ENOTRECOVERABLE'], [132, 'ERFKILL'], [133, 'EHWPOISON'],
];

const errnoNames: Map<number, string> = new Map([
  ...LINUX_ONLY_ERRNOS,
  ...Object.entries(osConstants.errno).map(([name, num]): [number, string] => [num as number, name]),
]);

/** Maps an errno number to its symbolic name ('ENOENT'); unknown numbers become 'E<n>'. */
export function errnoCode(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** Options for constructing a {@link NetlinkError}. */
export interface NetlinkErrorInit {
  errno: number;
  operation: string;
  extack?: string;
  attribute?: string;
  /** Byte offset into the request that the kernel flagged (NLMSGERR_ATTR_OFFS). */
  offset?: number;
}

/** A request the kernel rejected (NLMSG_ERROR with a negative error, or an errored dump). */
export class NetlinkError extends Error {
  /** Positive errno value, e.g. 19 for ENODEV. */
  readonly errno: number;
  /** Symbolic errno name, e.g. 'ENODEV'. */
  readonly code: string;
  /** The library operation that failed, e.g. 'link.get'. */
  readonly operation: string;
  /** The kernel's extended-ack message, when it sent one. */
  readonly extack?: string;
  /** Name of the attribute the kernel pointed at, when it did. */
  readonly attribute?: string;
  /** Offset into the request the kernel pointed at, when it did. */
  readonly offset?: number;

  constructor(init: NetlinkErrorInit) {
    const code = errnoCode(init.errno);
    let message = `${init.operation}: ${code}`;
    if (init.extack) message += `: ${init.extack}`;
    if (init.attribute) message += ` (attribute ${init.attribute})`;
    super(message);
    this.name = 'NetlinkError';
    this.errno = init.errno;
    this.code = code;
    this.operation = init.operation;
    if (init.extack !== undefined) this.extack = init.extack;
    if (init.attribute !== undefined) this.attribute = init.attribute;
    if (init.offset !== undefined) this.offset = init.offset;
  }
}

/** Input rejected before anything was sent to the kernel. `field` names the offending input. */
export class ValidationError extends TypeError {
  /** Dotted path of the offending field, e.g. 'vlan.id' or 'peer.name'. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/**
 * The codec could not make sense of bytes it was given (truncated or malformed message).
 * Never thrown for merely unknown attributes: those are kept raw.
 */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

/**
 * A call on a handle (rtnetlink, nftables, conntrack, genl …) that was closed, before or while
 * the call waited. `code` is 'ERR_HANDLE_CLOSED'.
 */
export class HandleClosedError extends Error {
  readonly code = 'ERR_HANDLE_CLOSED';

  constructor(message = 'the netlink handle is closed') {
    super(message);
    this.name = 'HandleClosedError';
  }
}

/** A syscall in the native layer failed (socket, bind, setns, open …). */
export interface SystemError extends Error {
  errno: number;
  code: string;
  syscall: string;
}
