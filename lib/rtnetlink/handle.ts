/**
 * An rtnetlink handle: one socket, one engine, and the object APIs on top.
 * `const rt = await nl.open()`; `rt.close()` (or `await using rt = await nl.open()`).
 */
import type { Engine } from '../core/engine';
import { SOCKET_OPTION_KEYS, type SocketOptions } from '../core/socket';
import { checkKeys } from '../core/options';
import { openRtnlSocket } from './socket';
import { LinkApi } from './link/link';
import { BridgeVlanApi } from './bridge/vlan';
import { AddressApi, prepareAddress } from './address/address';
import { RouteApi, prepareRoute } from './route/route';
import { NeighApi, prepareNeigh } from './neigh/neigh';
import { FdbApi, prepareFdb } from './neigh/fdb';
import { RuleApi, prepareRule } from './rule/rule';
import { prepareBatchOp, runBatch, type BatchOp, type BatchOptions, type BatchResult, type Preparers } from './batch';
import { NetnsIdApi } from './nsid/nsid';
import { VfApi } from './link/vf/vf';
import { NexthopApi, prepareNexthop } from './nexthop/nexthop';
import { MdbApi, prepareMdb } from './bridge/mdb';
import { BridgePortApi } from './bridge/port';
import { BridgeVniApi } from './bridge/vni';
import { StatsApi } from './stats/stats';
import { TcApi } from './tc/api';

const PREPARERS: Preparers = { address: prepareAddress, route: prepareRoute, neigh: prepareNeigh, fdb: prepareFdb, rule: prepareRule, nexthop: prepareNexthop, mdb: prepareMdb };

/** Options of `nl.open()`. */
export interface OpenOptions extends SocketOptions {}

/** A handle on rtnetlink in one network namespace. */
export class Rtnl {
  /** Links: list, get, add, set, del. */
  readonly link: LinkApi;
  /**
   * Bridges: VLAN filtering (`rt.bridge.vlan`), the port listing (`rt.bridge.port.list()`) and
   * the VXLAN VNI filter (`rt.bridge.vni`).
   */
  readonly bridge: { readonly vlan: BridgeVlanApi; readonly port: BridgePortApi; readonly vni: BridgeVniApi };
  /** Interface addresses. */
  readonly address: AddressApi;
  /** Routes. */
  readonly route: RouteApi;
  /** ARP/NDP neighbour entries. */
  readonly neigh: NeighApi;
  /** Bridge and VXLAN forwarding database entries. */
  readonly fdb: FdbApi;
  /** Policy routing rules. */
  readonly rule: RuleApi;
  /** Namespace ids (nsids) as seen from this handle's namespace. */
  readonly netns: NetnsIdApi;
  /** SR-IOV virtual functions of a PF link. */
  readonly vf: VfApi;
  /** Nexthop objects (`ip nexthop`): shared next hops and groups routes name by id. */
  readonly nexthop: NexthopApi;
  /** The bridge multicast database (`bridge mdb`). */
  readonly mdb: MdbApi;
  /** Link statistics through RTM_GETSTATS (`ip stats`). */
  readonly stats: StatsApi;
  /** Traffic control: `rt.tc.qdisc/class/filter/chain`, `rt.tc.bandwidth`. */
  readonly tc: TcApi;
  /** The netlink port id the kernel assigned to this handle's socket. */
  readonly portId: number;

  /** @internal use `nl.open()` */
  constructor(readonly engine: Engine, portId: number) {
    this.portId = portId;
    this.link = new LinkApi(engine);
    this.bridge = { vlan: new BridgeVlanApi(engine, this.link), port: new BridgePortApi(engine, this.link), vni: new BridgeVniApi(engine, this.link) };
    this.address = new AddressApi(engine, this.link.resolver);
    this.route = new RouteApi(engine, this.link);
    this.neigh = new NeighApi(engine, this.link);
    this.fdb = new FdbApi(engine, this.link);
    this.rule = new RuleApi(engine, this.link.resolver);
    this.netns = new NetnsIdApi(engine);
    this.vf = new VfApi(engine);
    this.nexthop = new NexthopApi(engine, this.link);
    this.mdb = new MdbApi(engine, this.link);
    this.stats = new StatsApi(engine, this.link);
    this.tc = new TcApi(engine, this.link);
  }

  /**
   * Applies many address/route/neigh/fdb/rule changes as one pipelined burst and reports each
   * op's outcome in order (a failed op does not stop the others; invalid ones are not sent).
   * Equivalent to: ip -batch FILE / bridge -batch FILE (with -force)
   */
  batch<Op extends BatchOp>(ops: readonly Op[], opts?: BatchOptions): Promise<BatchResult<Op>[]> {
    return runBatch(this.engine, this.link.resolver, ops, (op, i) => prepareBatchOp(PREPARERS, op, i), opts);
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.engine.isClosed;
  }

  /** Closes the socket; outstanding requests reject. Safe to call twice. */
  close(): void {
    this.engine.close();
  }

  /** `await using rt = await nl.open()` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** `using rt = …` (synchronous disposal) closes it too. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens an rtnetlink handle in the current namespace, or in another one with
 * `{ netns: 'name' | '/path' | fd | handle }` or `{ netnsPid }`. The socket is opened on a
 * short-lived thread that joined that namespace; Node's own threads never move.
 */
export async function open(opts: OpenOptions = {}): Promise<Rtnl> {
  checkKeys(opts, SOCKET_OPTION_KEYS);
  const { engine, portId } = await openRtnlSocket(opts);
  return new Rtnl(engine, portId);
}
