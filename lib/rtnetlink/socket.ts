/** The rtnetlink socket: the core's netlink socket with protocol NETLINK_ROUTE. */
import { openNetlinkSocket, type NetlinkSocketHandle, type SocketOptions } from '../core/socket';
import type { SystemError } from '../errors';
import { NETLINK_ROUTE } from '../wire/constants';

/** Opens a NETLINK_ROUTE socket (here or in `opts.netns`) wired to a request engine. */
export function openRtnlSocket(opts: SocketOptions = {}, onError?: (err: SystemError) => void): Promise<NetlinkSocketHandle> {
  return openNetlinkSocket(NETLINK_ROUTE, opts, onError);
}
