/**
 * `sudo npm run demo [-- a|b]`: the seed networks, each built with netlinkjs alone in throwaway
 * namespaces. `b` (the default) is network B, VMs on a JavaScript switch with VLANs; `a` is
 * network A, libvirt's default network (a bridge, NAT to the outside, a port forward).
 * The demos use the library only through its public package name, as any user would.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const which = (process.argv[2] ?? 'b').toLowerCase();
const file = path.join(__dirname, `network-${which}.js`);
if (!/^[a-z]$/.test(which) || !existsSync(file)) {
  console.error(`usage: npm run demo [-- a|b]   (no demo network "${which}")`);
  process.exit(2);
}
require(file);
