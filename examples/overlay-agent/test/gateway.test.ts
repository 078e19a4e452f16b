/**
 * The gateway's pure parts: subnets, the fixed MAC, the NAT table it writes.
 */
import { describe, expect, it } from 'vitest';
// @ts-ignore plain JavaScript module without declarations
import { gatewayMac, natTable, overlaps, subnetOf } from '../lib/gateway.js';
// @ts-ignore plain JavaScript module without declarations
import { OverlayAgent } from '../lib/agent.js';

describe('gateway helpers', () => {
  it('computes subnets and overlaps', () => {
    expect(subnetOf('10.0.0.254/24')).toMatchObject({ addr: '10.0.0.0', len: 24 });
    expect(subnetOf('172.16.5.9/12')).toMatchObject({ addr: '172.16.0.0', len: 12 });
    expect(overlaps('10.0.0.254/24', '10.0.0.1/24')).toBe(true);
    expect(overlaps('10.0.0.254/24', '10.0.0.0/16')).toBe(true);
    expect(overlaps('10.0.0.254/24', '10.0.1.254/24')).toBe(false);
  });

  it('gives a locally administered unicast MAC that depends only on host and network', () => {
    const mac = gatewayMac('hostA', 100);
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(gatewayMac('hostA', 100)).toBe(mac);
    expect(gatewayMac('hostA', 200)).not.toBe(mac);
    expect(gatewayMac('hostB', 100)).not.toBe(mac);
  });

  it('writes one masquerade rule for the subnet, leaving through the outside interface only', () => {
    const t = natTable(100, 'eth1', '10.0.0.254/24');
    expect(t.table).toBe('overlay_nat_100');
    expect(t.objects.map((o: any) => Object.keys(o)[0])).toEqual(['table', 'chain', 'rule']);
    expect(t.objects[2].rule.expr).toEqual([
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 24 } } } },
      { match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'eth1' } },
      { masquerade: null },
    ]);
  });

  it('refuses gateways that cannot work, naming the option', () => {
    const base = { etcd: { hosts: 'http://127.0.0.1:1' }, host: 'a', underlay: 'eth0', networks: [{ vni: 100 }, { vni: 200 }] };
    expect(() => new OverlayAgent({ ...base, gateways: [{ vni: 300, address: '10.0.0.254/24' }] })).toThrow('options.gateways.0.vni');
    expect(() => new OverlayAgent({ ...base, gateways: [{ vni: 100, address: '10.0.0.254' }] })).toThrow('options.gateways.0.address');
    expect(() => new OverlayAgent({ ...base, gateways: [{ vni: 100, address: '10.0.0.254/24' }, { vni: 200, address: '10.0.0.1/24' }] }))
      .toThrow('options.gateways.1.address: overlaps');
    expect(() => new OverlayAgent({ ...base, gatways: [] })).toThrow('options.gatways: unknown option');
    expect(() => new OverlayAgent({ ...base, ports: [{ vni: 300, dev: 'p', mac: '02:00:00:00:00:01', ip: '10.0.0.1' }] })).toThrow('options.ports.0.vni');
  });
});
