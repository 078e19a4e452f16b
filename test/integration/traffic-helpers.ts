/**
 * Real traffic inside test namespaces, for the conntrack and nftables tests: a TCP listener
 * that tells each client the address it saw (so NAT is observable from the far side), a
 * client, ping, and `nft -f` as the setup/oracle tool. Processes run inside the namespace
 * through netlinkjs' own `netns.spawn` (the `ip netns exec` equivalent).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { spawn } from '../../lib/netns/spawn';

const LISTENER = `
const net = require('node:net');
const [port, host] = [Number(process.argv[1]), process.argv[2] || undefined];
const srv = net.createServer((s) => {
  s.end(JSON.stringify({ peer: s.remoteAddress.replace(/^::ffff:/, ''), peerPort: s.remotePort, local: s.localAddress.replace(/^::ffff:/, ''), localPort: s.localPort }) + '\\n');
});
srv.listen(port, host, () => console.log('ready'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

const CLIENT = `
const net = require('node:net');
const [host, port, lport] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]) || undefined];
const s = net.connect({ host, port, localPort: lport });
let data = '';
s.setTimeout(Number(process.argv[4]) || 3000, () => { console.log(JSON.stringify({ error: 'timeout' })); process.exit(1); });
s.on('data', (d) => (data += d));
s.on('end', () => { console.log(data.trim()); process.exit(0); });
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(1); });
`;

/** What the listener tells a client: the peer address and port it saw, and its own. */
export interface PeerReport {
  peer: string;
  peerPort: number;
  local: string;
  localPort: number;
}

/** A TCP listener inside `ns`; `close()` ends it. */
export interface Listener {
  child: ChildProcess;
  close(): void;
}

/** Starts a listener in `ns` on `port` (all addresses unless `host`), resolved once it listens. */
export function listen(ns: string, port: number, host?: string): Promise<Listener> {
  const child = spawn(ns, process.execPath, ['-e', LISTENER, String(port), ...(host ? [host] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        child.stdout!.off('data', onData);
        resolve({ child, close: () => { child.stdin!.end(); child.kill(); } });
      }
    };
    child.stdout!.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`listener in ${ns} exited with ${code} before listening: ${out}`)));
  });
}

/**
 * Connects from `ns` to host:port; resolves with what the listener reported, or
 * `{ error: code }` when the connection failed (refused, timed out).
 */
export function connect(ns: string, host: string, port: number, opts: { localPort?: number; timeoutMs?: number } = {}): Promise<PeerReport | { error: string }> {
  const child = spawn(ns, process.execPath, ['-e', CLIENT, host, String(port), String(opts.localPort ?? 0), String(opts.timeoutMs ?? 3000)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() || '{}'));
      } catch {
        resolve({ error: `bad output ${JSON.stringify(out)}` });
      }
    });
  });
}

/** `ping -c count` from `ns`; true when a reply came back. */
export function ping(ns: string, addr: string, opts: { count?: number; waitS?: number } = {}): Promise<boolean> {
  const child = spawn(ns, 'ping', ['-n', '-q', '-c', String(opts.count ?? 1), '-W', String(opts.waitS ?? 2), addr], { stdio: 'ignore' });
  return new Promise((resolve) => {
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/** Runs `nft -f -` in `ns` with `script` (the oracle and setup tool). */
export function nftScript(ns: string, script: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `nft -j …` in `ns` and parses the JSON. */
export function nftJson(ns: string, ...args: string[]): any {
  return JSON.parse(execFileSync('ip', ['netns', 'exec', ns, 'nft', '-j', ...args], { encoding: 'utf8' }));
}

/** Runs `conntrack …` in `ns` and returns stdout (its summary line goes to stderr). */
export function conntrackTool(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'conntrack', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Sets a net.* sysctl inside `ns` (e.g. net.ipv4.ip_forward, net.netfilter.nf_conntrack_acct):
 * a process in the namespace writes /proc/sys, whose net/ entries are per namespace. Node does
 * the write, so no procps is needed.
 */
export function sysctl(ns: string, key: string, value: string | number): void {
  const file = `/proc/sys/${key.replace(/\./g, '/')}`;
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(String(value))})`], { stdio: 'ignore' });
}
