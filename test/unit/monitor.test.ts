/**
 * The monitor without a kernel: notifications built byte by byte are fed to fake sockets.
 * Checks the sorting of messages into typed events (with the list calls' own decoders),
 * ENOBUFS → a fresh socket and 'resync', resync: 'auto' (baseline, differences, replay of
 * what arrived while listing), flow control of `for await`, and close/error handling.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../lib/core/engine';
import { decodeLink } from '../../lib/rtnetlink/link/link-decode';
import { decodeBridgeVlanPort } from '../../lib/rtnetlink/bridge/vlan';
import { decodeRoute, type Route } from '../../lib/rtnetlink/route/route-decode';
import { IFLA } from '../../lib/rtnetlink/link/link-schema';
import { RTA } from '../../lib/rtnetlink/route/route-schema';
import { IFA } from '../../lib/rtnetlink/address/address-schema';
import { NDA } from '../../lib/rtnetlink/neigh/neigh-schema';
import { Monitor, monitor, type MonitorDeps, type MonitorSocket } from '../../lib/rtnetlink/monitor/monitor';
import { channelOf, channelsOf, multicastGroups } from '../../lib/rtnetlink/monitor/groups';
import type { MonitorEvent } from '../../lib/rtnetlink/monitor/events';
import type { ListSource } from '../../lib/rtnetlink/monitor/event-kinds';
import { ValidationError, type SystemError } from '../../lib/errors';
import { MessageWriter } from '../../lib/wire/message-writer';
import { AF_BRIDGE, AF_INET, AF_INET6, AF_UNSPEC, NETLINK_LISTEN_ALL_NSID, NLM_F_REPLACE, SOL_NETLINK } from '../../lib/wire/constants';
import { RTNLGRP, RTM_DELLINK, RTM_DELROUTE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWNEIGH, RTM_NEWNSID, RTM_NEWROUTE } from '../../lib/rtnetlink/constants';
import {
  IFADDRMSG_SIZE, IFINFOMSG_SIZE, NDMSG_SIZE, RTGENMSG_SIZE, RTMSG_SIZE,
  writeIfAddrMsg, writeIfInfoMsg, writeNdMsg, writeRtGenMsg, writeRtMsg,
} from '../../lib/rtnetlink/structs';

// ── notifications, as the kernel sends them (seq 0) ────────────────────────────────────────
/** A notification: MessageWriter marks requests, the kernel's carry no NLM_F_REQUEST. */
function notification(w: MessageWriter, flags = 0): Buffer {
  const b = Buffer.from(w.finish().bytes);
  b.writeUInt16LE(flags, 6);
  return b;
}

function linkMsg(type: number, index: number, name: string, opts: { family?: number; mtu?: number; packets?: number } = {}): Buffer {
  const w = new MessageWriter(type, 0);
  w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: opts.family ?? AF_UNSPEC, index, type: 1 }));
  w.string(IFLA.IFNAME, name);
  w.u32(IFLA.MTU, opts.mtu ?? 1500);
  if (opts.packets !== undefined) {
    const stats = Buffer.alloc(8 * 4);
    stats.writeBigUInt64LE(BigInt(opts.packets), 0);
    w.bytes(IFLA.STATS64, stats);
  }
  return notification(w);
}

function addrMsg(type: number, index: number, ip: number[], prefixLen: number): Buffer {
  const w = new MessageWriter(type, 0);
  w.struct(IFADDRMSG_SIZE, (b, at) => writeIfAddrMsg(b, at, { family: AF_INET, index, prefixLen }));
  w.bytes(IFA.LOCAL, Buffer.from(ip));
  w.bytes(IFA.ADDRESS, Buffer.from(ip));
  return notification(w);
}

