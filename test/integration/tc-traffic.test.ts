/**
 * Real traffic through what rt.tc sets up, on the host kernel: a tbf and an htb class each
 * hold an iperf3 TCP stream within ±15 % of their rate (an unshaped run is clearly faster);
 * a mirred redirect to an ifb makes the ifb count the traffic; rt.tc.bandwidth limits both
 * directions of a device and removes cleanly. Server and client run in two namespaces
 * joined by a veth pair (10.77.0.1 ↔ 10.77.0.2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';
import { iperf, nsExec, tcJson } from './tc-helpers';

const pool = new NetnsPool();
let srv: string;
let cli: string;
let rt: nl.Rtnl;

const within = (measured: number, rate: number) => Math.abs(measured - rate) / rate;

describe.skipIf(!isRoot)('rt.tc shapes real traffic', () => {
  let unshaped = 0;

  beforeAll(async () => {
    srv = pool.add('tcsrv');
    cli = pool.add('tccli');
    ip('-n', cli, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vs', 'netns', srv);
    ip('-n', cli, 'addr', 'add', '10.77.0.2/24', 'dev', 'vc');
    ip('-n', srv, 'addr', 'add', '10.77.0.1/24', 'dev', 'vs');
    ip('-n', cli, 'link', 'set', 'vc', 'up');
    ip('-n', srv, 'link', 'set', 'vs', 'up');
    rt = await nl.open({ netns: cli });
    unshaped = await iperf(srv, cli, '10.77.0.1', 3);
  }, 60_000);
  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('an unshaped stream is far above the rates below', () => {
    expect(unshaped).toBeGreaterThan(200e6);
  });

  it('tbf holds a TCP stream at its rate', async () => {
    await rt.tc.qdisc.replace('vc', { kind: 'tbf', tbf: { rate: '20mbit', burst: '32kb', latencyMs: 50 } });
    const measured = await iperf(srv, cli, '10.77.0.1', 4);
    expect(within(measured, 20e6)).toBeLessThan(0.15);
    await rt.tc.qdisc.del('vc', { parent: 'root' });
  }, 60_000);

  it('an htb class holds a TCP stream at its rate (u32 classifies into it)', async () => {
    await rt.tc.qdisc.add('vc', { handle: '1:', kind: 'htb', htb: { defaultClass: '1:99' } });
    await rt.tc.class.add('vc', { parent: '1:', classid: '1:99', kind: 'htb', htb: { rate: '500mbit' } });
    await rt.tc.class.add('vc', { parent: '1:', classid: '1:10', kind: 'htb', htb: { rate: '15mbit', ceil: '15mbit' } });
    await rt.tc.filter.add('vc', { parent: '1:', protocol: 'ip', priority: 1, kind: 'u32', classid: '1:10', u32: { match: [{ ip: { dst: '10.77.0.1/32', protocol: 'tcp' } }] } });
    const measured = await iperf(srv, cli, '10.77.0.1', 4);
    expect(within(measured, 15e6)).toBeLessThan(0.15);
    const cls = (await rt.tc.class.list({ dev: 'vc' })).find((c) => c.classid === '1:10')!;
    expect(cls.stats!.bytes).toBeGreaterThan(5_000_000); // the stream went through this class
    await rt.tc.qdisc.del('vc', { parent: 'root' });
  }, 60_000);

  it('a mirred redirect to an ifb makes the ifb count the traffic', async () => {
    await rt.link.add({ name: 'ifbt0', kind: 'ifb' });
    await rt.link.set('ifbt0', { up: true });
    await rt.tc.qdisc.add('vc', { kind: 'ingress' });
    await rt.tc.filter.add('vc', {
      parent: 'ingress', protocol: 'ip', priority: 1, kind: 'u32', u32: { match: [{ ip: { src: '10.77.0.1/32' } }] },
      actions: [{ kind: 'mirred', mirred: { action: 'redirect', direction: 'egress', dev: 'ifbt0' } }],
    });
    const before = ipnJson(cli, '-s', 'link', 'show', 'ifbt0')[0].stats64.tx.packets;
    nsExec(srv, 'ping', '-c', '20', '-i', '0.01', '-q', '10.77.0.2');
    const after = ipnJson(cli, '-s', 'link', 'show', 'ifbt0')[0].stats64.tx.packets;
    expect(after - before).toBeGreaterThanOrEqual(20);
    const [f] = (await rt.tc.filter.list({ dev: 'vc', parent: 'ingress' })).filter((x) => x.actions);
    expect(f!.actions![0]!.stats!.packets).toBeGreaterThanOrEqual(20);
    await rt.tc.qdisc.del('vc', { kind: 'ingress' });
    await rt.link.del('ifbt0');
  }, 60_000);

  it('rt.tc.bandwidth limits what the device sends and receives, updates in place, and removes cleanly', async () => {
    await rt.tc.bandwidth('vc', { egress: { rate: '20mbit' }, ingress: { rate: '10mbit' } });
    await rt.tc.bandwidth('vc', { egress: { rate: '20mbit' }, ingress: { rate: '10mbit' } }); // idempotent
    const sent = await iperf(srv, cli, '10.77.0.1', 4);
    const received = await iperf(srv, cli, '10.77.0.1', 4, true);
    expect(within(sent, 20e6)).toBeLessThan(0.15);
    expect(within(received, 10e6)).toBeLessThan(0.15);
    const ifbs = ipnJson(cli, 'link', 'show', 'type', 'ifb');
    expect(ifbs).toHaveLength(1);
    // A ceiling switches egress to htb.
    await rt.tc.bandwidth('vc', { egress: { rate: '10mbit', ceil: '12mbit' }, ingress: { rate: '10mbit' } });
    expect(tcJson(cli, 'qdisc', 'show', 'dev', 'vc', 'root')[0]).toMatchObject({ kind: 'htb', handle: 'b0d:' });
    const capped = await iperf(srv, cli, '10.77.0.1', 4);
    expect(within(capped, 12e6)).toBeLessThan(0.15);

    await rt.tc.bandwidth('vc', null);
    expect(ipnJson(cli, 'link', 'show', 'type', 'ifb')).toEqual([]);
    const left = tcJson(cli, 'qdisc', 'show', 'dev', 'vc');
    expect(left.some((q: any) => q.kind === 'tbf' || q.kind === 'htb' || q.kind === 'ingress')).toBe(false);
    const free = await iperf(srv, cli, '10.77.0.1', 3);
    expect(free).toBeGreaterThan(100e6);
  }, 120_000);
});
