/**
 * The package entry runs its bundle through V8's code cache (lib/boot/code-cache.ts): the first
 * load writes it, later loads use it, a cache made from another file or refused by V8 is
 * replaced, and a cache that cannot be written never stops the load.
 *
 * Every load is a fresh `node` process, as in real use (within one process V8 also keeps
 * compiled scripts in memory, which would answer before the cache file is ever read); the
 * loader is bundled from lib/ by esbuild for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

const BUNDLE = [
  '"use strict";',
  'const path = require("node:path");',
  'function fail() { throw new Error("boom"); }',
  'module.exports = { sep: path.sep, dir: __dirname, file: __filename, isMain: require.main === module, fail, sum: (a, b) => a + b };',
  '',
].join('\n');

let work: string;
let loader: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'nljs-code-cache-'));
  loader = path.join(work, 'loader.js');
  buildSync({ entryPoints: [path.resolve(__dirname, '../../lib/boot/code-cache.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: loader, logLevel: 'warning' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
function place(source = BUNDLE): string {
  const dir = path.join(work, `d${dirs++}`);
  const file = path.join(dir, 'lib.bundle.js');
  mkdirSync(dir);
  writeFileSync(file, source);
  return file;
}

interface Loaded {
  result: { cache: string; wrote: boolean };
  sum: number;
  dir: string;
  file: string;
  isMain: boolean;
  stack: string;
}

/** Loads `file` as the main module of a fresh process. */
function load(file: string, env: Record<string, string> = {}): Loaded {
  const program = `
    const r = require(${JSON.stringify(loader)}).loadBundle(${JSON.stringify(file)}, module);
    const e = module.exports;
    let stack = '';
    try { e.fail(); } catch (err) { stack = err.stack; }
    process.stdout.write(JSON.stringify({ result: r, sum: e.sum(2, 3), dir: e.dir, file: e.file, isMain: e.isMain, stack }));`;
  // A file, not `-e`: only a file is the process's main module (the CLI checks require.main).
  const main = path.join(work, `main${dirs}.js`);
  writeFileSync(main, program);
  const r = spawnSync(process.execPath, [main], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Loaded;
}

const cacheDir = (file: string) => path.join(path.dirname(file), '.v8-cache');
const cacheFiles = (file: string) => (existsSync(cacheDir(file)) ? readdirSync(cacheDir(file)) : []);

describe('loadBundle', () => {
  it('the first load compiles and writes the cache; the next loads use it', () => {
    const file = place();
    const a = load(file);
    expect(a.result).toEqual({ cache: 'miss', wrote: true });
    expect(a).toMatchObject({ sum: 5, dir: path.dirname(file), file, isMain: true });
    expect(cacheFiles(file)).toEqual([`lib.bundle-${process.versions.v8}-${process.arch}.bin`]);
    const b = load(file);
    expect(b.result).toEqual({ cache: 'hit', wrote: false });
    expect(b.sum).toBe(5);
    expect(load(file).result.cache).toBe('hit');
  });

  it('a rewritten bundle never runs the old cache, even at the same length', () => {
    const file = place();
    load(file);
    // Same length: V8's own check (the source length) would accept the old cache.
    writeFileSync(file, BUNDLE.replace('a + b', 'a * b'));
    const b = load(file);
    expect(b.result).toEqual({ cache: 'rejected', wrote: true });
    expect(b.sum).toBe(6);
    expect(load(file)).toMatchObject({ result: { cache: 'hit', wrote: false }, sum: 6 });
  });

  it('a cache V8 refuses is replaced by a good one', () => {
    const file = place();
    load(file);
    const cacheFile = path.join(cacheDir(file), cacheFiles(file)[0]);
    const saved = readFileSync(cacheFile);
    const identityEnd = saved.indexOf(0x0a) + 1;
    // The identity line still fits; V8's part is garbage.
    writeFileSync(cacheFile, Buffer.concat([saved.subarray(0, identityEnd), Buffer.alloc(saved.length - identityEnd, 0x5a)]));
    const b = load(file);
    expect(b.result).toEqual({ cache: 'rejected', wrote: true });
    expect(b.sum).toBe(5);
    expect(load(file).result).toEqual({ cache: 'hit', wrote: false });
  });

  it('loads when the cache cannot be written', () => {
    const file = place();
    // A file where the cache directory should be: making it fails, as on a read-only install.
    writeFileSync(cacheDir(file), 'not a directory');
    const a = load(file);
    expect(a.result).toEqual({ cache: 'miss', wrote: false });
    expect(a.sum).toBe(5);
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['.v8-cache', 'lib.bundle.js']);
  });

  it('keeps a shebang line as a comment, so line numbers still match the file', () => {
    const file = place(`#!/usr/bin/env node\n${BUNDLE}`);
    for (const cache of ['miss', 'hit']) {
      const a = load(file);
      expect(a.result.cache).toBe(cache);
      expect(a.sum).toBe(5);
      // `fail` is on line 3 of BUNDLE, line 4 of the file.
      expect(a.stack).toContain(`${file}:4:`);
    }
  });

  it('NETLINKJS_CODE_CACHE=0 loads with plain require and writes nothing', () => {
    const file = place();
    const a = load(file, { NETLINKJS_CODE_CACHE: '0' });
    expect(a.result).toEqual({ cache: 'off', wrote: false });
    expect(a.sum).toBe(5);
    expect(existsSync(cacheDir(file))).toBe(false);
  });
});