/** A /16 (IPv4) or /32 (IPv6) route to the prefix that starts with `dst`. */
function routeMsg(type: number, dst: number[], opts: { oif?: number; gateway?: number[]; family?: number; flags?: number } = {}): Buffer {
  const family = opts.family ?? AF_INET;
  const bytes = Buffer.alloc(family === AF_INET ? 4 : 16);
  Buffer.from(dst).copy(bytes);
  const w = new MessageWriter(type, 0);
  w.struct(RTMSG_SIZE, (b, at) => writeRtMsg(b, at, { family, dstLen: family === AF_INET ? 16 : 32, table: 254, protocol: 4, type: 1 }));
  w.u32(RTA.TABLE, 254);
  w.bytes(RTA.DST, bytes);
  if (opts.oif !== undefined) w.u32(RTA.OIF, opts.oif);
  if (opts.gateway) w.bytes(RTA.GATEWAY, Buffer.from(opts.gateway));
  return notification(w, opts.flags ?? 0);
}

function neighMsg(family: number, index: number, lladdr: number[], dst?: number[]): Buffer {
  const w = new MessageWriter(RTM_NEWNEIGH, 0);
  w.struct(NDMSG_SIZE, (b, at) => writeNdMsg(b, at, { family, index, state: 0x80 }));
  if (dst) w.bytes(NDA.DST, Buffer.from(dst));
  w.bytes(NDA.LLADDR, Buffer.from(lladdr));
  return notification(w);
}

/** An AF_BRIDGE RTM_NEWLINK for a port, with its VLANs ([flags, vid]) in IFLA_AF_SPEC. */
function bridgePortMsg(type: number, index: number, name: string, vlans: [number, number][]): Buffer {
  const w = new MessageWriter(type, 0);
  w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_BRIDGE, index, type: 1 }));
  w.string(IFLA.IFNAME, name);
  w.u32(IFLA.MASTER, 1);
  if (vlans.length) {
    w.nestStart(IFLA.AF_SPEC, undefined, true);
    for (const [flags, vid] of vlans) {
      const info = Buffer.alloc(4);
      info.writeUInt16LE(flags, 0);
      info.writeUInt16LE(vid, 2);
      w.bytes(2 /* IFLA_BRIDGE_VLAN_INFO */, info);
    }
    w.nestEnd();
  }
  return notification(w);
}

function nsidMsg(id: number): Buffer {
  const w = new MessageWriter(RTM_NEWNSID, 0);
  w.struct(RTGENMSG_SIZE, (b, at) => writeRtGenMsg(b, at, AF_UNSPEC));
  w.s32(1 /* NETNSA_NSID */, id);
  return notification(w);
}

const decodedRoute = (msg: Buffer): Route => decodeRoute(msg, 0, msg.length);

// ── fakes ──────────────────────────────────────────────────────────────────────────────────
class FakeSocket implements MonitorSocket {
  groups: number[] = [];
  options: [number, number, number][] = [];
  refs = 0;
  reading = true;
  closed = false;
  engine: Engine;
  constructor(readonly onError: (err: SystemError) => void) {
    this.engine = new Engine({ send: (b) => b.length, ref: () => {}, unref: () => {}, close: () => (this.closed = true) });
  }
  addMembership(g: number): void {
    this.groups.push(g);
  }
  setIntOption(level: number, name: number, value: number): void {
    this.options.push([level, name, value]);
  }
  ref(): void {
    this.refs++;
  }
  unref(): void {
    this.refs--;
  }
  pause(): void {
    this.reading = false;
  }
  resume(): void {
    this.reading = true;
    for (const batch of this.waiting.splice(0)) this.deliverFrom(...batch);
  }
  /** Batches the kernel holds while the socket is not read. */
  private waiting: [number[] | undefined, ...Buffer[]][] = [];
  /** The kernel delivers one batch of datagrams (once the socket is read). */
  deliver(...msgs: Buffer[]): void {
    this.deliverFrom(undefined, ...msgs);
  }
  deliverFrom(nsids: number[] | undefined, ...msgs: Buffer[]): void {
    if (!this.reading) {
      this.waiting.push([nsids, ...msgs]);
      return;
    }
    let end = 0;
    const ends = Int32Array.from(msgs.map((m) => (end += m.length)));
    this.engine.receive(Buffer.concat(msgs), ends, nsids ? Int32Array.from(nsids) : undefined);
  }
  overrun(): void {
    this.onError(Object.assign(new Error('recvmsg ENOBUFS'), { errno: 105, code: 'ENOBUFS', syscall: 'recvmsg' }));
  }
}

type Lists = { links: unknown[]; routes: Route[] };

