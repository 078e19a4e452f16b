/**
 * Helpers for the TAP / macvtap / switch integration tests: async command runs (the event
 * loop must keep pumping frames while ping runs), ping, and small frame builders.
 */
import { execFile } from 'node:child_process';
import { ip, ipnJson, NetnsPool } from '../helpers/netns';
import * as tap from '../../lib/tap/tap';
import type { Tap } from '../../lib/tap/tap-device';
import { L2Switch, type L2SwitchOptions } from '../../lib/switch/l2-switch';

/** Result of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `ip netns exec NS cmd args…`, async. */
export function nsRun(ns: string, cmd: string, args: string[], timeoutMs?: number): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
}

/** One ping from namespace `ns` to `addr`; true when it was answered. */
export async function ping(ns: string, addr: string, waitSec = 3): Promise<boolean> {
  const r = await nsRun(ns, 'ping', ['-n', '-c', '1', '-W', String(waitSec), addr]);
  return r.code === 0;
}

/** MAC of a link inside a namespace, as iproute2 reports it. */
export function macOf(ns: string, dev: string): string {
  return ipnJson<{ address: string }[]>(ns, 'link', 'show', 'dev', dev)[0].address;
}

/** ifindex of a link inside a namespace, as iproute2 reports it. */
export function ifindexOf(ns: string, dev: string): number {
  return ipnJson<{ ifindex: number }[]>(ns, 'link', 'show', 'dev', dev)[0].ifindex;
}

/** Waits until `cond()` is true, polling every 10 ms (the test's own timeout bounds it). */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/** Standard Internet checksum over a buffer range. */
export function inetChecksum(buf: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += (buf[i] << 8) | (i + 1 < end ? buf[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Turns an IPv4 ICMP echo request (starting at `ip`) into the echo reply, in a new Buffer:
 * swap addresses, type 0, checksums recomputed. Returns undefined for anything else.
 */
export function icmpEchoReply(pkt: Uint8Array): Buffer | undefined {
  if (pkt.length < 28 || pkt[0] >> 4 !== 4 || pkt[9] !== 1) return undefined;
  const ihl = (pkt[0] & 0x0f) * 4;
  if (pkt[ihl] !== 8) return undefined;
  const r = Buffer.from(pkt);
  r.set(pkt.subarray(16, 20), 12);
  r.set(pkt.subarray(12, 16), 16);
  r[8] = 64;
  r.writeUInt16BE(0, 10);
  r.writeUInt16BE(inetChecksum(r, 0, ihl), 10);
  r[ihl] = 0;
  r.writeUInt16BE(0, ihl + 2);
  r.writeUInt16BE(inetChecksum(r, ihl, r.length), ihl + 2);
  return r;
}

/**
 * What a TAP test opened, so `cleanup()` (in afterEach) closes it all — taps before their
 * namespaces, since an open TAP fd keeps its namespace alive — even when the test failed.
 */
export class TapBed {
  readonly pool = new NetnsPool();
  readonly #taps: Tap[] = [];
  readonly #switches: L2Switch[] = [];

  /** `nl.tap.open(opts)`, remembering every queue. */
  async open(opts: tap.TapOptions): Promise<Tap> {
    const t = await tap.open(opts);
    this.#taps.push(...t.queues);
    return t;
  }

  /** Opens a TAP inside `ns`, gives it `cidr` (if any) and brings it up. */
  async openUp(ns: string, name: string, cidr?: string, opts: tap.TapOptions = {}): Promise<Tap> {
    const t = await this.open({ ...opts, netns: ns, name });
    if (cidr) ip('-n', ns, 'addr', 'add', cidr, 'dev', name);
    ip('-n', ns, 'link', 'set', name, 'up');
    return t;
  }

  /** Remembers a Tap opened some other way (macvtap, addQueue). */
  track<T extends Tap>(t: T): T {
    this.#taps.push(t);
    return t;
  }

  /** A new L2Switch, closed at cleanup. */
  switch(opts?: L2SwitchOptions): L2Switch {
    const sw = new L2Switch(opts);
    this.#switches.push(sw);
    return sw;
  }

  cleanup(): void {
    for (const s of this.#switches.splice(0)) s.close();
    for (const t of this.#taps.splice(0)) t.close();
    this.pool.cleanup();
  }
}
