/**
 * A throwaway etcd (Debian's etcd-server) for the overlay tests and the scale bench: it listens
 * on 127.0.0.1 only, on free ports, with a temporary data directory that stop() removes.
 * Plain JavaScript so the bench (node bench/scale.mjs) and the tests share it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A port the kernel just handed out on 127.0.0.1 (free right now). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts etcd and resolves once it answers /health with { url, stop() }; stop() ends it and
 * removes its data directory.
 */
export async function startEtcd() {
  const dir = mkdtempSync(path.join(tmpdir(), 'overlay-etcd-'));
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child = spawn('etcd', [
    '--name', 'overlay-test', '--data-dir', dir,
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `overlay-test=${peerUrl}`, '--initial-cluster-state', 'new',
    '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const spawnError = new Promise((resolve) => child.once('error', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const err = await Promise.race([spawnError, new Promise((r) => setTimeout(r, 100, null))]);
    if (err) {
      await stop();
      throw new Error(`cannot run etcd (${err.message}); install Debian's etcd-server`);
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`etcd exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok && (await res.json()).health === 'true') return { url, stop };
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy: ${stderr}`);
    }
  }
}
