/**
 * Every ```js and ```ts example in README.md and docs/*.md runs, as written, against the real
 * kernel (TypeScript examples are stripped of their types by esbuild first).
 *
 * Each example runs in a process of its own inside a sandbox: a fresh network namespace (only
 * `lo`) and a private mount namespace whose /run/netns is an empty tmpfs and whose /sys shows
 * the new namespace's devices, so the namespaces an example makes with `nl.netns.add('h1')` are
 * its own, and everything it made is gone when the process ends. The example sees `nl` (the package, by its name) and `rt` (a handle opened in
 * that namespace) unless it declares them itself. An example whose first lines say
 * `// needs: vlan, netdevsim` (feature names of test/helpers/requires.ts) is skipped where the
 * kernel lacks them, with the reason, and runs in the VM tier (which runs only those).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect } from 'vitest';
import { itRequires, type Feature } from '../helpers/requires';

const root = path.resolve(__dirname, '..', '..');
const inVm = process.env.NETLINKJS_VM === '1';

interface Example {
  file: string;
  line: number;
  code: string;
  needs: Feature[];
}

function examples(file: string): Example[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const out: Example[] = [];
  for (const m of text.matchAll(/^```(js|ts)\n([\s\S]*?)^```/gm)) {
    let code = m[2]!;
    if (m[1] === 'ts') {
      try {
        code = transformSync(code, { loader: 'ts' }).code;
      } catch (err) {
        code = `throw new Error(${JSON.stringify(`not valid TypeScript: ${(err as Error).message}`)})`;
      }
    }
    const line = text.slice(0, m.index).split('\n').length + 1;
    const needs = [...m[2]!.matchAll(/^\/\/ needs: (.+)$/gm)].flatMap((n) => n[1]!.split(',').map((s) => s.trim() as Feature));
    out.push({ file, line, code, needs });
  }
  return out;
}

/** The example as a CommonJS program: `nl` and `rt` provided unless it declares them. */
function program(code: string): string {
  // `import * as nl from 'netlinkjs'` becomes a require at the top, before anything uses it.
  const imports: string[] = [];
  const body = code.replace(/^import \* as (\w+) from ['"]netlinkjs['"];?$/gm, (_m, name: string) => {
    imports.push(`const ${name} = require('netlinkjs');`);
    return '';
  });
  const declares = (name: string) => new RegExp(`\\b(const|let|var)\\s+${name}\\b`).test(imports.join('\n') + body);
  return [
    ...imports,
    declares('nl') ? '' : "const nl = require('netlinkjs');",
    '(async () => {',
    declares('rt') ? '' : 'const rt = await nl.open();',
    body,
    '})().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });',
  ].join('\n');
}

const files = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

describe('documentation examples', () => {
  for (const file of files) {
    for (const ex of examples(file)) {
      // The VM tier runs what the host can't; everything else ran on the host already.
      if (inVm && ex.needs.length === 0) continue;
      itRequires(['root', ...ex.needs], `${ex.file}:${ex.line}`, () => {
        const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', '--', 'sh', '-c',
          'mount -t tmpfs nljs-docs /run/netns && mount -t sysfs nljs-docs /sys && exec node -e "$NLJS_EXAMPLE"'], {
          cwd: root, encoding: 'utf8', timeout: inVm ? 170_000 : 60_000,
          env: { ...process.env, NLJS_EXAMPLE: program(ex.code) },
        });
        expect(r.status, `${ex.file}:${ex.line} failed:\n${r.stdout}${r.stderr}${r.error ?? ''}`).toBe(0);
      }, inVm ? 180_000 : 70_000);
    }
  }
});
