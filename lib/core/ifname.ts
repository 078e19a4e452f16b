/**
 * Network interface names as the kernel accepts them. Every family that names a device (links,
 * tc, TAP devices, ethtool, devlink ports) checks names here before anything is sent.
 */
import { ValidationError } from '../errors';

/** Checks a link name the way the kernel does (dev_valid_name): 1–15 bytes, no '/', ':', whitespace. */
export function validateLinkName(name: unknown, field = 'name'): asserts name is string {
  // A bulk change names the same link 100 000 times (or two: a tc filter's device and its mirred target).
  if (name === lastValidName || name === prevValidName) return;
  if (typeof name !== 'string' || name.length === 0) throw new ValidationError(field, 'link name must be a non-empty string');
  if (Buffer.byteLength(name) > 15) throw new ValidationError(field, `link name ${JSON.stringify(name)} is longer than 15 bytes`);
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new ValidationError(field, `link name ${JSON.stringify(name)} may not contain '/', ':' or whitespace`);
  }
  prevValidName = lastValidName;
  lastValidName = name;
}
let lastValidName: string | undefined;
let prevValidName: string | undefined;
