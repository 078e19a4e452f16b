/** RTM_NEWADDR/RTM_DELADDR → Address (list, monitor). */
import { decodeAttrs, type RawAttribute } from '../../wire/attributes';
import { familyName } from '../../wire/address';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { IFADDRMSG_SIZE, readIfAddrMsg } from '../structs';
import { addressSchema, IFA_F, type AddressCacheInfo } from './address-schema';
import { bitNames, scopes } from '../request/names';

/** An interface address. */
export interface Address {
  /** ifindex of the link that holds it. */
  index: number;
  family: 'inet' | 'inet6' | string;
  /** The interface's own address (IFA_LOCAL, else IFA_ADDRESS). */
  address: string;
  prefixLen: number;
  /** The remote end of a point-to-point link, when it differs from `address`. */
  peer?: string;
  broadcast?: string;
  anycast?: string;
  multicast?: string;
  label?: string;
  /** 'global', 'link', 'host', 'site', 'nowhere', or the number as text. */
  scope: string;
  /** Flag names ('permanent', 'nodad', 'noprefixroute', 'tentative' …). */
  flags: string[];
  /** Seconds left; 4294967295 means forever. */
  validLft?: number;
  preferredLft?: number;
  cacheInfo?: AddressCacheInfo;
  metric?: number;
  proto?: number;
  unknown?: RawAttribute[];
}

/** Decodes one address message. */
export function decodeAddress(buf: Buffer, off: number, len: number): Address {
  const hdr = readIfAddrMsg(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  const raw: any = decodeAttrs(addressSchema, buf, off + NLMSG_HDRLEN + IFADDRMSG_SIZE, off + len);
  const flagBits = raw.ifaFlags ?? hdr.flags;
  const local: string | undefined = raw.ifaLocal ?? raw.ifaAddress;
  const out: Address = {
    index: hdr.index,
    family: familyName(hdr.family),
    address: local ?? '',
    prefixLen: hdr.prefixLen,
    scope: scopes.name(hdr.scope),
    flags: bitNames(IFA_F, flagBits),
  };
  if (raw.ifaLocal && raw.ifaAddress && raw.ifaAddress !== raw.ifaLocal) out.peer = raw.ifaAddress;
  for (const k of ['broadcast', 'anycast', 'multicast', 'label', 'metric', 'proto', 'unknown'] as const) {
    if (raw[k] !== undefined) (out as any)[k] = raw[k];
  }
  if (raw.cacheInfo) {
    out.cacheInfo = raw.cacheInfo;
    out.validLft = raw.cacheInfo.valid;
    out.preferredLft = raw.cacheInfo.preferred;
  }
  return out;
}
