/**
 * Loads the compiled addon (a prebuild for this platform when one exists, else
 * build/Release) and gives it its typed shape. Every native call goes through here.
 * NETLINKJS_ADDON_PATH names another build of the addon (a .node file) to load instead: the
 * sanitizer run (`npm run test:asan`) points it at its instrumented build.
 */
import path from 'node:path';
import type { NetlinkNative } from './core/native-netlink';

/** Root of the package (lib/ in development, dist/ when installed: both one level down). */
export const packageRoot = path.resolve(__dirname, '..');

/** The addon's exports; the parts of each concern are typed in that concern's folder. */
export type Native = NetlinkNative & Record<string, any>;

let cached: Native | undefined;

/** The addon, loaded on first use so that pure-codec users never need it built. */
export function native(): Native {
  if (cached === undefined) {
    const override = process.env.NETLINKJS_ADDON_PATH;
    // node-gyp-build is required here, not at the top: loading it is a few ms that a process
    // which never opens a socket (or opens one later) should not pay at `require('netlinkjs')`.
    const load = (): unknown => (require('node-gyp-build') as (dir: string) => unknown)(packageRoot);
    cached = (override ? require(path.resolve(override)) : load()) as Native;
  }
  return cached;
}
