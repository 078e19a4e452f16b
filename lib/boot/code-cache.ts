/**
 * Loads one of the package's esbuild bundles through V8's code cache.
 *
 * Most of `require('netlinkjs')` used to be V8 parsing and compiling the ~0.7 MB bundle. The
 * first load compiles it as usual and, after running it, saves what V8 compiled (the module
 * bodies and every function they ran) next to the bundle; later loads hand that to V8, which
 * then skips the parse. It is what Node 22's `module.enableCompileCache()` does for a whole
 * program, done here for our two files only, so it works on Node 20 and changes nothing else
 * in the caller's process.
 *
 * The cache lives in `.v8-cache/` beside the bundle, inside the package: whoever can write there
 * can already change the code itself, so nothing is trusted that the package did not write.
 * V8 checks a cache against its own version and flags but of the source only its length, so
 * each cache also records the bundle file it was made from (device, inode, size, mtime and
 * ctime, as Python's .pyc does with mtime and size; ctime changes on every write and cannot be
 * set back): a rebuilt, patched or reinstalled bundle never runs an old cache. A cache that
 * does not fit is replaced. When the directory is not writable (a read-only
 * install), loads simply compile as before. `NETLINKJS_CODE_CACHE=0` turns it off; with
 * `--enable-source-maps` the bundle is loaded by `require` so stack traces map to lib/.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

/** What {@link loadBundle} did, for the load bench and the package check. */
export interface BundleLoad {
  /**
   * 'hit': V8 used the saved cache; 'miss': there was none; 'rejected': it was made from another
   * bundle file or V8 refused it; 'off': loaded with plain `require`.
   */
  cache: 'hit' | 'miss' | 'rejected' | 'off';
  /** Whether a new cache file was written by this load. */
  wrote: boolean;
}

/**
 * Runs the CommonJS bundle `file` as the body of `mod` (its exports become `mod.exports`, and
 * inside it `require.main === mod` holds when `mod` is the main module).
 */
export function loadBundle(file: string, mod: NodeJS.Module): BundleLoad {
  if (process.env.NETLINKJS_CODE_CACHE === '0' || (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) {
    mod.exports = mod.require(file);
    return { cache: 'off', wrote: false };
  }
  // One fd for the identity and the text, so both describe the same file.
  const fd = openSync(file, 'r');
  let source: string;
  let identity: Buffer;
  try {
    const st = fstatSync(fd, { bigint: true });
    identity = Buffer.from(`${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}\n`, 'latin1');
    // esbuild writes ASCII only (charset: 'ascii'), so latin1 is the same text, read faster.
    source = readFileSync(fd, 'latin1');
  } finally {
    closeSync(fd);
  }
  // A bin bundle starts with a shebang, which is only legal at the very start of a script; keep
  // the line (so line numbers match the file and its source map) as a comment.
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  const cacheFile = path.join(path.dirname(file), '.v8-cache', `${path.basename(file, '.js')}-${process.versions.v8}-${process.arch}.bin`);
  let saved: Buffer | undefined;
  try {
    saved = readFileSync(cacheFile);
  } catch {
    saved = undefined;
  }
  // The file is the bundle's identity line, then V8's data.
  const fits = saved !== undefined && saved.length > identity.length && saved.subarray(0, identity.length).equals(identity);
  const cachedData = fits ? saved!.subarray(identity.length) : undefined;
  // The CommonJS wrapper, on the source's first line so line numbers stay the file's.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, { filename: file, cachedData });
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  const cache = saved === undefined ? 'miss' : !fits || script.cachedDataRejected ? 'rejected' : 'hit';
  return { cache, wrote: cache !== 'hit' && saveCache(script, identity, cacheFile) };
}

/** Writes the cache atomically (a reader never sees half a file); false if it could not. */
function saveCache(script: Script, identity: Buffer, cacheFile: string): boolean {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(tmp, Buffer.concat([identity, script.createCachedData()]));
    renameSync(tmp, cacheFile);
    return true;
  } catch {
    // Read-only or foreign-owned install: loading works without the cache, only slower.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written (the directory could not be made).
    }
    return false;
  }
}
