/**
 * `sudo npm run demo -- a` (network A, libvirt's default network) run as users run it: the
 * compiled demo (dist-demo/, rebuilt first when the sources are newer), checked by its output —
 * every check "ok", the VMs seen from outside as the host's address, the port forward served by
 * vm1, conntrack entries with SRC_NAT and DST_NAT — and by what it leaves behind: nothing, also
 * when interrupted with Ctrl-C (SIGINT) halfway.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ip, isRoot } from '../helpers/netns';

const root = path.resolve(__dirname, '../..');
const entry = path.join(root, 'dist-demo', 'index.js');
const compiled = path.join(root, 'dist-demo', 'network-a.js');

/** Newest mtime of the .ts files under `dir`. */
function newest(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.name.endsWith('.ts')) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

function demoNamespaces(): string[] {
  return ip('netns', 'list').split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith('nljs-a-'));
}

/** Runs the demo; `interruptAfter` sends SIGINT once that text has been printed. */
function runDemo(interruptAfter?: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [entry, 'a'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  const onData = (d: Buffer) => {
    out += d.toString();
    if (interruptAfter && !sent && out.includes(interruptAfter)) {
      sent = true;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe.skipIf(!isRoot)('demo: network A', () => {
  beforeAll(() => {
    const stale = !existsSync(compiled) || statSync(compiled).mtimeMs < Math.max(newest(path.join(root, 'lib')), newest(path.join(root, 'demo')));
    if (stale) execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.mjs')], { cwd: root, stdio: 'inherit' });
  }, 240_000);

  it('builds the network, proves NAT, the port forward and isolation, and removes everything', async () => {
    const before = demoNamespaces();
    const { code, out } = await runDemo();
    expect(out, out).not.toContain('FAIL');
    expect(code, out).toBe(0);
    expect(out).toMatch(/vm1 \(192\.168\.122\.11\) → outside: reached; the outside saw 198\.51\.100\.1\b/);
    expect(out).toMatch(/vm2 \(192\.168\.122\.12\) → outside: reached; the outside saw 198\.51\.100\.1\b/);
    expect(out).toMatch(/served by vm1 \(192\.168\.122\.11:80\), which saw the client 198\.51\.100\.254/);
    expect(out).toMatch(/vm3 \(192\.168\.100\.13\) → vm1: blocked/);
    expect(out).toMatch(/tcp .*src=192\.168\.122\.1[12] dst=198\.51\.100\.254 .*dst=198\.51\.100\.1 .*\[SRC_NAT\]/);
    expect(out).toMatch(/tcp .*dst=198\.51\.100\.1 sport=\d+ dport=8080 .*src=192\.168\.122\.11 .*\[DST_NAT\]/);
    expect(out).toContain('all as expected');
    expect(out).toContain('removed everything the demo made.');
    expect(demoNamespaces()).toEqual(before);
  }, 120_000);

  it('cleans up when interrupted with Ctrl-C', async () => {
    const before = demoNamespaces();
    const { code, out } = await runDemo('built:');
    expect(code, out).toBe(130);
    expect(out).toContain('removed everything the demo made.');
    expect(demoNamespaces()).toEqual(before);
  }, 120_000);
});