/** Deps whose sockets and listings the test controls; a listing can be held open. */
function fakeDeps(lists: Lists = { links: [], routes: [] }) {
  const sockets: FakeSocket[] = [];
  let gate: Promise<void> | undefined;
  const lister: ListSource & { close(): void } = {
    link: { list: async () => (await gate, lists.links) },
    route: { list: async () => (await gate, lists.routes) },
    close: () => {},
  } as unknown as ListSource & { close(): void };
  const deps: MonitorDeps = {
    openSocket: async (onError) => {
      const s = new FakeSocket(onError);
      sockets.push(s);
      return { sock: s, engine: s.engine };
    },
    openLister: async () => lister,
  };
  return {
    deps,
    sockets,
    lists,
    /** Holds listings until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

async function open(opts: ConstructorParameters<typeof Monitor>[0], deps: MonitorDeps): Promise<Monitor> {
  const mon = new Monitor(opts, deps);
  await mon.start();
  return mon;
}

function record(mon: Monitor): MonitorEvent[] {
  const out: MonitorEvent[] = [];
  mon.on('event', (ev) => out.push(ev));
  return out;
}

const settle = () => new Promise<void>((r) => setImmediate(r));

// ── tests ──────────────────────────────────────────────────────────────────────────────────
describe('monitor groups', () => {
  it('expands groups to channels and multicast groups', () => {
    const ch = channelsOf(['route', 'address4', 'fdb']);
    expect([...ch].sort()).toEqual(['address4', 'fdb', 'route4', 'route6']);
    expect(multicastGroups(ch)).toEqual([RTNLGRP.neigh, RTNLGRP.ipv4Ifaddr, RTNLGRP.ipv4Route, RTNLGRP.ipv6Route].sort((a, b) => a - b));
  });

  it('rejects unknown and empty groups, naming the field', () => {
    expect(() => channelsOf(['route', 'links' as any])).toThrow(ValidationError);
    expect(() => channelsOf(['route', 'links' as any])).toThrow(expect.objectContaining({ field: 'groups[1]' }));
    expect(() => channelsOf([])).toThrow(expect.objectContaining({ field: 'groups' }));
    expect(() => channelsOf(['__proto__' as any])).toThrow(expect.objectContaining({ field: 'groups[0]' }));
  });

  it('sorts messages by type and family: bridge-port link notices and FDB apart', () => {
    expect(channelOf(RTM_NEWLINK, AF_UNSPEC)).toBe('link');
    expect(channelOf(RTM_DELLINK, AF_BRIDGE)).toBe('vlan'); // "left the bridge", not deleted
    expect(channelOf(RTM_NEWNEIGH, AF_INET)).toBe('neigh4');
    expect(channelOf(RTM_NEWNEIGH, AF_INET6)).toBe('neigh6');
    expect(channelOf(RTM_NEWNEIGH, AF_BRIDGE)).toBe('fdb');
    expect(channelOf(RTM_DELROUTE, AF_INET6)).toBe('route6');
    expect(channelOf(RTM_NEWNSID, AF_UNSPEC)).toBe('nsid');
    expect(channelOf(3 /* NLMSG_DONE */, 0)).toBeUndefined();
  });

  it('validates options before opening anything', async () => {
    await expect(monitor({ resync: 'auto', allNetns: true })).rejects.toMatchObject({ field: 'resync' });
    await expect(monitor({ resync: 'sometimes' as any })).rejects.toMatchObject({ field: 'resync' });
    await expect(monitor({ highWaterMark: 0 })).rejects.toMatchObject({ field: 'highWaterMark' });
    await expect(monitor({ netns: 'x', netnsPid: 1 })).rejects.toMatchObject({ field: 'netnsPid' });
  });
});

