// `npm run prebuild [-- --arch x64,arm64]`: N-API prebuilds of the addon for linux-x64 and
// linux-arm64 (glibc), each with its netns spawn helper executable (prebuildify only collects
// .node files), into prebuilds/linux-ARCH/. arm64 is cross-compiled with Debian's
// g++-aarch64-linux-gnu. Each arch builds in a scratch copy of the sources, so the checkout's
// own build/ (what the tests load) is never replaced by a foreign binary. node-gyp-build picks
// the prebuild for the running platform; without one, `npm install` compiles from source.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prebuildify = createRequire(import.meta.url).resolve('prebuildify/bin.js');
const i = process.argv.indexOf('--arch');
const arches = (i >= 0 ? process.argv[i + 1] : 'x64,arm64').split(',');

/** Compiler, linker and strip per target arch (the host's own for x64 on x64). */
const TOOLCHAIN = {
  x64: process.arch === 'x64' ? {} : { CC: 'x86_64-linux-gnu-gcc', CXX: 'x86_64-linux-gnu-g++', LINK: 'x86_64-linux-gnu-g++', PREBUILD_STRIP_BIN: 'x86_64-linux-gnu-strip' },
  arm64: process.arch === 'arm64' ? {} : { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip' },
};

/** An npm config value, or undefined when unset. */
function npmConfig(key) {
  try {
    const v = execFileSync('npm', ['config', 'get', key], { encoding: 'utf8' }).trim();
    return v && v !== 'undefined' && v !== 'null' ? v : undefined;
  } catch {
    return undefined;
  }
}

for (const arch of arches) {
  if (!TOOLCHAIN[arch]) throw new Error(`--arch: no toolchain known for ${arch} (x64, arm64)`);
  const work = mkdtempSync(path.join(tmpdir(), `nljs-prebuild-${arch}-`));
  try {
    for (const f of ['binding.gyp', 'package.json', 'native']) cpSync(path.join(root, f), path.join(work, f), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'));
    // N-API binaries don't depend on the Node version they are built against, so build against
    // the running Node's own headers (npm's `nodedir`, else the headers node-gyp has for it)
    // rather than let prebuildify fetch the newest release's.
    const nodedir = process.env.npm_config_nodedir ?? npmConfig('nodedir');
    const env = { ...process.env, ...TOOLCHAIN[arch], ...(nodedir ? { npm_config_nodedir: nodedir } : {}) };
    execFileSync(process.execPath, [prebuildify, '--napi', '--strip', '--arch', arch, '--target', process.versions.node], { cwd: work, env, stdio: 'inherit' });
    const from = path.join(work, 'prebuilds', `linux-${arch}`);
    const dir = path.join(root, 'prebuilds', `linux-${arch}`);
    mkdirSync(dir, { recursive: true });
    cpSync(from, dir, { recursive: true });
    const helper = path.join(dir, 'netlinkjs-nsexec');
    copyFileSync(path.join(work, 'build', 'Release', 'netlinkjs-nsexec'), helper);
    execFileSync(env.PREBUILD_STRIP_BIN ?? 'strip', ['--strip-all', helper]);
    chmodSync(helper, 0o755);
    console.log(`prebuilds: prebuilds/linux-${arch}/ (addon + netlinkjs-nsexec)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
