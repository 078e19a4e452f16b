// Compiles lib/ to dist/ (CommonJS + .d.ts), the demos to dist-demo/, and writes dist/index.mjs, an ES module that
// re-exports every name of the CommonJS build so `import { open } from 'netlinkjs'` works.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync, chmodSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });

// Read the export names from the compiled module's source: loading it would need the addon,
// which may not be built yet when `prepare` runs.
const cjs = path.join(root, 'dist', 'index.js');
const names = new Set();
const src = (await import('node:fs')).readFileSync(cjs, 'utf8');
for (const m of src.matchAll(/exports\.([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]);
for (const m of src.matchAll(/Object\.defineProperty\(exports,\s*"([^"]+)"/g)) names.add(m[1]);
for (const m of src.matchAll(/__exportStar\(require\("([^"]+)"\)/g)) {
  throw new Error(`dist/index.js uses export * from ${m[1]}; list the names explicitly in lib/index.ts`);
}
names.delete('__esModule');
const body = [
  "import cjs from './index.js';",
  `export const { ${[...names].sort().join(', ')} } = cjs;`,
  'export default cjs;',
  '',
].join('\n');
writeFileSync(path.join(root, 'dist', 'index.mjs'), body);
const cli = path.join(root, 'dist', 'cli', 'main.js');
if (existsSync(cli)) chmodSync(cli, 0o755);

// The demos are not library code: they use the package by its name, compiled on their own
// against dist/'s declarations (a checkout resolves 'netlinkjs' to itself through `exports`).
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'demo', 'tsconfig.json')], { stdio: 'inherit' });