describe('monitor events', () => {
  it('joins each group by membership and decodes with the list decoders', async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['link', 'route4', 'neigh', 'nsid'] }, f.deps);
    const [sock] = f.sockets;
    expect(sock!.groups).toEqual([RTNLGRP.link, RTNLGRP.neigh, RTNLGRP.ipv4Route, RTNLGRP.nsid]);
    expect(sock!.refs).toBe(1);
    const events = record(mon);
    const link = linkMsg(RTM_NEWLINK, 7, 'v0', { mtu: 1400 });
    const route = routeMsg(RTM_NEWROUTE, [10, 9], { oif: 7 });
    sock!.deliver(
      link,
      linkMsg(RTM_NEWLINK, 7, 'v0', { family: AF_BRIDGE }), // a bridge-port notice: not a link event
      addrMsg(RTM_NEWADDR, 7, [10, 0, 0, 1], 24), // address group not asked for
      route,
      routeMsg(RTM_NEWROUTE, [0x20, 0x01, 0x0d, 0xb8], { family: AF_INET6 }), // route6 not asked for
      neighMsg(AF_INET, 7, [2, 0, 0, 0, 0, 3], [10, 0, 0, 3]),
      neighMsg(AF_BRIDGE, 7, [2, 0, 0, 0, 0, 9]), // FDB: 'fdb' not asked for
      nsidMsg(7),
      linkMsg(RTM_DELLINK, 7, 'v0'),
    );
    expect(events.map((e) => `${e.type} ${'action' in e ? e.action : ''}`)).toEqual(['link new', 'route new', 'neigh new', 'nsid new', 'link del']);
    expect(events[0]).toEqual({ type: 'link', action: 'new', link: decodeLink(link, 0, link.length) });
    expect(events[1]).toEqual({ type: 'route', action: 'new', route: decodedRoute(route) });
    expect(events[2]).toMatchObject({ neigh: { address: '10.0.0.3', lladdr: '02:00:00:00:00:03', state: ['permanent'] } });
    expect(events[3]).toEqual({ type: 'nsid', action: 'new', id: 7 });
    mon.close();
    expect(sock!.closed).toBe(true);
  });

  it("bridge-port notices are 'vlan' events, decoded by bridge.vlan's decoder", async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['vlan'] }, f.deps);
    expect(f.sockets[0]!.groups).toEqual([RTNLGRP.link]);
    const events = record(mon);
    const withVlans = bridgePortMsg(RTM_NEWLINK, 4, 'p0', [[0x2 | 0x4, 1], [0x8, 10], [0x10, 12]]);
    f.sockets[0]!.deliver(
      linkMsg(RTM_NEWLINK, 4, 'p0'), // the AF_UNSPEC link message: 'link' not asked for
      withVlans,
      bridgePortMsg(RTM_NEWLINK, 4, 'p0', []),
      bridgePortMsg(RTM_DELLINK, 4, 'p0', [[0x2, 1]]),
    );
    expect(events[0]).toEqual({ type: 'vlan', action: 'new', vlan: decodeBridgeVlanPort(withVlans, 0, withVlans.length) });
    expect(events[0]).toMatchObject({ vlan: { link: 4, name: 'p0', master: 1, vlans: [{ vid: 1, pvid: true, untagged: true }, { vid: 10, vidEnd: 12 }] } });
    expect(events[1]).toEqual({ type: 'vlan', action: 'del', vlan: { link: 4, name: 'p0', master: 1, vlans: [] } });
    expect(events[2]).toMatchObject({ type: 'vlan', action: 'del', vlan: { link: 4 } });
    expect(events).toHaveLength(3);
    mon.close();
  });

  it('tags events with the source nsid under allNetns', async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['link'], allNetns: true }, f.deps);
    const [sock] = f.sockets;
    expect(sock!.options).toContainEqual([SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, 1]);
    const events = record(mon);
    sock!.deliverFrom([5, -1], linkMsg(RTM_NEWLINK, 2, 'b0'), linkMsg(RTM_NEWLINK, 3, 'a0'));
    expect(events.map((e) => (e as any).nsid)).toEqual([5, -1]);
    mon.close();
  });

  it('reads nothing until a consumer attaches', async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['link'] }, f.deps);
    const [sock] = f.sockets;
    expect(sock!.reading).toBe(false);
    mon.on('close', () => {});
    expect(sock!.reading).toBe(false);
    mon.on('link', () => {});
    expect(sock!.reading).toBe(true);
    mon.close();
  });

  it("ENOBUFS: a fresh socket joins, then 'resync' — nothing from the overrun socket after it", async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['link', 'route'] }, f.deps);
    const events = record(mon);
    const [first] = f.sockets;
    first!.deliver(linkMsg(RTM_NEWLINK, 2, 'before'));
    first!.overrun();
    expect(first!.closed).toBe(true);
    await settle();
    const second = f.sockets[1]!;
    expect(second.groups).toEqual(first!.groups);
    expect(second.refs).toBe(1);
    second.deliver(linkMsg(RTM_NEWLINK, 3, 'after'));
    expect(events.map((e) => (e.type === 'link' ? e.link.name : e.type))).toEqual(['before', 'resync', 'after']);
    expect(events[1]).toEqual({ type: 'resync', auto: false });
    mon.close();
  });

  it('a socket error other than ENOBUFS closes the monitor with an error', async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['link'] }, f.deps);
    const errors: Error[] = [];
    mon.on('error', (e) => errors.push(e));
    const iter = mon[Symbol.asyncIterator]();
    const next = iter.next();
    f.sockets[0]!.onError(Object.assign(new Error('uv_poll EIO'), { errno: 5, code: 'EIO', syscall: 'uv_poll' }));
    expect(mon.isClosed).toBe(true);
    expect(errors.map((e) => (e as SystemError).code)).toEqual(['EIO']);
    await expect(next).rejects.toMatchObject({ code: 'EIO' });
  });
});

