#!/usr/bin/env node
/**
 * overlay-agent: the command-line daemon around OverlayAgent (lib/agent.js).
 *
 *   node examples/overlay-agent --etcd http://127.0.0.1:2379 --host-netns hostA --underlay eth0 \
 *     --network 100 --network 200 \
 *     --port 100,vm1p,02:00:00:00:01:01,10.0.0.1 --port 200,vm2p,02:00:00:00:02:01,10.0.0.1
 *
 * Options:
 *   --etcd URL[,URL…]   etcd endpoints (default http://127.0.0.1:2379)
 *   --host NAME         this host's name in the store (default: --host-netns, else hostname)
 *   --host-netns NS     program the host in this network namespace (default: the current one)
 *   --underlay DEV      the underlay device the VXLAN devices send through (required)
 *   --vtep IP           source address of the tunnels (default: DEV's first IPv4 address)
 *   --network VNI[,BRIDGE[,VXLAN]]   a virtual network this host carries (repeatable;
 *                       devices default to br-VNI and vx-VNI)
 *   --port VNI,DEV,MAC,IP   a local VM port on that network (repeatable)
 *   --gateway VNI,CIDR[,OUTSIDE]  route that network from this host, CIDR (e.g. 10.0.0.254/24)
 *                       on its bridge, and masquerade what leaves through OUTSIDE (default:
 *                       the underlay); the host needs net.ipv4.ip_forward=1
 *   --ttl SECONDS       lease TTL: how long a dead host lingers in the others' tables (default 10)
 *   --prefix PATH       key prefix in etcd (default /overlay/)
 *   --quiet             no log lines
 *
 * SIGINT/SIGTERM stop it cleanly (its keys are withdrawn at once); SIGUSR2 stops it as if it
 * died (the keys stay until the lease runs out).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { OverlayAgent } from './lib/agent.js';

function usage(msg) {
  process.stderr.write(`overlay-agent: ${msg}\nsee the header of examples/overlay-agent/main.js or docs/overlay-agent.md\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      etcd: { type: 'string', default: 'http://127.0.0.1:2379' },
      host: { type: 'string' },
      'host-netns': { type: 'string' },
      underlay: { type: 'string' },
      vtep: { type: 'string' },
      network: { type: 'string', multiple: true, default: [] },
      port: { type: 'string', multiple: true, default: [] },
      gateway: { type: 'string', multiple: true, default: [] },
      ttl: { type: 'string', default: '10' },
      prefix: { type: 'string', default: '/overlay/' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  usage(err.message);
}
if (values.help) {
  process.stdout.write('usage: node examples/overlay-agent --etcd URL --host-netns NS --underlay DEV --network VNI … --port VNI,DEV,MAC,IP …\n');
  process.exit(0);
}
if (!values.underlay) usage('--underlay is required');
if (values.network.length === 0) usage('at least one --network is required');

const networks = values.network.map((s) => {
  const [vni, bridge, vxlan] = s.split(',');
  return { vni: Number(vni), ...(bridge ? { bridge } : {}), ...(vxlan ? { vxlan } : {}) };
});
const ports = values.port.map((s) => {
  const [vni, dev, mac, ip] = s.split(',');
  return { vni: Number(vni), dev, mac, ip };
});

const gateways = values.gateway.map((s) => {
  const [vni, address, outside] = s.split(',');
  return { vni: Number(vni), address, ...(outside ? { outside } : {}) };
});

let agent;
try {
  agent = new OverlayAgent({
    etcd: { hosts: values.etcd.split(',') },
    host: values.host ?? values['host-netns'] ?? os.hostname(),
    ...(values['host-netns'] ? { netns: values['host-netns'] } : {}),
    underlay: values.underlay,
    ...(values.vtep ? { vtep: values.vtep } : {}),
    ttl: Number(values.ttl),
    prefix: values.prefix,
    networks,
    ports,
    gateways,
    log: values.quiet ? undefined : (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
} catch (err) {
  usage(err.message);
}
agent.on('error', (err) => process.stderr.write(`overlay-agent: ${err?.stack ?? err}\n`));
agent.on('applied', ({ ops, failed, ms }) => {
  if (!values.quiet) process.stderr.write(`${new Date().toISOString()} [${agent.host}] applied ${ops} change(s)${failed ? `, ${failed} failed` : ''} in ${ms.toFixed(1)} ms\n`);
});

const stop = (revoke) => () => {
  agent.stop({ revoke }).then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', stop(true));
process.once('SIGTERM', stop(true));
process.once('SIGUSR2', stop(false));

try {
  await agent.start();
  if (!values.quiet) process.stderr.write(`${new Date().toISOString()} [${agent.host}] ready: vtep ${agent.vtep}, networks ${networks.map((n) => n.vni).join(' ')}\n`);
  if (process.send) process.send({ ready: true, vtep: agent.vtep });
} catch (err) {
  process.stderr.write(`overlay-agent: ${err?.stack ?? err}\n`);
  await agent.stop().catch(() => {});
  process.exit(1);
}
