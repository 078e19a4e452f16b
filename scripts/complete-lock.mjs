// Adds lock entries for optional platform packages the registry could not serve.
//
// Some registry mirrors hold only the platform builds they were asked for (here: rollup's
// linux-x64 ones, pulled in by vitest → vite). npm then writes a lock without the other
// platforms' optional packages, and `npm ci` rejects that lock as out of sync. This fills the
// gaps with optional, platform-tagged entries, which npm ci accepts and skips on other
// platforms. Run after `npm install` changes the lock: `node scripts/complete-lock.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const PLATFORM = /^@rollup\/rollup-([a-z]+)-([a-z0-9]+)(?:-(gnu|gnueabihf|musl|musleabihf|msvc|eabi))?$/;
let added = 0;
for (const meta of Object.values(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key]) continue;
    const entry = { version, dev: true, optional: true };
    const m = PLATFORM.exec(name);
    if (m) {
      entry.os = [m[1]];
      entry.cpu = [m[2]];
      if (m[3] === 'gnu' || m[3] === 'gnueabihf') entry.libc = ['glibc'];
      if (m[3] === 'musl' || m[3] === 'musleabihf') entry.libc = ['musl'];
    }
    pkgs[key] = entry;
    added++;
  }
}
const sorted = Object.fromEntries(Object.keys(pkgs).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)).map((k) => [k, pkgs[k]]));
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
