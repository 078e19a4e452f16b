/**
 * The daemon as users run it: `node examples/overlay-agent …` in a child process programs its
 * host from the store, and withdraws its keys on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { NetnsPool, bridgeJson, ip, ipnJson, isRoot } from '../../../test/helpers/netns';
// @ts-ignore plain JavaScript module without declarations
import { startEtcd } from './helpers/etcd.js';
import { waitFor } from './helpers/topology';

const AGENT_DIR = path.resolve(__dirname, '..');

describe.skipIf(!isRoot)('overlay-agent command line', () => {
  let etcd: { url: string; stop(): Promise<void> };
  let client: Etcd3;
  const pool = new NetnsPool();
  let ns: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.url });
    ns = pool.add('ovcli');
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', ns, 'address', 'add', '192.0.2.1/24', 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'add', 'vm100', 'type', 'veth', 'peer', 'name', 'vm100p');
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    client?.close();
    pool.cleanup();
    await etcd?.stop();
  });

  it('programs its host from the store and withdraws its keys on SIGTERM', async () => {
    await client.put('/overlay/vteps/100/far').value('{"vtep":"192.0.2.2"}');
    await client.put('/overlay/ports/100/far/02:00:00:00:00:02').value('{"mac":"02:00:00:00:00:02","ip":"10.0.0.2","vtep":"192.0.2.2"}');
    child = spawn(process.execPath, [AGENT_DIR, '--etcd', etcd.url, '--host-netns', ns, '--underlay', 'eth0',
      '--network', '100', '--port', '100,vm100,02:00:00:00:00:01,10.0.0.1', '--ttl', '5', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const fdb = () => {
      try {
        return bridgeJson<any[]>(ns, 'fdb', 'show', 'dev', 'vx-100')
          .filter((e) => e.state !== 'permanent' || e.mac === '00:00:00:00:00:00')
          .map((e) => `${e.mac} ${e.dst ?? e.master} ${e.state}`).sort();
      } catch {
        return []; // no vx-100 yet
      }
    };
    const want = ['00:00:00:00:00:00 192.0.2.2 permanent', '02:00:00:00:00:02 192.0.2.2 static', '02:00:00:00:00:02 br-100 static'];
    expect(await waitFor(() => JSON.stringify(fdb()) === JSON.stringify(want), 15_000), stderr).toBe(true);
    expect(ipnJson<any[]>(ns, 'neigh', 'show', 'dev', 'br-100', 'nud', 'permanent').map((n) => `${n.dst} ${n.lladdr}`)).toEqual(['10.0.0.2 02:00:00:00:00:02']);
    expect(ipnJson<any[]>(ns, 'link', 'show', 'vm100')[0].master).toBe('br-100');
    const mine = async () => (await client.getAll().prefix(`/overlay/`).keys()).filter((k) => k.includes(`/${ns}`)).sort();
    expect(await mine()).toEqual([`/overlay/ports/100/${ns}/02:00:00:00:00:01`, `/overlay/vteps/100/${ns}`]);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await mine()).toEqual([]); // revoked at once, not left to the TTL
    expect(fdb()).toEqual(want); // the kernel stays as programmed
  });
});
