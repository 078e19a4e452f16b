/**
 * The overlay test's machines, built with iproute2 (the oracle, independent of the code under
 * test): an underlay namespace with a bridge, N "hosts" (namespaces) on it, and in each host
 * one VM namespace per virtual network, its veth's host end left unattached for the agent to
 * plug into the network's bridge. IPv6 is off everywhere, so no ND/MLD chatter muddies the
 * traffic counts.
 */
import { execFile, execFileSync } from 'node:child_process';
import { NetnsPool, ip } from '../../../../test/helpers/netns';

export interface VmSpec {
  vni: number;
  /** VM namespace. */
  ns: string;
  /** Host end of its veth (in the host namespace). */
  dev: string;
  mac: string;
  ip: string;
}

export interface HostSpec {
  name: string;
  ns: string;
  vtep: string;
  vms: VmSpec[];
}

export interface Topology {
  underlay: string;
  hosts: HostSpec[];
  /** Makes one more namespace that cleanup() removes (IPv6 off). */
  addNamespace(prefix: string): string;
  cleanup(): void;
}

function sysctlNoIpv6(ns: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { stdio: 'ignore' });
}

/**
 * Builds `hosts` hosts; `vmsOf(h)` lists the VMs of host h (0-based) as { vni, ip }.
 * VM MACs are 02:00:VV:VV:HH:01 (VV the VNI, HH the host number), unique across networks.
 */
export function buildTopology(hosts: number, vmsOf: (h: number) => { vni: number; ip: string }[]): Topology {
  const pool = new NetnsPool();
  try {
    const underlay = pool.add('ovu');
    sysctlNoIpv6(underlay);
    ip('-n', underlay, 'link', 'add', 'ubr', 'type', 'bridge', 'stp_state', '0');
    ip('-n', underlay, 'link', 'set', 'ubr', 'up');
    const out: HostSpec[] = [];
    for (let h = 0; h < hosts; h++) {
      const ns = pool.add('ovh');
      sysctlNoIpv6(ns);
      const vtep = `192.0.2.${h + 1}`;
      ip('-n', underlay, 'link', 'add', `u${h}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', underlay, 'link', 'set', `u${h}`, 'master', 'ubr', 'up');
      ip('-n', ns, 'address', 'add', `${vtep}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      const vms: VmSpec[] = [];
      for (const { vni, ip: vmIp } of vmsOf(h)) {
        const vns = pool.add('ovm');
        sysctlNoIpv6(vns);
        const hex = vni.toString(16).padStart(4, '0');
        const mac = `02:00:${hex.slice(0, 2)}:${hex.slice(2)}:${(h + 1).toString(16).padStart(2, '0')}:01`;
        const dev = `vm${vni}`;
        ip('-n', ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vns, 'address', mac);
        ip('-n', vns, 'address', 'add', `${vmIp}/24`, 'dev', 'eth0');
        ip('-n', vns, 'link', 'set', 'eth0', 'up');
        vms.push({ vni, ns: vns, dev, mac, ip: vmIp });
      }
      out.push({ name: `host${String.fromCharCode(65 + h)}`, ns, vtep, vms });
    }
    const addNamespace = (prefix: string) => {
      const ns = pool.add(prefix);
      sysctlNoIpv6(ns);
      return ns;
    };
    return { underlay, hosts: out, addNamespace, cleanup: () => pool.cleanup() };
  } catch (err) {
    pool.cleanup();
    throw err;
  }
}

/** Runs a command in a namespace; returns its exit status (output discarded). */
export function nsRun(ns: string, cmd: string, ...args: string[]): number {
  try {
    execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'ignore' });
    return 0;
  } catch (err: any) {
    return typeof err.status === 'number' ? err.status : 1;
  }
}

/**
 * One ICMP echo with a one-second wait: true when answered. Asynchronous on purpose: the agents
 * under test share this event loop, and a blocked loop sends no lease keepalives.
 */
export function ping(ns: string, dst: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', '-q', dst], (err) => resolve(!err));
  });
}

/** Polls `check` until it returns a truthy value or `ms` passes (then returns the last value). */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 10_000, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, every));
  }
}