describe('monitor async iteration', () => {
  it('queues per loop, pauses the socket at the high-water mark and resumes at half', async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['link'], highWaterMark: 4 }, f.deps);
    const sock = f.sockets[0]!;
    const iter = mon[Symbol.asyncIterator]();
    expect(sock.reading).toBe(true);
    sock.deliver(...[1, 2, 3, 4, 5].map((i) => linkMsg(RTM_NEWLINK, i, `l${i}`)));
    expect(sock.reading).toBe(false);
    const names: string[] = [];
    const take = async () => {
      const r = await iter.next();
      names.push((r.value as any).link.name);
    };
    await take();
    await take();
    expect(sock.reading).toBe(false); // 3 left: above half of 4
    await take();
    expect(sock.reading).toBe(true); // 2 left
    await take();
    await take();
    expect(names).toEqual(['l1', 'l2', 'l3', 'l4', 'l5']);
    mon.close();
  });

  it('close() ends a loop after what was queued; leaving a loop closes the monitor', async () => {
    const f = fakeDeps();
    const mon = await open({ groups: ['link'] }, f.deps);
    const sock = f.sockets[0]!;
    const iter = mon[Symbol.asyncIterator]();
    sock.deliver(linkMsg(RTM_NEWLINK, 1, 'a'), linkMsg(RTM_NEWLINK, 2, 'b'));
    mon.close();
    expect((await iter.next()).value).toMatchObject({ link: { name: 'a' } });
    expect((await iter.next()).value).toMatchObject({ link: { name: 'b' } });
    expect(await iter.next()).toEqual({ value: undefined, done: true });

    const mon2 = await open({ groups: ['link'] }, f.deps);
    f.sockets[1]!.deliver(linkMsg(RTM_NEWLINK, 1, 'a'));
    let seen = 0;
    for await (const ev of mon2) {
      seen++;
      if (ev.type === 'link') break;
    }
    expect(seen).toBe(1);
    expect(mon2.isClosed).toBe(true);
    expect(f.sockets[1]!.closed).toBe(true);
  });
});

