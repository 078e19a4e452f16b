// Builds what the package ships from lib/:
// - tsc: per-file CommonJS + .d.ts in dist/ (the declarations are the package's types);
// - esbuild: the same code bundled into dist/netlinkjs.bundle.js (the library) and
//   dist/netlinkjs-cli.bundle.js (the CLI), with source maps into lib/, and the small loaders
//   dist/netlinkjs.js (the package's `require` entry) and dist/netlinkjs-cli.js (the bin) that
//   run them through V8's code cache. One file loads in a fraction of the time Node takes to
//   resolve and compile a hundred, and a cached one skips the parse (scripts/bench/load.mjs);
// - dist/index.mjs + index.d.mts: an ES module that re-exports every name of the bundle, so
//   `import { open } from 'netlinkjs'` works and has types;
// - the demos (dist-demo/), compiled on their own against dist/'s declarations: they are not
//   library code and use the package by its name.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });

const esbuild = require('esbuild');
// The bundles are minified in whitespace and syntax only (names stay, for stack traces; the
// source maps lead back to lib/), and ASCII-only so the loader can read them as latin1.
const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, sourcesContent: false,
  minifyWhitespace: true, minifySyntax: true, charset: 'ascii',
  external: ['node-gyp-build'], logLevel: 'warning', absWorkingDir: root,
};
esbuild.buildSync({ ...common, entryPoints: ['lib/index.ts'], outfile: 'dist/netlinkjs.bundle.js' });
esbuild.buildSync({ ...common, entryPoints: ['lib/cli/main.ts'], outfile: 'dist/netlinkjs-cli.bundle.js' });
// The package's entry and bin are small loaders that run those bundles through V8's code cache
// (lib/boot/code-cache.ts): after the first load, `require('netlinkjs')` skips the parse.
const loader = (bundle, banner) => ({
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', charset: 'ascii', logLevel: 'warning', absWorkingDir: root,
  banner: banner ? { js: banner } : undefined,
  stdin: {
    contents: `import { loadBundle } from './lib/boot/code-cache';\nloadBundle(require('node:path').join(__dirname, ${JSON.stringify(bundle)}), module);\n`,
    resolveDir: root, sourcefile: `${bundle}-loader.ts`, loader: 'ts',
  },
});
esbuild.buildSync({ ...loader('netlinkjs.bundle.js'), outfile: 'dist/netlinkjs.js' });
esbuild.buildSync({ ...loader('netlinkjs-cli.bundle.js', '#!/usr/bin/env node'), outfile: 'dist/netlinkjs-cli.js' });
chmodSync(path.join(root, 'dist', 'netlinkjs-cli.js'), 0o755);

// Read the export names from tsc's index.js source: loading it would need the addon, which may
// not be built yet when `prepare` runs.
const src = readFileSync(path.join(root, 'dist', 'index.js'), 'utf8');
const names = new Set();
for (const m of src.matchAll(/exports\.([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]);
for (const m of src.matchAll(/Object\.defineProperty\(exports,\s*"([^"]+)"/g)) names.add(m[1]);
for (const m of src.matchAll(/__exportStar\(require\("([^"]+)"\)/g)) {
  throw new Error(`dist/index.js uses export * from ${m[1]}; list the names explicitly in lib/index.ts`);
}
names.delete('__esModule');
const list = [...names].sort().join(', ');
writeFileSync(path.join(root, 'dist', 'index.mjs'), [
  "import cjs from './netlinkjs.js';",
  `export const { ${list} } = cjs;`,
  'export default cjs;',
  '',
].join('\n'));
writeFileSync(path.join(root, 'dist', 'index.d.mts'), [
  "import * as netlinkjs from './index.js';",
  "export * from './index.js';",
  'export default netlinkjs;',
  '',
].join('\n'));

execFileSync(process.execPath, [tsc, '-p', path.join(root, 'demo', 'tsconfig.json')], { stdio: 'inherit' });
