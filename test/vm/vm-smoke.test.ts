/**
 * VM tier smoke test: proves, with iproute2 alone, that the kernel under test has what the
 * development kernel lacks (netdevsim SR-IOV VFs, 802.1Q, bonding, dummy, ipvlan, vrf, geneve,
 * gretap). On the host these tests skip with the reason; `npm run test:vm` runs them in the VM.
 */
import { randomInt } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect } from 'vitest';
import { NetnsPool, ip, ipnJson } from '../helpers/netns';
import { itRequires, type LinkKindFeature } from '../helpers/requires';

const NSIM_BUS = '/sys/bus/netdevsim';

/** The parts of `ip -j -d link show` these tests read. */
interface IpLink {
  ifname: string;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
  vfinfo_list?: Array<{
    vf: number;
    address: string;
    vlan_list: Array<{ vlan?: number; qos?: number }>;
    spoofchk: boolean;
    trust: boolean;
    link_state: string;
  }>;
}

/**
 * One kind per row: the `ip link add NAME …` arguments after the name (`LOWER` is replaced by a
 * dummy link made first) and the `info_data` fields the kernel must report back.
 */
const LINK_KINDS: Array<{ kind: LinkKindFeature; args: string[]; expected: Record<string, unknown> }> = [
  { kind: 'dummy', args: ['type', 'dummy'], expected: {} },
  { kind: 'bond', args: ['type', 'bond', 'mode', 'active-backup'], expected: { mode: 'active-backup' } },
  { kind: 'ipvlan', args: ['link', 'LOWER', 'type', 'ipvlan', 'mode', 'l3'], expected: { mode: 'l3' } },
  { kind: 'vrf', args: ['type', 'vrf', 'table', '4242'], expected: { table: 4242 } },
  { kind: 'geneve', args: ['type', 'geneve', 'id', '42', 'remote', '192.0.2.1'], expected: { id: 42, remote: '192.0.2.1' } },
  {
    kind: 'gretap',
    args: ['type', 'gretap', 'remote', '192.0.2.1', 'local', '192.0.2.2'],
    expected: { remote: '192.0.2.1', local: '192.0.2.2' },
  },
];

describe('VM kernel features (iproute2 oracle)', () => {
  const pool = new NetnsPool();
  const nsimIds: number[] = [];

  afterEach(() => {
    // Deleting the netdevsim device removes its netdev (and the vlan on it) wherever they are.
    for (const id of nsimIds.splice(0)) {
      try {
        writeFileSync(`${NSIM_BUS}/del_device`, `${id}`);
      } catch {
        /* creation failed half-way: nothing to delete */
      }
    }
    pool.cleanup();
  });

  /** Makes a netdevsim device with one port and `vfs` VFs; returns its id and the port's netdev. */
  function newNetdevsim(vfs: number): { id: number; netdev: string } {
    // Test files run in parallel: a random id keeps their devices apart.
    const id = randomInt(1000, 2 ** 31 - 1);
    writeFileSync(`${NSIM_BUS}/new_device`, `${id} 1`);
    nsimIds.push(id);
    const dir = `${NSIM_BUS}/devices/netdevsim${id}`;
    writeFileSync(`${dir}/sriov_numvfs`, `${vfs}`);
    const [netdev] = readdirSync(`${dir}/net`);
    return { id, netdev };
  }

  itRequires(['root', 'netdevsim', 'vlan'], 'netdevsim VFs keep their settings and a vlan link stacks on the PF', () => {
    const ns = pool.add('vmsmoke');
    const { netdev } = newNetdevsim(4);
    ip('link', 'set', 'dev', netdev, 'netns', ns);

    ip('-n', ns, 'link', 'set', 'dev', netdev, 'vf', '1', 'mac', '02:00:00:00:00:11', 'vlan', '10', 'qos', '3',
      'spoofchk', 'off', 'trust', 'on', 'state', 'enable');
    ip('-n', ns, 'link', 'add', 'link', netdev, 'name', 'pf.10', 'type', 'vlan', 'id', '10');

    const [pf] = ipnJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', netdev);
    expect(pf.vfinfo_list?.map((v) => v.vf)).toEqual([0, 1, 2, 3]);
    expect(pf.vfinfo_list?.[1]).toMatchObject({
      address: '02:00:00:00:00:11',
      vlan_list: [{ vlan: 10, qos: 3 }],
      spoofchk: false,
      trust: true,
      link_state: 'enable',
    });
    // The other VFs are untouched.
    expect(pf.vfinfo_list?.[2]).toMatchObject({ address: '00:00:00:00:00:00', trust: false, link_state: 'auto' });

    const [vlan] = ipnJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', 'pf.10');
    expect(vlan.linkinfo).toMatchObject({ info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 10 } });
  });

  for (const { kind, args, expected } of LINK_KINDS) {
    const lower: LinkKindFeature[] = args.includes('LOWER') ? ['dummy'] : [];
    itRequires(['root', kind, ...lower], `${kind}: creates a link and reads its settings back`, () => {
      const ns = pool.add('vmsmoke');
      if (args.includes('LOWER')) ip('-n', ns, 'link', 'add', 'lower0', 'type', 'dummy');
      ip('-n', ns, 'link', 'add', 'probe0', ...args.map((a) => (a === 'LOWER' ? 'lower0' : a)));

      const [link] = ipnJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', 'probe0');
      expect(link.linkinfo?.info_kind).toBe(kind);
      expect(link.linkinfo?.info_data ?? {}).toMatchObject(expected);
    });
  }
});
