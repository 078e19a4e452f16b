#!/usr/bin/env node
// `npm run bench:tap`: throughput between two namespaces through four paths, measured in the
// same run, alternating the paths round by round, reporting medians:
//   (a) a kernel bridge with veth pairs,
//   (b) a plain C TAP↔TAP forwarder (scripts/bench/tap-forwarder.c: read/write per frame, epoll),
//   (c) the JS L2Switch over netlinkjs TAPs,
//   (d) the same with vnet_hdr and offloads (csum, tso4, tso6): 64 KiB super-frames.
// Each path: iperf3 TCP (MTU 1500) in Gbit/s, and iperf3 UDP with 18-byte payloads — 60-byte
// frames on the TAP, 64 bytes on a wire with the FCS — in delivered packets/s, counted by the
// receiving interface in namespace B (so the iperf3 receiver's own socket drops do not count
// against the forwarder), with iperf3's received count alongside. For (b)–(d) it also reports
// the forwarder process's CPU time per delivered frame, which a busy machine disturbs less.
//
// Needs root, iperf3, a C compiler, and the built library (npm run build). Uses only addresses
// inside the namespaces it makes, and removes them at the end.
//   BENCH_ROUNDS (default 5), BENCH_SECONDS per test (default 4), BENCH_BATCH (the JS switch's
//   batchFrames, default 256).
//
// Internal mode: `tap.mjs --switch NS_A TAP_A NS_B TAP_B [--vnet]` runs the JS switch (c/d).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ip, median, procCpuMs, root } from './bench-env.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The JS switch between two attached TAPs, until SIGTERM; prints its stats on stderr. */
async function runSwitch([nsA, tapA, nsB, tapB, flag]) {
  const { open } = require(path.join(root, 'dist', 'tap', 'tap.js'));
  const { L2Switch } = require(path.join(root, 'dist', 'switch', 'l2-switch.js'));
  const opts = flag === '--vnet' ? { vnetHdr: true, offloads: ['csum', 'tso4', 'tso6'] } : {};
  if (process.env.BENCH_BATCH) opts.batchFrames = Number(process.env.BENCH_BATCH);
  const ta = await open({ name: tapA, netns: nsA, attach: true, ...opts });
  const tb = await open({ name: tapB, netns: nsB, attach: true, ...opts });
  const sw = new L2Switch();
  sw.addPort(ta, { name: 'a' });
  sw.addPort(tb, { name: 'b' });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    const s = sw.stats;
    process.stderr.write(`${JSON.stringify({ rxFrames: s.rxFrames, rxBatches: s.rxBatches, txFrames: s.txFrames, drops: s.drops })}\n`);
    sw.close();
    ta.close();
    tb.close();
    process.exit(0);
  });
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function have(cmd) {
  try {
    sh('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err || out}`))));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, cond, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Rebuilds dist/ when lib/ is newer (the JS switch runs from the build). */
function ensureBuilt() {
  const marker = path.join(root, 'dist', 'switch', 'l2-switch.js');
  const newest = (dir) =>
    sh('find', [dir, '-name', '*.ts', '-newer', marker]).trim().length > 0;
  if (!existsSync(marker) || newest(path.join(root, 'lib'))) {
    console.log('building dist/ (node scripts/build-ts.mjs) …');
    try {
      sh(process.execPath, [path.join(root, 'scripts', 'build-ts.mjs')], { stdio: 'inherit' });
    } catch (e) {
      // tsc reports errors elsewhere in lib/ but still emits; what we run must exist.
      if (!existsSync(marker)) throw e;
      console.log('(the build reported errors; using the files it emitted)');
    }
  }
  if (!existsSync(path.join(root, 'build', 'Release', 'netlinkjs.node'))) throw new Error('the addon is not built: run npx node-gyp rebuild');
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench:tap needs root (namespaces, TAP devices)');
  for (const cmd of ['iperf3', 'cc', 'ip']) if (!have(cmd)) throw new Error(`bench:tap needs ${cmd} (apt-get install -y iperf3 gcc iproute2)`);
  ensureBuilt();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const seconds = Number(process.env.BENCH_SECONDS ?? 4);

  const work = mkdtempSync(path.join(tmpdir(), 'nljs-bench-tap-'));
  const forwarder = path.join(work, 'tap-forwarder');
  sh('cc', ['-O2', '-Wall', '-o', forwarder, path.join(here, 'tap-forwarder.c')]);

  const tag = randomBytes(2).toString('hex');
  const nsA = `nljs-bench-a-${tag}`;
  const nsB = `nljs-bench-b-${tag}`;
  const nsS = `nljs-bench-s-${tag}`;
  const made = [];
  const children = new Set();
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
    for (const ns of made) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* already gone */
      }
    }
    rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  try {
    for (const ns of [nsA, nsB, nsS]) {
      ip('netns', 'add', ns);
      made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // (a): A ─ veth ─ br0 (nsS) ─ veth ─ B
    ip('-n', nsS, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', nsS, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'va', 'netns', nsA);
    ip('-n', nsS, 'link', 'add', 'vb', 'type', 'veth', 'peer', 'name', 'vb', 'netns', nsB);
    for (const d of ['va', 'vb']) {
      ip('-n', nsS, 'link', 'set', d, 'master', 'br0');
      ip('-n', nsS, 'link', 'set', d, 'up');
    }
    ip('-n', nsS, 'link', 'set', 'br0', 'up');
    // (b)(c)(d): persistent TAPs in A and B; each forwarder attaches to them.
    for (const [ns, dev] of [
      [nsA, 'ta'],
      [nsB, 'tb'],
    ]) {
      ip('-n', ns, 'tuntap', 'add', 'dev', dev, 'mode', 'tap');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    ip('-n', nsA, 'addr', 'add', '10.250.0.1/24', 'dev', 'va');
    ip('-n', nsB, 'addr', 'add', '10.250.0.2/24', 'dev', 'vb');
    ip('-n', nsA, 'link', 'set', 'va', 'up');
    ip('-n', nsB, 'link', 'set', 'vb', 'up');
    ip('-n', nsA, 'addr', 'add', '10.251.0.1/24', 'dev', 'ta');
    ip('-n', nsB, 'addr', 'add', '10.251.0.2/24', 'dev', 'tb');

    const nsPath = (ns) => `/run/netns/${ns}`;
    const node = process.execPath;
    const self = fileURLToPath(import.meta.url);
    const configs = [
      { key: 'a', label: 'kernel bridge + veth', addr: '10.250.0.2', rxDev: 'vb' },
      { key: 'b', label: 'C TAP forwarder', addr: '10.251.0.2', rxDev: 'tb', cmd: [forwarder, nsPath(nsA), 'ta', nsPath(nsB), 'tb'] },
      { key: 'c', label: 'JS L2Switch', addr: '10.251.0.2', rxDev: 'tb', cmd: [node, self, '--switch', nsA, 'ta', nsB, 'tb'] },
      { key: 'd', label: 'JS L2Switch + vnet_hdr', addr: '10.251.0.2', rxDev: 'tb', cmd: [node, self, '--switch', nsA, 'ta', nsB, 'tb', '--vnet'] },
    ];
    const results = Object.fromEntries(configs.map((c) => [c.key, { tcp: [], pps: [], iperfPps: [], tcpCpu: [], udpCpu: [], notes: [] }]));

    const rxPackets = (ns, dev) => JSON.parse(ip('-n', ns, '-j', '-s', 'link', 'show', 'dev', dev))[0].stats64.rx.packets;
    // Frames the path delivered into both namespaces (data one way, ACKs the other).
    const delivered = (cfg) => rxPackets(nsB, cfg.rxDev) + rxPackets(nsA, cfg.rxDev === 'vb' ? 'va' : 'ta');
    // CPU time of a forwarder process (user + system), in microseconds: the cost per frame
    // it implies holds up better than throughput on a busy 2-CPU machine.
    const cpuUs = (pid) => procCpuMs(pid) * 1000;
    const carrier = (ns, dev) => JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'dev', dev))[0].flags.includes('LOWER_UP');
    let port = 5201;

    async function iperf(cfg, udp, pid) {
      const p = port++;
      const server = spawn('ip', ['netns', 'exec', nsB, 'iperf3', '-s', '-1', '-B', cfg.addr, '-p', String(p)], { stdio: 'ignore' });
      children.add(server);
      try {
        await waitFor('iperf3 server', () => sh('ip', ['netns', 'exec', nsB, 'ss', '-Hltn', 'sport', '=', `:${p}`]).includes(String(p)));
        const args = ['netns', 'exec', nsA, 'iperf3', '-c', cfg.addr, '-p', String(p), '-t', String(seconds), '-J'];
        if (udp) args.push('-u', '-b', '0', '-l', '18');
        const rxB0 = rxPackets(nsB, cfg.rxDev);
        const frames0 = delivered(cfg);
        const cpu0 = pid ? cpuUs(pid) : 0;
        const out = JSON.parse(await run('ip', args));
        const frames = delivered(cfg) - frames0;
        const cpuPerFrame = pid ? (cpuUs(pid) - cpu0) / Math.max(1, frames) : NaN;
        if (!udp) return { gbps: out.end.sum_received.bits_per_second / 1e9, cpuPerFrame };
        const s = out.end.sum;
        return { pps: (rxPackets(nsB, cfg.rxDev) - rxB0) / s.seconds, iperfPps: (s.packets - s.lost_packets) / s.seconds, cpuPerFrame };
      } finally {
        server.kill('SIGKILL');
        children.delete(server);
      }
    }

    async function startForwarder(cfg) {
      if (!cfg.cmd) return undefined;
      const child = spawn(cfg.cmd[0], cfg.cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await waitFor(`${cfg.label} to start`, () => out.includes('ready') || child.exitCode !== null);
      if (!out.includes('ready')) throw new Error(`${cfg.label} failed: ${err}`);
      await waitFor('TAP carrier', () => carrier(nsA, 'ta') && carrier(nsB, 'tb'));
      return {
        pid: child.pid,
        async stop() {
          child.kill('SIGTERM');
          await exited;
          children.delete(child);
          return err.trim();
        },
      };
    }

    console.log(`bench:tap — ${rounds} rounds × 4 paths, ${seconds} s per test, kernel ${sh('uname', ['-r']).trim()}, ${sh('nproc', []).trim()} CPUs`);
    for (let r = 0; r < rounds; r++) {
      // Rotate the order each round so no path always runs first or last.
      const order = configs.map((_, i) => configs[(i + r) % configs.length]);
      for (const cfg of order) {
        const fwd = await startForwarder(cfg);
        try {
          const tcp = await iperf(cfg, false, fwd?.pid);
          const udp = await iperf(cfg, true, fwd?.pid);
          const res = results[cfg.key];
          res.tcp.push(tcp.gbps);
          res.pps.push(udp.pps);
          res.iperfPps.push(udp.iperfPps);
          res.tcpCpu.push(tcp.cpuPerFrame);
          res.udpCpu.push(udp.cpuPerFrame);
          const cpu = fwd ? `   forwarder CPU/frame ${tcp.cpuPerFrame.toFixed(2)} / ${udp.cpuPerFrame.toFixed(2)} µs` : '';
          console.log(`  round ${r + 1} (${cfg.key}) ${cfg.label.padEnd(24)} TCP ${tcp.gbps.toFixed(2).padStart(6)} Gbit/s   UDP-64 ${Math.round(udp.pps).toString().padStart(8)} pps (iperf3 received ${Math.round(udp.iperfPps)})${cpu}`);
        } finally {
          const note = fwd ? await fwd.stop() : '';
          if (note && cfg.key !== 'b') results[cfg.key].notes.push(note);
        }
      }
    }

    const med = Object.fromEntries(
      configs.map((c) => {
        const r = results[c.key];
        return [c.key, { tcp: median(r.tcp), pps: median(r.pps), iperfPps: median(r.iperfPps), tcpCpu: median(r.tcpCpu), udpCpu: median(r.udpCpu) }];
      }),
    );
    console.log('\nmedians');
    console.log('  path                          TCP Gbit/s  UDP-64 delivered pps  (iperf3 received)  CPU µs/frame TCP / UDP-64');
    for (const c of configs) {
      const m = med[c.key];
      const cpu = Number.isNaN(m.tcpCpu) ? '(in the kernel)' : `${m.tcpCpu.toFixed(2)} / ${m.udpCpu.toFixed(2)}`;
      console.log(`  (${c.key}) ${c.label.padEnd(25)} ${m.tcp.toFixed(2).padStart(10)}  ${Math.round(m.pps).toString().padStart(20)}  ${Math.round(m.iperfPps).toString().padStart(17)}  ${cpu}`);
    }
    const ratio = (x, y) => (x / y).toFixed(2);
    console.log('\nratios (targets in brackets)');
    console.log(`  TCP     (c)/(b) = ${ratio(med.c.tcp, med.b.tcp)}  [≥ 0.8]`);
    console.log(`  UDP-64  (c)/(b) = ${ratio(med.c.pps, med.b.pps)}  [≥ 0.8]`);
    console.log(`  TCP     (d)/(b) = ${ratio(med.d.tcp, med.b.tcp)}  [≥ 2]`);
    console.log(`  TCP     (d)/(a) = ${ratio(med.d.tcp, med.a.tcp)}`);
    console.log(`  UDP-64  (d)/(b) = ${ratio(med.d.pps, med.b.pps)}`);
    console.log(`  forwarder CPU per frame, (b)/(c): TCP ${ratio(med.b.tcpCpu, med.c.tcpCpu)}, UDP-64 ${ratio(med.b.udpCpu, med.c.udpCpu)}  (1 = the JS switch costs what the C forwarder does)`);
    const last = results.c.notes.at(-1);
    if (last) {
      const s = JSON.parse(last.split('\n').at(-1));
      console.log(`\n  JS switch (c), last run: ${s.rxFrames} frames in ${s.rxBatches} batches (${(s.rxFrames / Math.max(1, s.rxBatches)).toFixed(1)} frames per JS call)`);
    }
  } finally {
    cleanup();
  }
}

// Dispatch last: the helpers above must be initialised first.
if (process.argv[2] === '--switch') {
  await runSwitch(process.argv.slice(3));
} else {
  await main();
}
