/**
 * nl.conntrack against the kernel, with `conntrack` (conntrack-tools) as the oracle both ways:
 * entries made by real traffic between two namespaces (ping, ping -6, TCP to a listener) list
 * with the right tuples and agree field by field with `conntrack -L -o extended,id`; entries
 * `conntrack -I` made decode (zone, mark, status); filters select what conntrack's selects;
 * delete by filter removes exactly those; flush by family; events for new and destroy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as conntrack from '../../lib/nfnetlink/conntrack/index';
import type { ConntrackEntry, ConntrackEvent } from '../../lib/nfnetlink/conntrack/index';
import { NetlinkError, ValidationError } from '../../lib/errors';
import { NetnsPool, ip, isRoot } from '../helpers/netns';
import { connect, conntrackTool, listen, nftScript, ping, sysctl, type Listener } from './traffic-helpers';

const pool = new NetnsPool();
let client: string;
let server: string;
let ct: conntrack.Conntrack;
let listener: Listener | undefined;
const C4 = '10.77.0.1';
const S4 = '10.77.0.2';
const C6 = 'fd77::1';
const S6 = 'fd77::2';
const PORT = 8080;

/** One line of `conntrack -L -o extended,id`, as our object's fields. */
interface ToolEntry {
  family: string;
  protocol: string;
  state?: string;
  orig: Record<string, string | number>;
  reply: Record<string, string | number>;
  assured: boolean;
  unreplied: boolean;
  mark: number;
  zone: number;
  use: number;
  id: number;
  counters?: { orig: { packets: number; bytes: number }; reply: { packets: number; bytes: number } };
}

const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id']);

function parseToolLine(line: string): ToolEntry {
  const tok = line.trim().split(/\s+/);
  const e: ToolEntry = { family: tok[0]!, protocol: tok[2]!, orig: {}, reply: {}, assured: false, unreplied: false, mark: 0, zone: 0, use: 0, id: 0 };
  let i = 5;
  if (!tok[i]!.includes('=') && !tok[i]!.startsWith('[')) e.state = tok[i++];
  let dir: 'orig' | 'reply' = 'orig';
  const counters = { orig: { packets: 0, bytes: 0 }, reply: { packets: 0, bytes: 0 } };
  let sawCounters = false;
  let tuplesDone = false;
  for (; i < tok.length; i++) {
    const t = tok[i]!;
    if (t === '[ASSURED]') e.assured = true;
    else if (t === '[UNREPLIED]') e.unreplied = true;
    else if (t.includes('=')) {
      const [k, v] = t.split('=') as [string, string];
      if (k === 'src' && e.orig.src !== undefined) dir = 'reply';
      // The tuples come first; an 'id=' after them (after mark=, use=) is the entry's id (-o id).
      if (k === 'mark' || k === 'use' || k === 'zone') tuplesDone = true;
      if (TUPLE_KEYS.has(k) && !tuplesDone) e[dir][k] = k === 'src' || k === 'dst' ? v : Number(v);
      else if (k === 'id') e.id = Number(v);
      else if (k === 'packets' || k === 'bytes') {
        sawCounters = true;
        counters[dir][k] = Number(v);
      } else if (k === 'mark') e.mark = Number(v);
      else if (k === 'zone') e.zone = Number(v);
      else if (k === 'use') e.use = Number(v);
    }
  }
  if (sawCounters) e.counters = counters;
  return e;
}

function toolList(...args: string[]): ToolEntry[] {
  return conntrackTool(server, '-L', '-o', 'extended,id', ...args).split('\n').filter((l) => l.trim()).map(parseToolLine);
}

/** Our entry in the tool's terms. */
function asTool(e: ConntrackEntry): ToolEntry {
  const out: ToolEntry = {
    family: e.family,
    protocol: e.protocol,
    orig: { ...e.orig },
    reply: { ...e.reply },
    assured: e.status.includes('ASSURED'),
    unreplied: !e.status.includes('SEEN_REPLY'),
    mark: e.mark,
    zone: e.zone,
    use: e.use!,
    id: e.id!,
  };
  if (e.state) out.state = e.state;
  if (e.counters) out.counters = e.counters;
  return out;
}

async function sameAsTool(filter?: conntrack.ConntrackFilter, ...toolArgs: string[]): Promise<ConntrackEntry[]> {
  const ours = await ct.list(filter);
  const theirs = toolList(...toolArgs);
  const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
  expect(ours.map(asTool).sort(byId)).toEqual(theirs.sort(byId));
  return ours;
}

/** A fresh TCP connection from the client (fixed source port), through to the listener's reply. */
async function tcpFrom(localPort: number): Promise<void> {
  const r = await connect(client, S4, PORT, { localPort });
  expect(r).toMatchObject({ peer: C4, peerPort: localPort });
}

