/**
 * A gateway host routes one virtual network to the outside and masquerades it: the network's
 * bridge gets the gateway address and a fixed MAC (registered in the store like a VM port, so
 * every other host answers ARP for it and tunnels to it), and an nftables table NATs what the
 * network sends out of the outside interface. As everywhere in the agent, what is already
 * right is left alone.
 *
 * The rule names the outside interface rather than "anything but the bridge": where
 * br_netfilter is loaded, *bridged* frames of every overlay network also pass the IPv4 NAT hook,
 * with a bridge port as their output device, and must not be rewritten.
 *
 * The host must forward IPv4 (`sysctl net.ipv4.ip_forward=1` in its namespace), as any router.
 */
import { createHash } from 'node:crypto';
import nl from './netlinkjs.js';

/** The network part of a CIDR: { addr, len } (IPv4). */
export function subnetOf(cidr) {
  const [addr, lenText] = cidr.split('/');
  const len = Number(lenText);
  const n = addr.split('.').reduce((acc, o) => (acc << 8) | Number(o), 0) >>> 0;
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  const net = (n & mask) >>> 0;
  return { addr: [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.'), len, net, mask };
}

/** True when two CIDRs share addresses. */
export function overlaps(a, b) {
  const x = subnetOf(a);
  const y = subnetOf(b);
  const mask = Math.min(x.len, y.len) === 0 ? 0 : (~0 << (32 - Math.min(x.len, y.len))) >>> 0;
  return ((x.net & mask) >>> 0) === ((y.net & mask) >>> 0);
}

/** A locally administered MAC that stays the same for (host, vni) across restarts. */
export function gatewayMac(host, vni) {
  const h = createHash('sha256').update(`${host}/${vni}`).digest();
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The nftables document of a network's NAT table (libnftables JSON, as `nft -j` prints it). */
export function natTable(vni, outside, cidr) {
  const table = `overlay_nat_${vni}`;
  const { addr, len } = subnetOf(cidr);
  return {
    table,
    objects: [
      { table: { family: 'ip', name: table } },
      { chain: { family: 'ip', table, name: 'postrouting', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
      {
        rule: {
          family: 'ip', table, chain: 'postrouting', expr: [
            { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr, len } } } },
            { match: { op: '==', left: { meta: { key: 'oifname' } }, right: outside } },
            { masquerade: null },
          ],
        },
      },
    ],
  };
}

/** Drops what the kernel adds to a listed object (handles), so it compares with what we apply. */
function comparable(obj) {
  const [kind] = Object.keys(obj);
  const { handle, ...rest } = obj[kind];
  return JSON.stringify({ [kind]: rest });
}

/**
 * Makes `gw` ({ vni, address: '10.0.0.254/24', outside: 'eth1' }) the network's gateway on this
 * host. Returns { mac, ip, changes }.
 *
 * Equivalent to:
 *   ip link set BR address MAC; ip address add 10.0.0.254/24 dev BR
 *   nft 'add table ip overlay_nat_VNI; add chain … { type nat hook postrouting priority 100; };
 *        add rule … ip saddr 10.0.0.0/24 oifname "OUTSIDE" masquerade'
 */
export async function ensureGateway(rt, netns, host, net, gw) {
  if (!nl.nft?.open) throw new Error('this netlinkjs has no nftables support (nl.nft); the gateway needs it');
  let changes = 0;
  const br = await rt.link.get(net.bridge);
  const mac = gatewayMac(host, net.vni);
  if (br.address !== mac) {
    // A bridge's MAC otherwise follows its ports; the other hosts must be able to rely on it.
    await rt.link.set(br.index, { address: mac });
    changes++;
  }
  const [ip, lenText] = gw.address.split('/');
  const addrs = await rt.address.list({ dev: net.bridge, family: 'inet' });
  if (!addrs.some((a) => a.index === br.index && a.address === ip && a.prefixLen === Number(lenText))) {
    await rt.address.add(br.index, gw.address);
    changes++;
  }

  const nft = await nl.nft.open(netns !== undefined ? { netns } : {});
  try {
    const want = natTable(net.vni, gw.outside, gw.address);
    let have = [];
    try {
      have = (await nft.list({ family: 'ip', table: want.table })).nftables.filter((o) => !o.metainfo);
    } catch (err) {
      if (err?.code !== 'ENOENT') throw err;
    }
    const same = have.length === want.objects.length && have.every((o, i) => comparable(o) === comparable(want.objects[i]));
    if (!same) {
      // One transaction: the old table (if any) goes and the new one comes, never half of it.
      const cmds = [];
      if (have.length) cmds.push({ delete: { table: { family: 'ip', name: want.table } } });
      for (const o of want.objects) cmds.push({ add: o });
      await nft.apply({ nftables: cmds });
      changes++;
    }
  } finally {
    nft.close();
  }
  return { mac, ip, changes };
}
