/**
 * nl.sriov: how many VFs a physical function has, through sysfs
 * (/sys/class/net/<name>/device/sriov_numvfs and sriov_totalvfs). There is no netlink request
 * for this; the PCI core (or netdevsim's bus) creates and removes the VFs.
 *
 * Links are named as sysfs names them: the sysfs mounted in this process's mount namespace
 * shows the links of the network namespace that mounted it (normally the initial one).
 *
 * @module
 */
import { promises as fsp, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { ValidationError, type SystemError } from '../../../errors';
import { validateLinkName } from '../../request/link-ref';

/** A link as sysfs knows it: its name, or any object with a name (a Link). */
export type SriovLinkRef = string | { name: string };

/** A sysfs read or write failed, or the device has no SR-IOV. Carries errno, code and path. */
export class SriovError extends Error implements SystemError {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  /** The sysfs file involved. */
  readonly path: string;
  /** The library operation, e.g. 'sriov.setNumVfs'. */
  readonly operation: string;

  constructor(operation: string, code: string, syscall: string, path: string, message: string) {
    super(`${operation}: ${code}: ${message}`);
    this.name = 'SriovError';
    this.operation = operation;
    this.code = code;
    this.errno = (osConstants.errno as Record<string, number>)[code] ?? 0;
    this.syscall = syscall;
    this.path = path;
  }
}

/** Where sysfs shows network devices; a parameter only so unit tests can use a fake tree. */
export interface SriovOptions {
  /** @internal default '/sys/class/net' */
  sysfsNet?: string;
}

function linkName(link: SriovLinkRef, operation: string): string {
  if (typeof link === 'number') throw new ValidationError('link', `${operation} needs a link name or a Link (sysfs is keyed by name), got ifindex ${link}`);
  const name = typeof link === 'string' ? link : link && typeof link === 'object' ? link.name : undefined;
  validateLinkName(name, 'link');
  return name;
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Reads a count from sysfs; undefined when the file doesn't exist. */
async function readCount(path: string, operation: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return undefined;
    throw new SriovError(operation, e.code ?? 'EIO', 'read', path, e.message);
  }
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0) throw new SriovError(operation, 'EINVAL', 'read', path, `unexpected content ${JSON.stringify(text.trim())}`);
  return n;
}

/**
 * The link's device directory and its sriov_numvfs, read directly. Only when the file is
 * missing is it worked out why: no such link (ENODEV) or a device without SR-IOV (EOPNOTSUPP).
 */
async function readNumVfs(link: SriovLinkRef, operation: string, opts: SriovOptions): Promise<{ name: string; dir: string; count: number }> {
  const name = linkName(link, operation);
  const net = `${opts.sysfsNet ?? '/sys/class/net'}/${name}`;
  const dir = `${net}/device`;
  const count = await readCount(`${dir}/sriov_numvfs`, operation);
  if (count !== undefined) return { name, dir, count };
  if (!(await exists(net))) throw new SriovError(operation, 'ENODEV', 'stat', net, `no link named ${name}`);
  throw new SriovError(operation, 'EOPNOTSUPP', 'stat', `${dir}/sriov_numvfs`, `${name} has no SR-IOV (its device has no sriov_numvfs in sysfs)`);
}

async function writeCount(path: string, n: number, operation: string, name: string): Promise<void> {
  try {
    await fsp.writeFile(path, `${n}\n`);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SriovError(operation, e.code ?? 'EIO', 'write', path, `the driver of ${name} refused ${n} VFs (${e.message})`);
  }
}

/**
 * How many VFs the PF has enabled now (0 when SR-IOV is off).
 * Equivalent to: cat /sys/class/net/PF/device/sriov_numvfs
 */
export async function numVfs(link: SriovLinkRef, opts: SriovOptions = {}): Promise<number> {
  return (await readNumVfs(link, 'sriov.numVfs', opts)).count;
}

/**
 * The most VFs the PF supports, or undefined when its driver publishes no limit
 * (netdevsim has no sriov_totalvfs; its limit is a debugfs knob).
 * Equivalent to: cat /sys/class/net/PF/device/sriov_totalvfs
 */
export async function totalVfs(link: SriovLinkRef, opts: SriovOptions = {}): Promise<number | undefined> {
  const operation = 'sriov.totalVfs';
  const name = linkName(link, operation);
  const total = await readCount(`${opts.sysfsNet ?? '/sys/class/net'}/${name}/device/sriov_totalvfs`, operation);
  if (total !== undefined) return total;
  // No published limit, or no SR-IOV (or no link) at all: sriov_numvfs tells which.
  await readNumVfs(link, operation, opts);
  return undefined;
}

/**
 * Sets the PF's number of VFs. Nothing happens when it already has `n`. The kernel only
 * changes a nonzero count by way of 0 (it refuses N → M directly), so a change from one nonzero
 * count to another writes 0 first: every VF is removed and recreated, and their settings
 * (rt.vf.set) are lost — exactly what `echo 0 > sriov_numvfs; echo M > sriov_numvfs` does.
 * A count above `totalVfs` is a ValidationError; a driver's refusal is a SriovError with its errno.
 *
 * Equivalent to: echo N > /sys/class/net/PF/device/sriov_numvfs
 */
export async function setNumVfs(link: SriovLinkRef, n: number, opts: SriovOptions = {}): Promise<void> {
  const operation = 'sriov.setNumVfs';
  linkName(link, operation);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff) {
    throw new ValidationError('numVfs', `expected an integer 0–65535, got ${JSON.stringify(n)}`);
  }
  const { name, dir, count: current } = await readNumVfs(link, operation, opts);
  const path = `${dir}/sriov_numvfs`;
  if (current === n) return;
  const total = n > 0 ? await readCount(`${dir}/sriov_totalvfs`, operation) : undefined;
  if (total !== undefined && n > total) throw new ValidationError('numVfs', `${name} supports at most ${total} VFs, asked for ${n}`);
  if (current !== 0 && n !== 0) await writeCount(path, 0, operation, name);
  await writeCount(path, n, operation, name);
}