describe("resync: 'auto'", () => {
  const r = (dst: number[], oif: number, gateway?: number[]) => decodedRoute(routeMsg(RTM_NEWROUTE, dst, { oif, ...(gateway ? { gateway } : {}) }));

  it('takes a baseline, follows events, and after ENOBUFS emits only the differences', async () => {
    const kept = r([10, 1], 2);
    const gone = r([10, 2], 2);
    const f = fakeDeps({ links: [], routes: [kept, gone] });
    const mon = await open({ groups: ['route4'], resync: 'auto' }, f.deps);
    expect(mon.view!.routes).toEqual([kept, gone]);
    // Triggers are read too (silent IPv4 flushes), but not reported: links weren't asked for.
    expect(f.sockets[0]!.groups).toEqual([RTNLGRP.link, RTNLGRP.ipv4Ifaddr, RTNLGRP.ipv4Route]);
    const events = record(mon);
    const added = routeMsg(RTM_NEWROUTE, [10, 3], { oif: 2 });
    f.sockets[0]!.deliver(added);
    expect(mon.view!.routes).toContainEqual(decodedRoute(added));

    // Lost: 10.2/16 went away, 10.4/16 came, and 10.5/16 arrives while the re-list runs.
    const fresh = r([10, 4], 2);
    const during = routeMsg(RTM_NEWROUTE, [10, 5], { oif: 2 });
    const release = f.hold();
    f.sockets[0]!.overrun();
    await settle();
    f.sockets[1]!.deliver(during);
    f.lists.routes = [kept, decodedRoute(added), fresh, decodedRoute(during)];
    release();
    const resync = await new Promise<MonitorEvent>((res) => mon.on('resync', res));
    expect(resync).toEqual({ type: 'resync', auto: true });
    const after = events.slice(1).map((e) => (e.type === 'route' ? `${e.action} ${e.route.dst}${e.synthesized ? ' *' : ''}` : e.type));
    // The notification held during the listing first, then the differences, then 'resync'.
    expect(after).toEqual(['new 10.5.0.0/16', 'del 10.2.0.0/16 *', 'new 10.4.0.0/16 *', 'resync']);
    const dsts = (routes: Route[]) => routes.map((x) => x.dst).sort();
    expect(dsts(mon.view!.routes)).toEqual(['10.1.0.0/16', '10.3.0.0/16', '10.4.0.0/16', '10.5.0.0/16']);
    mon.close();
  });

  it('a link change re-lists routes; the listing only speaks for objects nothing else touched', async () => {
    const a = r([10, 1], 2);
    const f = fakeDeps({ links: [], routes: [a] });
    const mon = await open({ groups: ['route4'], resync: 'auto' }, f.deps);
    const events = record(mon);
    const sock = f.sockets[0]!;
    const release = f.hold();
    // The link goes: the kernel drops 10.1/16 without a word. A route on another link is
    // added and replaced meanwhile; the (older) listing still shows its first version.
    const v1 = routeMsg(RTM_NEWROUTE, [10, 7], { oif: 3, gateway: [10, 0, 0, 1] });
    const v2 = routeMsg(RTM_NEWROUTE, [10, 7], { oif: 3, gateway: [10, 0, 0, 2], flags: NLM_F_REPLACE });
    sock.deliver(linkMsg(RTM_DELLINK, 2, 'gone'), v1, v2);
    f.lists.routes = [decodedRoute(v1)];
    release();
    await new Promise<void>((res) => {
      const check = () => (events.some((e) => e.type === 'route' && e.synthesized) ? res() : setImmediate(check));
      check();
    });
    expect(events.map((e) => (e.type === 'route' ? `${e.action} ${e.route.dst} ${e.route.gateway ?? ''}${e.synthesized ? ' *' : ''}` : e.type)))
      .toEqual(['new 10.7.0.0/16 10.0.0.1', 'new 10.7.0.0/16 10.0.0.2', 'del 10.1.0.0/16  *']);
    expect(mon.view!.routes.map((x) => `${x.dst} ${x.gateway}`)).toEqual(['10.7.0.0/16 10.0.0.2']);
    mon.close();
  });

  it('ignores counters when comparing: an unchanged link is not reported as changed', async () => {
    const first = linkMsg(RTM_NEWLINK, 2, 'v0', { packets: 1 });
    const later = linkMsg(RTM_NEWLINK, 2, 'v0', { packets: 999 });
    const f = fakeDeps({ links: [decodeLink(first, 0, first.length)], routes: [] });
    const mon = await open({ groups: ['link'], resync: 'auto' }, f.deps);
    const events = record(mon);
    f.lists.links = [decodeLink(later, 0, later.length)];
    f.sockets[0]!.overrun();
    await new Promise<MonitorEvent>((res) => mon.on('resync', res));
    expect(events).toEqual([{ type: 'resync', auto: true }]);
    // The view holds the fresher counters.
    expect(mon.view!.links[0]).toEqual(decodeLink(later, 0, later.length));
    mon.close();
  });
});
