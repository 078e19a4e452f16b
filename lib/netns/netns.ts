/**
 * Named network namespaces, interchangeable with `ip netns`: a namespace named NAME is a
 * bind mount of the namespace on /run/netns/NAME, and /run/netns is a shared mount point, so
 * namespaces made here show up in `ip netns list` and the other way round. /etc/netns/NAME
 * (per-namespace config files for `ip netns exec`) is read by `spawn` when asked and never
 * created or removed here.
 *
 * Exported from the package root as `nl.netns`.
 *
 * @module
 */
import { promises as fsp } from 'node:fs';
import { NETNS_RUN_DIR, validateNetnsName } from './netns-ref';
import { nativeNetns } from './native-netns';
import { netnsError, withContext } from './netns-error';

export { open, NetnsHandle, type NetnsOpenRef } from './handle';
export { spawn, type NetnsSpawnOptions } from './spawn';
export { NetnsError } from './netns-error';

/**
 * Creates a network namespace named `name` (with only a loopback device, down).
 * Rejects with code 'EEXIST' when the name is taken, ValidationError for a bad name.
 * The work runs on a short-lived native thread; no Node thread changes namespace.
 *
 * Equivalent to: ip netns add NAME
 */
export async function add(name: string): Promise<void> {
  validateNetnsName(name, 'name');
  try {
    await nativeNetns().netnsAdd(NETNS_RUN_DIR, name);
  } catch (err) {
    const path = `${NETNS_RUN_DIR}/${name}`;
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw netnsError('EEXIST', 'open', `netns.add: network namespace "${name}" already exists (${path})`, path);
    }
    throw withContext(err, `netns.add "${name}"`, path);
  }
}

/**
 * Removes the name `name`. The namespace itself is freed by the kernel once nothing holds it:
 * open handles, processes inside it and sockets keep working until they let go.
 * Rejects with code 'ENOENT' when there is no such name.
 *
 * Equivalent to: ip netns del NAME
 */
export async function del(name: string): Promise<void> {
  validateNetnsName(name, 'name');
  const path = `${NETNS_RUN_DIR}/${name}`;
  try {
    await nativeNetns().netnsDel(NETNS_RUN_DIR, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw netnsError('ENOENT', 'unlink', `netns.del: network namespace "${name}" does not exist (${path})`, path);
    }
    throw withContext(err, `netns.del "${name}"`, path);
  }
}

/**
 * Names of the namespaces under /run/netns, sorted (an empty list when the directory does
 * not exist yet).
 *
 * Equivalent to: ip netns list
 */
export async function list(): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(NETNS_RUN_DIR);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw withContext(err, 'netns.list', NETNS_RUN_DIR);
  }
  return names.sort();
}
