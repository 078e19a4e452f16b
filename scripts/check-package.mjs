// `npm run check:package`: what a user gets from `npm install netlinkjs`, verified, not assumed.
// 1. `npm pack` (of what is built: `--ignore-scripts`), then the tarball must hold prebuilds/linux-x64/ and prebuilds/linux-arm64/
//    (addon and namespace spawn helper each; `npm run prebuild` makes them).
// 2. Install it into an empty project with a PATH that holds `node` and `sh` only: no
//    compiler, no make, no python. node-gyp-build must find the prebuild; then `require` and
//    `import` of it, and one real call: (await nl.open()).link.list().
// 3. The arm64 prebuild loads in an arm64 Node (Debian's nodejs:arm64, unpacked from the
//    archive, run under qemu-user) and lists links.
// 4. @arethetypeswrong/cli and publint on the tarball: zero problems (types resolve for
//    require, import, node16 and bundler resolution; exports, files and bin sane).
// Needs: `npm run build:ts` and `npm run prebuild` done; for step 3 qemu-user (qemu-aarch64)
// and arm64 as a dpkg architecture (`dpkg --add-architecture arm64 && apt-get update`); the
// arm64 Node is downloaded once into $NETLINKJS_ARM64_ROOT (default /tmp/netlinkjs-arm64-root).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const work = mkdtempSync(path.join(tmpdir(), 'nljs-check-package-'));
let failed = 0;
const step = (name, fn) => {
  try {
    const detail = fn();
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err.message}`);
  }
};
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  return r.stdout;
};

try {
  // 1. The tarball.
  let tarball;
  step('npm pack', () => {
    const out = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root }));
    tarball = path.join(work, out[0].filename);
    const files = out[0].files.map((f) => f.path);
    for (const arch of ['x64', 'arm64']) {
      for (const f of ['netlinkjs.node', 'netlinkjs-nsexec']) {
        if (!files.includes(`prebuilds/linux-${arch}/${f}`)) throw new Error(`the tarball lacks prebuilds/linux-${arch}/${f} (run npm run prebuild)`);
      }
    }
    // The checkout's V8 code cache belongs to its own Node; an install writes its own.
    const cached = files.filter((f) => f.includes('.v8-cache'));
    if (cached.length) throw new Error(`the tarball ships a code cache: ${cached.join(', ')}`);
    return `${path.basename(tarball)}, ${files.length} files, ${(out[0].size / 1024).toFixed(0)} KiB`;
  });
  if (!tarball) throw new Error('no tarball');

  // 2. Install and use it with nothing but node on PATH.
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, path.join(bin, 'node'));
  // npm runs install scripts through sh; a shell is not a compiler.
  symlinkSync('/bin/sh', path.join(bin, 'sh'));
  const env = { ...process.env, PATH: bin, npm_config_nodedir: '', CC: '', CXX: '' };
  const project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', private: true }));
  const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  const npm = existsSync(npmCli) ? npmCli : require.resolve('npm/bin/npm-cli.js');
  step('no compiler, make or python on the install PATH', () => {
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python3', 'python']) {
      const r = spawnSync(tool, ['--version'], { env });
      if (!r.error) throw new Error(`${tool} is reachable`);
    }
  });
  step('install with no compiler (a prebuild is used)', () => {
    run(process.execPath, [npm, 'install', '--no-audit', '--no-fund', '--offline=false', tarball], { cwd: project, env });
    const installed = path.join(project, 'node_modules', 'netlinkjs');
    if (existsSync(path.join(installed, 'build'))) throw new Error('install compiled the addon instead of using a prebuild');
    return readdirSync(path.join(installed, 'prebuilds')).join(', ');
  });
  const call = "(await nl.open()).link.list().then((l) => { if (!l.some((x) => x.name === 'lo')) throw new Error('no lo'); console.log(l.length + ' links'); })";
  step('require + a real call', () => run(process.execPath, ['-e', `const nl = require('netlinkjs'); (async () => { await ${call}; process.exit(0); })().catch((e) => { console.error(e); process.exit(1); })`], { cwd: project, env }).trim());
  step('the code cache: written at install, accepted by later loads', () => {
    const dir = path.join(project, 'node_modules', 'netlinkjs', 'dist', '.v8-cache');
    const files = existsSync(dir) ? readdirSync(dir).sort() : [];
    const want = [`netlinkjs-cli.bundle-${process.versions.v8}-${process.arch}.bin`, `netlinkjs.bundle-${process.versions.v8}-${process.arch}.bin`];
    if (files.join() !== want.join()) throw new Error(`expected ${want.join(', ')} in ${dir}, found: ${files.join(', ') || 'none'}`);
    const library = want[1];
    const file = path.join(dir, library);
    const before = statSync(file).mtimeMs;
    run(process.execPath, ['-e', "require('netlinkjs')"], { cwd: project, env });
    // A cache V8 rejected would be rewritten; an accepted one is left alone.
    if (statSync(file).mtimeMs !== before) throw new Error('the second load rewrote the cache: V8 rejected it');
    return library;
  });
  step('import + a real call', () => run(process.execPath, ['--input-type=module', '-e', `import * as nl from 'netlinkjs'; await ${call}; process.exit(0);`], { cwd: project, env }).trim());
  step('the bin runs', () => run(process.execPath, [path.join(project, 'node_modules', '.bin', 'netlinkjs'), 'link'], { cwd: project, env }).split('\n')[0]);

  // 3. arm64 under qemu-user.
  step('arm64 prebuild in an arm64 Node under qemu-user', () => {
    const arm64Root = process.env.NETLINKJS_ARM64_ROOT ?? path.join(tmpdir(), 'netlinkjs-arm64-root');
    const node = path.join(arm64Root, 'usr', 'bin', 'node');
    if (!existsSync(node)) unpackArm64Node(arm64Root);
    const out = run('qemu-aarch64', ['-L', arm64Root, node, '-e', `const nl = require('netlinkjs'); console.log(process.arch, process.version); (async () => { await ${call}; process.exit(0); })().catch((e) => { console.error(e); process.exit(1); })`], { cwd: project });
    if (!out.startsWith('arm64')) throw new Error(`not an arm64 node: ${out}`);
    return out.trim().replace(/\n/g, ', ');
  });

  // 4. Types and package metadata.
  step('attw (are the types wrong)', () => {
    const out = run(path.join(root, 'node_modules', '.bin', 'attw'), [tarball, '--format', 'table-flipped'], { cwd: work });
    return out.includes('No problems found') ? 'no problems found' : out.trim().split('\n').pop();
  });
  step('publint', () => {
    const out = run(path.join(root, 'node_modules', '.bin', 'publint'), ['run', tarball, '--strict'], { cwd: work });
    if (!/All good/i.test(out)) throw new Error(out);
    return out.trim().split('\n').pop();
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(failed ? `${failed} check(s) failed` : 'package checks passed');
process.exit(failed ? 1 : 0);

/** Debian's nodejs:arm64 and what it needs (arm64 libraries, JS builtins it keeps outside), unpacked into `dir`. */
function unpackArm64Node(dir) {
  const dl = mkdtempSync(path.join(tmpdir(), 'nljs-arm64-debs-'));
  try {
    const deps = run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', '--no-pre-depends', 'nodejs:arm64']);
    const names = [...new Set(deps.split('\n').filter((l) => /^[a-z0-9]/.test(l)))];
    const arm64 = names.filter((n) => n.endsWith(':arm64') && !/^(dpkg|install-info|tar|openssl|gcc-12-base):/.test(n));
    const indep = names.filter((n) => n.startsWith('node-'));
    run('apt-get', ['download', ...arm64, ...indep], { cwd: dl });
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dl).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg', ['-x', path.join(dl, f), dir]);
  } finally {
    rmSync(dl, { recursive: true, force: true });
  }
}
