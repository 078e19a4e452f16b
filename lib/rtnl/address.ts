/**
 * rt.address: interface addresses.
 */
import { familyNumber, type FamilyName } from '../wire/address';
import { AF_UNSPEC, NLM_F_DUMP, RTM_GETADDR, RTM_NEWADDR } from '../wire/constants';
import { MessageWriter } from '../wire/message-writer';
import { IFADDRMSG_SIZE, writeIfAddrMsg } from '../wire/structs';
import type { Engine } from './engine';
import { decodeAddress, type Address } from './address-decode';
import type { LinkIndexResolver, LinkRef } from './link-ref';

/** Options of `rt.address.list()`. */
export interface AddressListOptions {
  /** Only this link's addresses (filtered in the kernel). */
  link?: LinkRef;
  family?: FamilyName;
  signal?: AbortSignal;
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWADDR ? decodeAddress(buf, off, len) : undefined);

/** Address operations of one rtnetlink handle. */
export class AddressApi {
  constructor(protected readonly engine: Engine, protected readonly resolver: LinkIndexResolver) {}

  /**
   * Lists addresses, filtered in the kernel by link and family.
   * Equivalent to: ip [-4|-6] addr show [dev NAME]
   */
  async list(opts: AddressListOptions = {}): Promise<Address[]> {
    const family = familyNumber(opts.family) ?? AF_UNSPEC;
    const index = opts.link !== undefined ? await this.resolver.resolve(opts.link, 'link') : 0;
    const w = new MessageWriter(RTM_GETADDR, NLM_F_DUMP);
    w.struct(IFADDRMSG_SIZE, (b, at) => writeIfAddrMsg(b, at, { family, index }));
    return this.engine.request(w.finish(), { operation: 'address.list', dump: true, decode, ...(opts.signal ? { signal: opts.signal } : {}) });
  }
}
