/**
 * Network namespaces against the real kernel, with iproute2 as the oracle: add/del/list
 * interoperate with `ip netns` both ways, handles keep namespaces alive, spawn runs programs
 * inside them, nothing leaks, and the test process's own thread never changes namespace.
 */
import { execFileSync, spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { ip, ipJson, ipnJson, isRoot, uniqueName } from '../helpers/netns';

const { netns } = nl;
const nsIno = (path: string) => fs.statSync(path).ino;
/** Mount points from /proc/self/mountinfo (field 5). */
const mountPoints = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((l) => l.split(' ')[4]!);
/**
 * Mounts that namespace churn of other processes (tests running in parallel) cannot change:
 * everything except the per-namespace mounts under /run/netns/. /run/netns itself counts, so a
 * stacked bind mount of the directory would show.
 */
const stableMounts = () => mountPoints().filter((m) => !m.startsWith('/run/netns/')).sort();
/** Mounts of these namespace names. */
const mountsOf = (names: string[]) => mountPoints().filter((m) => names.some((n) => m === `/run/netns/${n}`));
/** Sorted interface names from `ip -j link` output. */
const ifnames = (json: string) => (JSON.parse(json) as { ifname: string }[]).map((l) => l.ifname).sort();
/** Sorted interface names in a namespace, as `ip -n NS -j link` reports them. */
const linkNames = (ns: string) => ipnJson<{ ifname: string }[]>(ns, 'link').map((l) => l.ifname).sort();

/** Names this file made (by either tool); removed after each test even when it failed. */
const made = new Set<string>();
const etcDirs: string[] = [];
function name(prefix: string): string {
  const n = uniqueName(prefix);
  made.add(n);
  return n;
}

function ipNetnsNames(): string[] {
  // `ip -j netns list` prints nothing at all when there are no namespaces.
  return ipJson<{ name: string }[]>('netns', 'list').map((n) => n.name);
}

/** Runs a child to completion and returns its stdout, stderr, exit code and any 'error'. */
async function run(child: ChildProcess): Promise<{ stdout: string; stderr: string; code: number | null; error?: NodeJS.ErrnoException }> {
  let stdout = '';
  let stderr = '';
  let error: NodeJS.ErrnoException | undefined;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.on('error', (e) => (error = e));
  // Not events.once(): that rejects on 'error', which some tests expect to see.
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { stdout, stderr, code, ...(error ? { error } : {}) };
}

describe.skipIf(!isRoot)('netns (root)', () => {
  let mainNet = 0;
  let threadNet = 0;

  beforeAll(() => {
    mainNet = nsIno('/proc/self/ns/net');
    threadNet = nsIno('/proc/thread-self/ns/net');
  });

  afterEach(() => {
    for (const n of made) {
      try {
        ip('netns', 'del', n);
      } catch {
        /* deleted by the test itself */
      }
    }
    made.clear();
    // Innermost first: /etc/netns itself only when it was made here.
    for (const d of etcDirs.splice(0).reverse()) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('add / del / list and ip netns', () => {
    it('a namespace added by the library is listed and usable by ip netns', async () => {
      const x = name('add');
      await netns.add(x);
      expect(ipNetnsNames()).toContain(x);
      expect(await netns.list()).toContain(x);
      expect(ifnames(execFileSync('ip', ['netns', 'exec', x, 'ip', '-j', 'link'], { encoding: 'utf8' }))).toEqual(['lo']);
      // A fresh namespace, not the one we run in.
      expect(nsIno(`/run/netns/${x}`)).not.toBe(mainNet);
      await netns.del(x);
      expect(ipNetnsNames()).not.toContain(x);
      expect(fs.existsSync(`/run/netns/${x}`)).toBe(false);
    });

    it('keeps /run/netns a shared mount point, as iproute2 sets it up', async () => {
      const x = name('shared');
      await netns.add(x);
      const lines = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' '));
      const runDir = lines.filter((f) => f[4] === '/run/netns');
      expect(runDir.length).toBeGreaterThan(0);
      expect(runDir[runDir.length - 1]!.slice(6, runDir[runDir.length - 1]!.indexOf('-')).join(' ')).toMatch(/shared:\d+/);
      const nsMount = lines.filter((f) => f[4] === `/run/netns/${x}`);
      expect(nsMount).toHaveLength(1);
      expect(nsMount[0]!.slice(nsMount[0]!.indexOf('-') + 1)[0]).toBe('nsfs');
    });

    it('lists, opens and deletes a namespace added by ip netns', async () => {
      const y = name('ipadd');
      ip('netns', 'add', y);
      expect(await netns.list()).toContain(y);
      const h = netns.open(y);
      expect(h.inode).toBe(nsIno(`/run/netns/${y}`));
      h.close();
      await netns.del(y);
      expect(ipNetnsNames()).not.toContain(y);
    });

    it('ip netns del removes a namespace added by the library', async () => {
      const x = name('ipdel');
      await netns.add(x);
      ip('netns', 'del', x);
      expect(await netns.list()).not.toContain(x);
    });

    it('add of an existing name rejects with EEXIST and leaves it alone', async () => {
      const x = name('exist');
      await netns.add(x);
      const before = nsIno(`/run/netns/${x}`);
      await expect(netns.add(x)).rejects.toMatchObject({ code: 'EEXIST', errno: 17, message: expect.stringContaining(x) });
      expect(nsIno(`/run/netns/${x}`)).toBe(before);
      const y = name('exist-ip');
      ip('netns', 'add', y);
      await expect(netns.add(y)).rejects.toMatchObject({ code: 'EEXIST' });
    });

    it('del of a missing name rejects with ENOENT', async () => {
      const x = uniqueName('missing');
      await expect(netns.del(x)).rejects.toMatchObject({ code: 'ENOENT', errno: 2, message: expect.stringContaining(x) });
    });

    it.each([
      ['', 'empty'],
      ['.', 'dot'],
      ['..', 'dot-dot'],
      ['a/b', 'slash'],
      ['a\0b', 'NUL'],
      ['x'.repeat(256), 'too long'],
    ])('rejects the name %j (%s) before touching anything', async (bad) => {
      const before = fs.readdirSync('/run/netns').length;
      await expect(netns.add(bad)).rejects.toBeInstanceOf(nl.ValidationError);
      await expect(netns.add(bad)).rejects.toMatchObject({ field: 'name' });
      await expect(netns.del(bad)).rejects.toBeInstanceOf(nl.ValidationError);
      expect(() => netns.open(bad)).toThrow(nl.ValidationError);
      expect(fs.readdirSync('/run/netns').length).toBe(before);
    });
  });

  describe('handles', () => {
    it('opens by name, path and pid; the fd refers to the namespace until closed', async () => {
      const x = name('open');
      await netns.add(x);
      const byName = netns.open(x);
      const byPath = netns.open(`/run/netns/${x}`);
      const self = netns.open(process.pid);
      const selfObj = netns.open({ pid: process.pid });
      try {
        expect(byName.name).toBe(x);
        expect(byName.inode).toBe(nsIno(`/run/netns/${x}`));
        expect(byPath.inode).toBe(byName.inode);
        expect(fs.fstatSync(byName.fd).ino).toBe(byName.inode);
        expect(self.inode).toBe(mainNet);
        expect(selfObj.inode).toBe(mainNet);
      } finally {
        for (const h of [byName, byPath, self, selfObj]) h.close();
      }
      expect(byName.closed).toBe(true);
      expect(() => byName.fd).toThrow(expect.objectContaining({ code: 'EBADF' }));
      byName.close(); // idempotent
    });

    it('Symbol.dispose closes the handle', async () => {
      const x = name('dispose');
      await netns.add(x);
      const h = netns.open(x);
      const fd = h.fd;
      h[Symbol.dispose]();
      expect(h.closed).toBe(true);
      expect(() => fs.fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    });

    it('open of a name that does not exist fails with ENOENT naming it', () => {
      const x = uniqueName('nothere');
      let err: any;
      try {
        netns.open(x);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'ENOENT', errno: 2, syscall: 'open', path: `/run/netns/${x}` });
      expect(err.message).toContain(`"${x}" does not exist`);
    });

    it('open of a file that is not a network namespace fails with EINVAL', () => {
      const tmp = `/tmp/${uniqueName('notns')}`;
      fs.writeFileSync(tmp, '');
      try {
        expect(() => netns.open(tmp)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
        expect(() => netns.open('/proc/self/ns/mnt')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      } finally {
        fs.rmSync(tmp);
      }
      expect(() => netns.open(0)).toThrow(nl.ValidationError);
      expect(() => netns.open(-5)).toThrow(nl.ValidationError);
    });

    it('a handle keeps a deleted namespace working; its name then fails with ENOENT', async () => {
      const x = name('keep');
      await netns.add(x);
      const h = netns.open(x);
      try {
        await netns.del(x);
        expect(ipNetnsNames()).not.toContain(x);
        expect(() => netns.open(x)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
        // Still the same namespace, and still usable: make a device in it and see it there.
        const add = await run(netns.spawn(h, 'ip', ['link', 'add', 'k0', 'type', 'veth', 'peer', 'name', 'k1']));
        expect(add).toMatchObject({ code: 0, stderr: '' });
        const { stdout } = await run(netns.spawn(h, 'ip', ['-j', 'link']));
        expect(ifnames(stdout)).toEqual(['k0', 'k1', 'lo']);
        const spawned = await run(netns.spawn(x, 'true'));
        expect(spawned.error).toMatchObject({ code: 'ENOENT' });
      } finally {
        h.close();
      }
    });
  });

  describe('spawn', () => {
    it("spawn('x', 'ip', ['-j', 'link']) prints only x's links", async () => {
      const x = name('spawn');
      await netns.add(x);
      ip('-n', x, 'link', 'add', 's0', 'type', 'veth', 'peer', 'name', 's1');
      const { stdout, code } = await run(netns.spawn(x, 'ip', ['-j', 'link']));
      expect(code).toBe(0);
      const names = ifnames(stdout);
      expect(names).toEqual(linkNames(x));
      expect(names).toEqual(['lo', 's0', 's1']);
    });

    it('runs in the namespace whether given a name, path, handle, fd or pid', async () => {
      const x = name('refs');
      await netns.add(x);
      const want = `net:[${nsIno(`/run/netns/${x}`)}]`;
      const h = netns.open(x);
      const sleeper = netns.spawn(x, 'sleep', ['30'], { stdio: 'ignore' });
      try {
        for (const ref of [x, `/run/netns/${x}`, h, h.fd, { pid: sleeper.pid! }]) {
          const { stdout, code } = await run(netns.spawn(ref, 'readlink', ['/proc/self/ns/net']));
          expect({ ref: String(ref), code, ns: stdout.trim() }).toEqual({ ref: String(ref), code: 0, ns: want });
        }
      } finally {
        sleeper.kill();
        h.close();
      }
    });

    it('passes stdio like child_process.spawn: stdin pipe, inherited fds, extra entries', async () => {
      const x = name('stdio');
      await netns.add(x);
      const child = netns.spawn(x, 'cat', []);
      child.stdin!.end('through the namespace\n');
      expect((await run(child)).stdout).toBe('through the namespace\n');
      const out = `/tmp/${uniqueName('out')}`;
      const fd = fs.openSync(out, 'w');
      try {
        const r = await run(netns.spawn(x, 'sh', ['-c', 'echo three >&3; echo one'], { stdio: ['ignore', fd, 'inherit', fd] }));
        expect(r.code).toBe(0);
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['one', 'three']);
      fs.rmSync(out);
    });

    it('the command does not inherit the namespace fd or the report socket', async () => {
      const x = name('fds');
      await netns.add(x);
      const h = netns.open(x);
      try {
        // The same fds as a plain child_process.spawn gets (the test runner may leak some of its own).
        const plain = await run(cpSpawn('ls', ['/proc/self/fd']));
        const { stdout } = await run(netns.spawn(h, 'ls', ['/proc/self/fd']));
        expect(stdout).toBe(plain.stdout);
      } finally {
        h.close();
      }
    });

    it('applies uid/gid after entering, and argv0', async () => {
      const x = name('uid');
      await netns.add(x);
      const want = `net:[${nsIno(`/run/netns/${x}`)}]`;
      const ids = await run(netns.spawn(x, 'sh', ['-c', 'id -u; id -g; id -G; readlink /proc/self/ns/net'], { uid: 65534, gid: 65534 }));
      expect(ids.stdout.trim().split('\n')).toEqual(['65534', '65534', '65534', want]);
      const a0 = await run(netns.spawn(x, 'sh', ['-c', 'echo $0'], { argv0: 'custom-name' }));
      expect(a0.stdout.trim()).toBe('custom-name');
    });

    it('remountSys shows the namespace devices under /sys/class/net and leaves ours alone', async () => {
      const x = name('sys');
      await netns.add(x);
      ip('-n', x, 'link', 'add', 'sy0', 'type', 'veth', 'peer', 'name', 'sy1');
      const { stdout, code } = await run(netns.spawn(x, 'ls', ['/sys/class/net'], { remountSys: true }));
      expect(code).toBe(0);
      // Kernels with bonding built in (the VM tier's) add a bonding_masters file to every
      // namespace's /sys/class/net; it is not a device.
      expect(stdout.trim().split('\n').filter((n) => n !== 'bonding_masters').sort()).toEqual(['lo', 'sy0', 'sy1']);
      expect(fs.existsSync('/sys/class/net/sy0')).toBe(false);
    });

    it('bindEtc binds /etc/netns/NAME/* over /etc only for the child', async () => {
      const x = name('etc');
      await netns.add(x);
      const dir = `/etc/netns/${x}`;
      // Remove /etc/netns afterwards too if this test is what created it.
      if (!fs.existsSync('/etc/netns')) etcDirs.push('/etc/netns');
      fs.mkdirSync(dir, { recursive: true });
      etcDirs.push(dir);
      fs.writeFileSync(`${dir}/hosts`, '10.9.8.7 only-in-this-netns\n');
      const { stdout, code } = await run(netns.spawn(x, 'cat', ['/etc/hosts'], { bindEtc: true }));
      expect(code).toBe(0);
      expect(stdout).toBe('10.9.8.7 only-in-this-netns\n');
      expect(fs.readFileSync('/etc/hosts', 'utf8')).not.toContain('only-in-this-netns');
      // del leaves /etc/netns/NAME alone, as ip netns del does.
      await netns.del(x);
      expect(fs.existsSync(`${dir}/hosts`)).toBe(true);
    });

    it("emits 'error' with ENOENT when the namespace is missing, then exits 127", async () => {
      const x = uniqueName('gone');
      const child = netns.spawn(x, 'true');
      const events: string[] = [];
      let error: any;
      child.on('error', (e) => {
        events.push('error');
        error = e;
      });
      child.on('exit', (code) => events.push(`exit ${code}`));
      await new Promise((resolve) => child.on('close', resolve));
      expect(events).toEqual(['error', 'exit 127']);
      expect(error).toMatchObject({ code: 'ENOENT', errno: 2, syscall: 'open', path: `/run/netns/${x}` });
      expect(error.message).toContain(`"${x}" does not exist`);
    });

    it("emits 'error' like child_process for a command that does not exist", async () => {
      const x = name('nocmd');
      await netns.add(x);
      const cmd = uniqueName('no-such-command');
      const r = await run(netns.spawn(x, cmd, ['a']));
      expect(r.code).toBe(127);
      expect(r.error).toMatchObject({ code: 'ENOENT', syscall: `spawn ${cmd}`, path: cmd, spawnargs: ['a'] });
      expect(r.error!.message).toBe(`spawn ${cmd} ENOENT`);
    });

    it('validates its arguments before starting anything', () => {
      expect(() => netns.spawn('a/b', 'true')).toThrow(nl.ValidationError);
      expect(() => netns.spawn(-1, 'true')).toThrow(nl.ValidationError);
      expect(() => netns.spawn('x', '')).toThrow(expect.objectContaining({ field: 'command' }));
      expect(() => netns.spawn('x', 'true', ['a\0'])).toThrow(expect.objectContaining({ field: 'args[0]' }));
      expect(() => netns.spawn('x', 'true', [], { shell: true } as any)).toThrow(expect.objectContaining({ field: 'options.shell' }));
      expect(() => netns.spawn('/run/netns/x', 'true', [], { bindEtc: true })).toThrow(expect.objectContaining({ field: 'options.bindEtc' }));
      expect(() => netns.spawn('x', 'true', [], { uid: -1 })).toThrow(expect.objectContaining({ field: 'options.uid' }));
    });
  });

  describe('handles in other APIs and rt.netns ids', () => {
    it('nl.open({ netns }) takes a handle, and keeps working after the name is deleted', async () => {
      const x = name('rthandle');
      await netns.add(x);
      ip('-n', x, 'link', 'add', 'h0', 'type', 'veth', 'peer', 'name', 'h1');
      const h = netns.open(x);
      try {
        await netns.del(x);
        const rt = await nl.open({ netns: h });
        try {
          expect((await rt.link.list()).map((l) => l.name).sort()).toEqual(['h0', 'h1', 'lo']);
        } finally {
          rt.close();
        }
      } finally {
        h.close();
      }
      await expect(nl.open({ netns: h })).rejects.toMatchObject({ code: 'EBADF' });
      await expect(nl.open({ netns: x })).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('id / setId / list / nameOf agree with ip netns list-id', async () => {
      const x = name('nsid');
      const y = name('nsid2');
      await netns.add(x);
      await netns.add(y);
      const rt = await nl.open();
      try {
        expect(await rt.netns.id(x)).toBe(-1); // nothing has referred to it yet
        // Ids are per observing namespace and other tests may assign small ones: pick a rare one.
        const id = 100_000 + Math.floor(Math.random() * 1_000_000);
        await rt.netns.setId(x, id);
        expect(await rt.netns.id(x)).toBe(id);
        expect(ipJson<{ nsid: number; name: string }[]>('netns', 'list-id')).toContainEqual({ nsid: id, name: x });
        expect(await rt.netns.list()).toContain(id);
        expect(await rt.netns.nameOf(id)).toBe(x);
        const h = netns.open(x);
        try {
          expect(await rt.netns.id(h)).toBe(id);
          expect(await rt.netns.id(h.fd)).toBe(id);
          expect(await rt.netns.id(`/run/netns/${x}`)).toBe(id);
        } finally {
          h.close();
        }
        await expect(rt.netns.setId(x, id + 1)).rejects.toMatchObject({ name: 'NetlinkError', code: 'EEXIST', operation: 'netns.setId' });
        await expect(rt.netns.setId(y, id)).rejects.toMatchObject({ name: 'NetlinkError', code: 'EEXIST' });
        await expect(rt.netns.setId(y, -1)).rejects.toMatchObject({ field: 'id' });
        await expect(rt.netns.setId(y, 1.5)).rejects.toBeInstanceOf(nl.ValidationError);
        await expect(rt.netns.id(uniqueName('none'))).rejects.toMatchObject({ code: 'ENOENT' });
        // ip netns set works the other way round.
        ip('netns', 'set', y, String(id + 1));
        expect(await rt.netns.id(y)).toBe(id + 1);
      } finally {
        rt.close();
      }
    });

    it('a veth whose peer lives in another namespace says where (linkNetnsId)', async () => {
      const a = name('peer-a');
      const b = name('peer-b');
      await netns.add(a);
      await netns.add(b);
      ip('-n', a, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb', 'netns', b);
      const rt = await nl.open({ netns: a });
      try {
        const link = await rt.link.get('pa');
        const [oracle] = ipnJson<{ link_netnsid: number }[]>(a, 'link', 'show', 'pa');
        expect(link.linkNetnsId).toBe(oracle!.link_netnsid);
        expect(await rt.netns.id(b)).toBe(link.linkNetnsId);
        expect(await rt.netns.nameOf(link.linkNetnsId!)).toBe(b);
      } finally {
        rt.close();
      }
    });
  });

  describe('links across namespaces (rt.link with netns)', () => {
    it('a veth made with its peer directly in another namespace shows up there', async () => {
      const a = name('veth-a');
      const b = name('veth-b');
      await netns.add(a);
      await netns.add(b);
      const rt = await nl.open({ netns: a });
      const hb = netns.open(b);
      try {
        const link = await rt.link.add({ name: 'va0', kind: 'veth', peer: { name: 'vb0', netns: b } });
        const byHandle = await rt.link.add({ name: 'va1', kind: 'veth', peer: { name: 'vb1', netns: hb } });
        expect(linkNames(a)).toEqual(['lo', 'va0', 'va1']);
        const inB = ipnJson<{ ifname: string; ifindex: number; link_netnsid: number }[]>(b, 'link');
        expect(inB.map((l) => l.ifname).sort()).toEqual(['lo', 'vb0', 'vb1']);
        // Each end says where the other lives.
        expect(link.linkNetnsId).toBe(await rt.netns.id(b));
        expect(byHandle.linkNetnsId).toBe(link.linkNetnsId);
        expect(await rt.netns.nameOf(link.linkNetnsId!)).toBe(b);
        expect(link.link).toBe(inB.find((l) => l.ifname === 'vb0')!.ifindex);
      } finally {
        hb.close();
        rt.close();
      }
    });

    it('link.set({ netns }) moves a link by name, handle or pid, even after the name is deleted', async () => {
      const a = name('move-a');
      const b = name('move-b');
      const c = name('move-c');
      await netns.add(a);
      await netns.add(b);
      await netns.add(c);
      ip('-n', a, 'link', 'add', 'm0', 'type', 'veth', 'peer', 'name', 'm1');
      ip('-n', a, 'link', 'add', 'm2', 'type', 'veth', 'peer', 'name', 'm3');
      const rt = await nl.open({ netns: a });
      const hc = netns.open(c);
      const sleeper = netns.spawn(b, 'sleep', ['30'], { stdio: 'ignore' });
      try {
        await rt.link.set('m0', { netns: b });
        expect(linkNames(b)).toEqual(['lo', 'm0']);
        await rt.link.set('m1', { netns: { pid: sleeper.pid! } });
        expect(linkNames(b)).toEqual(['lo', 'm0', 'm1']);
        await netns.del(c);
        await rt.link.set('m2', { netns: hc });
        const inC = await run(netns.spawn(hc, 'ip', ['-j', 'link']));
        expect(ifnames(inC.stdout)).toEqual(['lo', 'm2']);
        expect(linkNames(a)).toEqual(['lo', 'm3']);
        await expect(rt.link.set('m3', { netns: c })).rejects.toMatchObject({ code: 'ENOENT' });
        expect(linkNames(a)).toEqual(['lo', 'm3']);
      } finally {
        sleeper.kill();
        hc.close();
        rt.close();
      }
    });
  });

  describe('leaks', () => {
    it('200 namespaces added and deleted leak no fds and no mounts', async () => {
      // Warm up once: the first add may turn /run/netns into a mount point (kept, as with ip).
      const warm = name('warm');
      await netns.add(warm);
      await netns.del(warm);
      const fds = () => fs.readdirSync('/proc/self/fd').length;
      const fdBefore = fds();
      const mountsBefore = stableMounts();
      const names: string[] = [];
      for (let i = 0; i < 200; i++) {
        const n = name(`loop${i}`);
        names.push(n);
        await netns.add(n);
        const h = netns.open(n);
        h.close();
        await netns.del(n);
        made.delete(n);
      }
      expect(fds()).toBe(fdBefore);
      expect(stableMounts()).toEqual(mountsBefore);
      expect(mountsOf(names)).toEqual([]);
      const left = await netns.list();
      expect(names.filter((n) => left.includes(n))).toEqual([]);
    });

    it('concurrent adds and dels all succeed and leave nothing behind', async () => {
      const names = Array.from({ length: 20 }, (_, i) => name(`par${i}`));
      const mountsBefore = stableMounts();
      await Promise.all(names.map((n) => netns.add(n)));
      const listed = await netns.list();
      for (const n of names) expect(listed).toContain(n);
      expect(mountsOf(names)).toHaveLength(names.length);
      await Promise.all(names.map((n) => netns.del(n)));
      expect(stableMounts()).toEqual(mountsBefore);
      expect(mountsOf(names)).toEqual([]);
    });
  });

  afterAll(() => {
    // Checked in afterAll as well as below, so it holds even when a test above failed.
    expect(nsIno('/proc/self/ns/net')).toBe(mainNet);
  });

  it("the test process's namespace is unchanged after everything above", () => {
    expect(nsIno('/proc/self/ns/net')).toBe(mainNet);
    expect(nsIno('/proc/thread-self/ns/net')).toBe(threadNet);
    expect(mainNet).toBe(threadNet);
  });
});
