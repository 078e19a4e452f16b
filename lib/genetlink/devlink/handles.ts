/**
 * devlink handles as `devlink` writes them: a device is 'bus/device' ('pci/0000:03:00.0',
 * 'netdevsim/netdevsim1'), a port 'bus/device/index', a rate node 'bus/device/nodename'.
 */
import { ValidationError } from '../../errors';

/** A device handle split into its attributes. */
export interface DevHandle {
  busName: string;
  devName: string;
}

/** A port handle split into its attributes. */
export interface PortHandle extends DevHandle {
  portIndex: number;
}

const PART = /^[^/\s]+$/;

/** Parses 'bus/device' (ValidationError naming `field` otherwise). */
export function parseDev(handle: unknown, field = 'dev'): DevHandle {
  const parts = typeof handle === 'string' ? handle.split('/') : [];
  if (parts.length !== 2 || !parts.every((p) => PART.test(p))) {
    throw new ValidationError(field, `expected a devlink device handle 'bus/device' (e.g. 'netdevsim/netdevsim1'), got ${JSON.stringify(handle)}`);
  }
  return { busName: parts[0]!, devName: parts[1]! };
}

/** Parses 'bus/device/index'. */
export function parsePort(handle: unknown, field = 'port'): PortHandle {
  const parts = typeof handle === 'string' ? handle.split('/') : [];
  const index = parts.length === 3 && /^[0-9]+$/.test(parts[2]!) ? Number(parts[2]) : NaN;
  if (!Number.isInteger(index) || index > 0xffffffff || !PART.test(parts[0] ?? '') || !PART.test(parts[1] ?? '')) {
    throw new ValidationError(field, `expected a devlink port handle 'bus/device/index' (e.g. 'netdevsim/netdevsim1/0'), got ${JSON.stringify(handle)}`);
  }
  return { busName: parts[0]!, devName: parts[1]!, portIndex: index };
}

/** A rate object: a port's leaf ('bus/device/index') or a node ('bus/device/name'). */
export type RateHandle = (DevHandle & { portIndex: number }) | (DevHandle & { nodeName: string });

/** Parses a rate handle: a numeric last part is a port's leaf, anything else a node's name. */
export function parseRate(handle: unknown, field = 'rate'): RateHandle {
  const parts = typeof handle === 'string' ? handle.split('/') : [];
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) {
    throw new ValidationError(field, `expected a rate handle 'bus/device/port' or 'bus/device/nodename', got ${JSON.stringify(handle)}`);
  }
  const dev = { busName: parts[0]!, devName: parts[1]! };
  return /^[0-9]+$/.test(parts[2]!) ? { ...dev, portIndex: Number(parts[2]) } : { ...dev, nodeName: parts[2]! };
}

/** A node name as devlink accepts it: not numeric (that would be a port), no '/'. */
export function checkNodeName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !PART.test(name) || /^[0-9]+$/.test(name)) {
    throw new ValidationError(field, `expected a rate node name (not a number, no '/' or spaces), got ${JSON.stringify(name)}`);
  }
  return name;
}

/** 'bus/device' of decoded attributes or a parsed handle. */
export const devHandle = (a: { busName?: string; devName?: string }): string => `${a.busName}/${a.devName}`;
