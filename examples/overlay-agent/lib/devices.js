/**
 * The devices of one virtual network on one host: a bridge, and a VXLAN device on it whose
 * bridge port answers ARP for known remote VMs (neigh_suppress) and learns nothing. Each
 * function looks first and changes only what differs, so an agent that restarts over a host it
 * already programmed sends no change at all.
 */

/** `rt.link.get(name)`, or undefined when there is no such link. */
export async function findLink(rt, ref) {
  try {
    return await rt.link.get(ref);
  } catch (err) {
    if (err?.code === 'ENODEV') return undefined;
    throw err;
  }
}

/** The first global IPv4 address of a link (the VTEP address when none is given). */
export async function firstIpv4(rt, link) {
  const addrs = await rt.address.list({ dev: link.name, family: 'inet' });
  const a = addrs.find((x) => x.index === link.index && x.family === 'inet' && x.scope === 'global');
  return a?.address;
}

/**
 * Makes or checks the bridge and VXLAN device of network `net` ({ vni, bridge, vxlan }).
 * Returns their ifindexes and the number of kernel changes it made.
 *
 * Equivalent to:
 *   ip link add BR type bridge stp_state 0; ip link set BR up
 *   ip link add VX type vxlan id VNI local VTEP dev UNDERLAY dstport PORT nolearning
 *   ip link set VX master BR up
 *   ip link set VX type bridge_slave neigh_suppress on learning off
 */
export async function ensureNetwork(rt, net, { underlay, vtep, port }) {
  let changes = 0;
  let br = await findLink(rt, net.bridge);
  if (br && br.kind !== 'bridge') throw new Error(`${net.bridge} exists and is not a bridge (kind ${br.kind})`);
  if (!br) {
    br = await rt.link.add({ name: net.bridge, kind: 'bridge', bridge: { stp: false } });
    changes++;
  }
  if (!br.up) {
    await rt.link.set(br.index, { up: true });
    changes++;
  }

  let vx = await findLink(rt, net.vxlan);
  const info = vx?.info ?? {};
  const right = vx && vx.kind === 'vxlan' && info.id === net.vni && info.local === vtep && info.port === port &&
    info.learning === false && info.dev === underlay.index;
  if (vx && !right) {
    // A VNI, source address or port cannot be changed in place: the device is re-made.
    await rt.link.del(vx.index);
    vx = undefined;
    changes++;
  }
  if (!vx) {
    vx = await rt.link.add({
      name: net.vxlan, kind: 'vxlan',
      vxlan: { id: net.vni, local: vtep, dev: underlay.index, port, learning: false },
    });
    changes++;
  }
  if (vx.master !== br.index || !vx.up) {
    await rt.link.set(vx.index, { master: br.index, up: true });
    vx = await rt.link.get(vx.index);
    changes++;
  }
  const bp = vx.bridgePort;
  if (!bp || bp.neighSuppress !== true || bp.learning !== false) {
    await rt.link.set(vx.index, { bridgePort: { neighSuppress: true, learning: false } });
    changes++;
  }
  return { vxlan: vx.index, bridge: br.index, changes };
}

/**
 * Puts a VM port (the host end of a veth or a TAP device) on its network's bridge and up.
 * Returns the number of changes made.
 *
 * Equivalent to: ip link set DEV master BR up
 */
export async function ensurePort(rt, dev, bridgeIndex) {
  const link = await findLink(rt, dev);
  if (!link) throw new Error(`VM port ${dev} does not exist`);
  if (link.master === bridgeIndex && link.up) return 0;
  await rt.link.set(link.index, { master: bridgeIndex, up: true });
  return 1;
}