describe.skipIf(!isRoot)('conntrack (ctnetlink) against conntrack-tools', () => {
  beforeAll(async () => {
    client = pool.add('ctc');
    server = pool.add('cts');
    ip('-n', client, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', server);
    for (const [ns, a4, a6] of [[client, C4, C6], [server, S4, S6]] as const) {
      // Up first: an IPv6 address added to a down link joins its solicited-node group late.
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'addr', 'add', `${a4}/24`, 'dev', 'eth0');
      ip('-n', ns, 'addr', 'add', `${a6}/64`, 'dev', 'eth0', 'nodad');
    }
    // Conntrack runs in a namespace only once something needs it: a ct expression does.
    nftScript(server, 'table inet t {\n chain in { type filter hook input priority 0; ct state new counter; }\n}\n');
    sysctl(server, 'net.netfilter.nf_conntrack_acct', 1);
    listener = await listen(server, PORT);
    ct = await conntrack.open({ netns: server });
  });

  afterAll(() => {
    ct?.close();
    listener?.close();
    pool.cleanup();
  });

  it('lists the entries ping, ping -6 and a TCP connection made, as conntrack -L shows them', async () => {
    expect(await ping(client, S4)).toBe(true);
    expect(await ping(client, S6)).toBe(true);
    await tcpFrom(40001);
    const all = await sameAsTool();
    const tcp = all.find((e) => e.protocol === 'tcp' && e.orig.sport === 40001)!;
    expect(tcp).toMatchObject({
      family: 'ipv4', protocolNumber: 6,
      orig: { src: C4, dst: S4, sport: 40001, dport: PORT },
      reply: { src: S4, dst: C4, sport: PORT, dport: 40001 },
      mark: 0, zone: 0,
    });
    expect(tcp.status).toEqual(expect.arrayContaining(['SEEN_REPLY', 'CONFIRMED']));
    expect(['TIME_WAIT', 'CLOSE', 'FIN_WAIT', 'LAST_ACK', 'CLOSE_WAIT', 'ESTABLISHED']).toContain(tcp.state);
    expect(tcp.counters!.orig.packets).toBeGreaterThan(0);
    const icmp = all.find((e) => e.family === 'ipv4' && e.protocol === 'icmp')!;
    expect(icmp.orig).toMatchObject({ src: C4, dst: S4, type: 8, code: 0 });
    expect(icmp.reply).toMatchObject({ src: S4, dst: C4, type: 0, code: 0, id: icmp.orig.id });
    const icmp6 = all.find((e) => e.family === 'ipv6' && e.protocol === 'icmpv6' && e.orig.type === 128)!;
    expect(icmp6.orig).toMatchObject({ src: C6, dst: S6, code: 0 });
    expect(icmp6.reply).toMatchObject({ src: S6, dst: C6, type: 129 });
  });

  it('filters as conntrack does: family, protocol, addresses, ports, prefixes, reply tuple', async () => {
    await tcpFrom(40002);
    const tcp = await sameAsTool({ protocol: 'tcp', dport: PORT, family: 'ipv4' }, '-f', 'ipv4', '-p', 'tcp', '--dport', String(PORT));
    expect(tcp.length).toBeGreaterThanOrEqual(2);
    expect(tcp.every((e) => e.protocol === 'tcp')).toBe(true);
    const one = await sameAsTool({ protocol: 'tcp', sport: 40002, src: C4 }, '-p', 'tcp', '--sport', '40002', '-s', C4);
    expect(one).toHaveLength(1);
    await sameAsTool({ family: 'ipv6' }, '-f', 'ipv6');
    await sameAsTool({ protocol: 'icmp' }, '-p', 'icmp');
    await sameAsTool({ reply: { src: S4, sport: PORT }, protocol: 'tcp' }, '-p', 'tcp', '-r', S4, '--reply-port-src', String(PORT));
    // Prefixes are compared after decoding (the kernel's filter takes exact addresses only).
    await sameAsTool({ src: '10.77.0.0/24' }, '-s', '10.77.0.0/24');
    expect(await ct.list({ src: '10.78.0.0/16' })).toEqual([]);
    // No family given: the kernel cannot filter tuples (CTA_FILTER wants one), we still do.
    expect((await ct.list({ protocol: 'tcp', sport: 40002 })).map((e) => e.orig.sport)).toEqual([40002]);
  });

  it('filters by mark (kernel-side, with mask) and by zone, on entries conntrack -I made', async () => {
    conntrackTool(server, '-I', '-p', 'udp', '-s', '192.0.2.1', '-d', '192.0.2.2', '--sport', '1000', '--dport', '2000',
      '-t', '300', '-u', 'SEEN_REPLY,ASSURED', '-m', '0x2a', '-w', '7');
    conntrackTool(server, '-I', '-p', 'udp', '-s', '192.0.2.1', '-d', '192.0.2.2', '--sport', '1001', '--dport', '2000',
      '-t', '300', '-m', '0x12a');
    const marked = await sameAsTool({ mark: 0x2a }, '-m', '0x2a');
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatchObject({
      protocol: 'udp', zone: 7, mark: 0x2a,
      orig: { src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 2000 },
      reply: { src: '192.0.2.2', dst: '192.0.2.1', sport: 2000, dport: 1000 },
    });
    expect(marked[0]!.status).toEqual(expect.arrayContaining(['SEEN_REPLY', 'ASSURED']));
    expect(marked[0]!.timeout).toBeGreaterThan(200);
    const masked = await sameAsTool({ mark: { value: 0x2a, mask: 0xff } }, '-m', '0x2a/0xff');
    expect(masked.map((e) => e.mark).sort((a, b) => a - b)).toEqual([0x2a, 0x12a]);
    expect((await ct.list({ zone: 7 })).map((e) => e.orig.sport)).toEqual([1000]);
    expect((await ct.list({ status: ['ASSURED'], protocol: 'udp' })).map((e) => e.orig.sport)).toEqual([1000]);
  });

  it('gets one entry by its tuple (either direction), ENOENT when absent', async () => {
    const [e] = await ct.list({ protocol: 'tcp', sport: 40001 });
    const got = await ct.get({ protocol: 'tcp', src: C4, dst: S4, sport: 40001, dport: PORT });
    expect(got.id).toBe(e!.id);
    const byReply = await ct.get({ protocol: 'tcp', src: S4, dst: C4, sport: PORT, dport: 40001, direction: 'reply' });
    expect(byReply.id).toBe(e!.id);
    const z = await ct.get({ protocol: 'udp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 2000, zone: 7 });
    expect(z.zone).toBe(7);
    const err = await ct.get({ protocol: 'tcp', src: C4, dst: S4, sport: 1, dport: 2 }).catch((x) => x);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('ENOENT');
  });

  it('delivers new and destroy events; delete by filter removes exactly the matching entries', async () => {
    const stream = ct.events({ types: ['new', 'destroy'], filter: { protocol: 'tcp', sport: 40003 } });
    await stream.ready;
    const seen: ConntrackEvent[] = [];
    const done = (async () => {
      for await (const ev of stream) {
        seen.push(ev);
        if (ev.type === 'destroy') break;
      }
    })();
    await tcpFrom(40003);
    const before = await ct.list();
    const matching = before.filter((e) => e.protocol === 'tcp' && e.orig.sport === 40003);
    expect(matching).toHaveLength(1);
    expect(await ct.delete({ protocol: 'tcp', sport: 40003 })).toBe(1);
    await done;
    expect(stream.isClosed).toBe(true);
    expect(seen.map((e) => e.type)).toEqual(['new', 'destroy']);
    for (const ev of seen) {
      if (ev.type === 'resync') continue;
      expect(ev.entry.orig).toMatchObject({ src: C4, dst: S4, sport: 40003, dport: PORT });
    }
    // Everything else stays: the TCP and UDP entries (minutes of timeout left; ICMP may expire meanwhile).
    const lasting = (l: ConntrackEntry[]) => l.filter((e) => e.protocol === 'tcp' || e.protocol === 'udp').map((e) => e.id).sort();
    const after = await ct.list();
    expect(lasting(after)).toEqual(lasting(before.filter((e) => !matching.includes(e))));
    expect(toolList('-p', 'tcp', '--sport', '40003')).toEqual([]);

    // Every ICMP entry, and nothing else (a fresh ping: ICMP entries expire after 30 s).
    expect(await ping(client, S4)).toBe(true);
    const withIcmp = await ct.list();
    const icmpCount = withIcmp.filter((e) => e.protocol === 'icmp').length;
    expect(icmpCount).toBeGreaterThan(0);
    expect(await ct.delete({ protocol: 'icmp' })).toBe(icmpCount);
    expect(toolList('-p', 'icmp')).toEqual([]);
    expect(lasting(await ct.list())).toEqual(lasting(withIcmp));
  });

  it('flushes one family, then everything', async () => {
    expect(await ping(client, S6)).toBe(true);
    expect(toolList('-f', 'ipv6').length).toBeGreaterThan(0);
    const v4 = toolList('-f', 'ipv4').length;
    await ct.flush({ family: 'ipv6' });
    expect(toolList('-f', 'ipv6')).toEqual([]);
    expect(toolList('-f', 'ipv4').length).toBe(v4);
    await ct.flush();
    expect(toolList()).toEqual([]);
    expect(await ct.list()).toEqual([]);
  });

  it('refuses bad input with a ValidationError naming the field, before sending', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => ct.list({ protocl: 'tcp' } as any), 'protocl'],
      [() => ct.list({ src: '10.0.0.300' }), 'src'],
      [() => ct.list({ reply: { dport: 70000 } }), 'reply.dport'],
      [() => ct.list({ family: 'ipv4', src: 'fd77::1' }), 'src'],
      [() => ct.list({ mark: { value: 0x100, mask: 0xff } }), 'mark.value'],
      [() => ct.list({ status: ['ASSURED', 'SHINY'] }), 'status[1]'],
      [() => ct.get({ protocol: 'tcp', src: C4, dst: S4, sport: 1 }), 'dport'],
      [() => ct.get({ protocol: 'icmp', src: C4, dst: S4, type: 8 }), 'code'],
      [() => ct.flush({ familly: 'ipv4' } as any), 'familly'],
      [async () => ct.events({ types: ['new', 'gone' as any] }), 'types[1]'],
    ];
    for (const [fn, field] of cases) {
      const err: any = await fn().catch((e) => e);
      expect(err, field).toBeInstanceOf(ValidationError);
      expect(err.field).toBe(field);
    }
  });
});
