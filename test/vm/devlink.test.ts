/**
 * devlink on netdevsim (VM tier: the host kernel has no netdevsim), with iproute2's
 * `devlink -j` as the oracle both ways: devices, ports (flavours, pf/vf numbers, netdev
 * names), eswitch mode, rate objects, params, health reporters and traps. Each test makes
 * its own netdevsim device with a random id and deletes it afterwards, even on failure.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { NetlinkError, ValidationError } from '../../lib/errors';
import { open, type Devlink, type DevlinkEvent } from '../../lib/genetlink/devlink/devlink';
import { describeRequires } from '../helpers/requires';

const BUS = '/sys/bus/netdevsim';
const made: number[] = [];

/** A netdevsim device with one port and `vfs` VFs; returns its devlink handle. */
function netdevsim(vfs: number): string {
  const id = 10_000 + Math.floor(Math.random() * 50_000);
  fs.writeFileSync(`${BUS}/new_device`, `${id} 1`);
  made.push(id);
  if (vfs > 0) fs.writeFileSync(`${BUS}/devices/netdevsim${id}/sriov_numvfs`, String(vfs));
  return `netdevsim/netdevsim${id}`;
}

function removeDevices(): void {
  for (const id of made.splice(0)) {
    try {
      fs.writeFileSync(`${BUS}/del_device`, String(id));
    } catch {
      /* already gone */
    }
  }
}

function devlink(...args: string[]): string {
  return execFileSync('devlink', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const dj = (...args: string[]): any => JSON.parse(devlink('-j', ...args));

describeRequires(['netdevsim'], 'devlink on netdevsim against devlink -j', () => {
  let dl: Devlink;
  beforeAll(async () => {
    dl = await open();
  });
  afterAll(() => dl?.close());
  afterEach(removeDevices);

  it('lists devices and their info as devlink dev show / info', async () => {
    const dev = netdevsim(0);
    const ours = await dl.list();
    expect(ours.map((d) => d.handle).sort()).toEqual(Object.keys(dj('dev', 'show').dev).sort());
    expect(ours.find((d) => d.handle === dev)).toEqual({ bus: 'netdevsim', device: dev.split('/')[1], handle: dev });
    const info = await dl.info(dev);
    const theirs = dj('dev', 'info', dev).info[dev];
    expect(info.driver).toBe(theirs.driver);
    expect(info.serial).toBe(theirs.serial_number);
    expect(info.versions.running).toEqual(theirs.versions?.running ?? {});
    expect(info.versions.stored).toEqual(theirs.versions?.stored ?? {});
    expect(info.versions.fixed).toEqual(theirs.versions?.fixed ?? {});
    await expect(dl.info('netdevsim')).rejects.toMatchObject({ name: 'ValidationError', field: 'dev' });
    await expect(dl.info('netdevsim/netdevsim1')).rejects.toBeInstanceOf(NetlinkError);
  });

  it('switches the eswitch mode both ways with devlink, and rejects modes it has not', async () => {
    const dev = netdevsim(2);
    expect(await dl.eswitch.get(dev)).toEqual({ mode: dj('dev', 'eswitch', 'show', dev).dev[dev].mode });
    await dl.eswitch.set(dev, { mode: 'switchdev' });
    expect(dj('dev', 'eswitch', 'show', dev).dev[dev].mode).toBe('switchdev');
    devlink('dev', 'eswitch', 'set', dev, 'mode', 'legacy');
    expect((await dl.eswitch.get(dev)).mode).toBe('legacy');
    await expect(dl.eswitch.set(dev, { mode: 'bridge' as never })).rejects.toMatchObject({ name: 'ValidationError', field: 'mode' });
    await expect(dl.eswitch.set(dev, { mdoe: 'legacy' } as never)).rejects.toMatchObject({ field: 'eswitch.mdoe' });
    // netdevsim has no inline mode: the kernel's refusal comes through as a NetlinkError.
    const err = await dl.eswitch.set(dev, { inlineMode: 'link' }).catch((e) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('EOPNOTSUPP');
  });

  it('lists ports (flavours, pf/vf numbers, representor names) as devlink port show', async () => {
    const dev = netdevsim(4);
    await dl.eswitch.set(dev, { mode: 'switchdev' });
    const theirs = dj('port', 'show').port as Record<string, any>;
    const ours = await dl.port.list(dev);
    expect(ours.map((p) => p.handle).sort()).toEqual(Object.keys(theirs).filter((h) => h.startsWith(`${dev}/`)).sort());
    for (const p of ours) {
      const t = theirs[p.handle];
      expect({ h: p.handle, type: p.type, netdev: p.netdev, flavour: p.flavour, number: p.number, pfnum: p.pfnum, vfnum: p.vfnum, controller: p.controller, external: p.external, splittable: p.splittable })
        .toEqual({ h: p.handle, type: t.type, netdev: t.netdev, flavour: t.flavour, number: t.port, pfnum: t.pfnum, vfnum: t.vfnum, controller: t.controller, external: t.external, splittable: t.splittable });
      const link = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'dev', p.netdev!], { encoding: 'utf8' }))[0];
      expect(p.ifindex).toBe(link.ifindex);
    }
    expect(ours.filter((p) => p.flavour === 'pcivf').map((p) => p.vfnum)).toEqual([0, 1, 2, 3]);
    const vf = ours.find((p) => p.vfnum === 2)!;
    expect(await dl.port.get(vf.handle)).toEqual(vf);
    await expect(dl.port.get(`${dev}/x`)).rejects.toMatchObject({ field: 'port' });
    // netdevsim (6.1) keeps no port function: setting its MAC is the driver's refusal, with the kernel's text.
    const fnErr = await dl.port.set(vf.handle, { function: { hwAddr: '02:00:00:00:00:01' } }).catch((e) => e);
    expect(fnErr).toBeInstanceOf(NetlinkError);
    expect(fnErr.code).toBe('EOPNOTSUPP');
    expect(fnErr.extack).toBeTruthy();
    await expect(dl.port.set(vf.handle, { function: { hwAddr: 'zz' } })).rejects.toMatchObject({ name: 'ValidationError', field: 'function.hwAddr' });
    // netdevsim cannot split ports: a driver refusal, not bad input.
    await expect(dl.port.split(ours[0]!.handle, 2)).rejects.toMatchObject({ name: 'NetlinkError', code: 'EOPNOTSUPP' });
  });

  it('reads rates devlink set and sets rates devlink shows, leaves and nodes', async () => {
    const dev = netdevsim(4);
    await dl.eswitch.set(dev, { mode: 'switchdev' });
    const vfs = (await dl.port.list(dev)).filter((p) => p.flavour === 'pcivf');
    const [a, b, c] = vfs.map((p) => p.handle);
    devlink('port', 'function', 'rate', 'set', a!, 'tx_share', '10mbit', 'tx_max', '100mbit');
    expect(await dl.rate.get(a!)).toMatchObject({ type: 'leaf', port: vfs[0]!.index, txShare: 10_000_000, txMax: 100_000_000 });

    await dl.rate.set(b!, { txShare: 5_000_000, txMax: '50mbit' });
    const rates = () => dj('port', 'function', 'rate', 'show').rate as Record<string, any>;
    // devlink -j prints the kernel's bytes/s.
    expect(rates()[b!]).toMatchObject({ type: 'leaf', tx_share: 625_000, tx_max: 6_250_000 });

    await dl.rate.addNode(dev, 'grp1', { txMax: '200mbit' });
    expect(rates()[`${dev}/grp1`]).toMatchObject({ type: 'node', tx_max: 25_000_000 });
    devlink('port', 'function', 'rate', 'add', `${dev}/grp2`, 'tx_share', '1mbit');
    await dl.rate.set(c!, { parent: 'grp1' });
    devlink('port', 'function', 'rate', 'set', b!, 'parent', 'grp2');
    const ours = await dl.rate.list(dev);
    const theirs = rates();
    expect(ours.map((r) => r.handle).sort()).toEqual(Object.keys(theirs).filter((h) => h.startsWith(`${dev}/`)).sort());
    for (const r of ours) {
      const t = theirs[r.handle];
      expect({ h: r.handle, type: r.type, txShare: r.txShare, txMax: r.txMax, parent: r.parent })
        .toEqual({ h: r.handle, type: t.type, txShare: (t.tx_share ?? 0) * 8, txMax: (t.tx_max ?? 0) * 8, parent: t.parent });
    }
    expect(ours.find((r) => r.handle === c)?.parent).toBe('grp1');
    expect(ours.find((r) => r.handle === b)?.parent).toBe('grp2');

    // A node with children cannot go: the kernel says so.
    const busy = await dl.rate.delNode(dev, 'grp1').catch((e) => e);
    expect(busy).toBeInstanceOf(NetlinkError);
    expect(busy.extack).toBeTruthy();
    await dl.rate.set(c!, { parent: null });
    await dl.rate.delNode(dev, 'grp1');
    expect(rates()[`${dev}/grp1`]).toBeUndefined();

    // Bad input: a port that has no rate object (the physical port), a node that does not
    // exist, a rate that is not one.
    const phys = (await dl.port.list(dev)).find((p) => p.flavour === 'physical')!;
    await expect(dl.rate.set(phys.handle, { txMax: '1mbit' })).rejects.toMatchObject({ name: 'ValidationError', field: 'handle' });
    await expect(dl.rate.set(`${dev}/nosuch`, { txMax: 1000 })).rejects.toMatchObject({ field: 'handle' });
    await expect(dl.rate.set(a!, { txMax: 'fast' })).rejects.toMatchObject({ field: 'txMax' });
    await expect(dl.rate.addNode(dev, '12')).rejects.toMatchObject({ field: 'name' });
  });

  it('reads and sets params as devlink dev param does, checking types and cmodes', async () => {
    const dev = netdevsim(0);
    const theirs = () => (dj('dev', 'param', 'show').param[dev] as any[]);
    const ours = await dl.param.get(dev);
    expect(ours.map((p) => ({ name: p.name, type: p.generic ? 'generic' : 'driver-specific', values: p.values })))
      .toEqual(theirs().map((p) => ({ name: p.name, type: p.type, values: p.values })));
    await dl.param.set(dev, 'max_macs', 16, { cmode: 'driverinit' });
    expect(theirs().find((p) => p.name === 'max_macs').values).toEqual([{ cmode: 'driverinit', value: 16 }]);
    devlink('dev', 'param', 'set', dev, 'name', 'test1', 'value', 'false', 'cmode', 'driverinit');
    expect((await dl.param.get(dev, 'test1'))[0]!.values).toEqual([{ cmode: 'driverinit', value: false }]);
    await dl.param.set(dev, 'test1', true, { cmode: 'driverinit' });
    expect(theirs().find((p) => p.name === 'test1').values).toEqual([{ cmode: 'driverinit', value: true }]);

    await expect(dl.param.set(dev, 'max_macs', 'many' as never, { cmode: 'driverinit' })).rejects.toMatchObject({ name: 'ValidationError', field: 'value' });
    await expect(dl.param.set(dev, 'max_macs', 16, { cmode: 'runtime' })).rejects.toMatchObject({ field: 'cmode' });
    await expect(dl.param.set(dev, 'max_macs', 16, { cmode: 'sometimes' as never })).rejects.toMatchObject({ field: 'cmode' });
    await expect(dl.param.set(dev, 'no_such_param', 1, { cmode: 'runtime' })).rejects.toMatchObject({ field: 'name' });

    // A reload applies driverinit values and says which actions it performed.
    expect(await dl.reload(dev)).toEqual({ actionsPerformed: ['driver_reinit'] });
    await expect(dl.reload(dev, { action: 'reboot' as never })).rejects.toMatchObject({ field: 'action' });
  });

  it('lists, diagnoses, dumps, recovers and configures health reporters as devlink health does', async () => {
    const dev = netdevsim(0);
    const shown = () => (dj('health', 'show').health[dev] as any[]);
    const ours = await dl.health.list(dev);
    expect(ours.map((r) => r.name).sort()).toEqual(shown().map((r) => r.reporter ?? r.name).sort());
    for (const r of ours) {
      const t = shown().find((x) => (x.reporter ?? x.name) === r.name);
      expect({ n: r.name, state: r.state, error: r.errorCount, recover: r.recoverCount }).toEqual({ n: r.name, state: t.state, error: t.error, recover: t.recover });
      if (t.grace_period !== undefined) expect(r.gracePeriodMs).toBe(t.grace_period);
      if (t.auto_recover !== undefined) expect(r.autoRecover).toBe(t.auto_recover);
      if (t.auto_dump !== undefined) expect(r.autoDump).toBe(t.auto_dump);
    }

    // devlink 6.1 prints only the first message of a multi-message answer ("kernel answers:
    // Success" after it); netdevsim's dummy reporter needs two, with two arrays in the second.
    const diag = await dl.health.diagnose(dev, 'dummy');
    const theirDiag = dj('health', 'diagnose', dev, 'reporter', 'dummy');
    expect(Object.keys(diag).slice(0, Object.keys(theirDiag).length)).toEqual(Object.keys(theirDiag));
    for (const [k, v] of Object.entries(theirDiag)) {
      // test_binary is fresh random bytes on every diagnose.
      if (k === 'test_binary') expect((diag[k] as number[]).length).toBe((v as number[]).length);
      else expect({ k, v: diag[k] }).toEqual({ k, v });
    }
    const rest = Object.keys(diag).slice(Object.keys(theirDiag).length);
    for (const k of rest) expect(Array.isArray(diag[k])).toBe(true);

    // The first dump is taken and stored; devlink then shows the same stored dump (its first part).
    const dump = await dl.health.dump(dev, 'dummy');
    const theirDump = dj('health', 'dump', 'show', dev, 'reporter', 'dummy');
    expect(Object.keys(theirDump).length).toBeGreaterThan(3);
    for (const [k, v] of Object.entries(theirDump)) expect({ k, v: dump.data[k] }).toEqual({ k, v });
    expect(typeof dump.tsNs).toBe('bigint');
    const stored = await dl.health.get(dev, 'dummy');
    expect(stored.lastDumpTsNs).toBe(dump.tsNs);
    expect(Math.abs(stored.lastDump!.getTime() - Date.now())).toBeLessThan(24 * 3600 * 1000); // wall clock, not uptime
    await dl.health.dumpClear(dev, 'dummy');
    expect((await dl.health.get(dev, 'dummy')).lastDumpTsNs).toBeUndefined();

    // An error reported by the driver (netdevsim's debugfs knob) with auto-recovery off leaves
    // the reporter in error; our recover brings it back, as devlink health show counts it.
    await dl.health.set(dev, 'dummy', { gracePeriodMs: 1234, autoRecover: false });
    expect(shown().find((x) => (x.reporter ?? x.name) === 'dummy')).toMatchObject({ grace_period: 1234, auto_recover: false });
    if (!fs.existsSync('/sys/kernel/debug/netdevsim')) execFileSync('mount', ['-t', 'debugfs', 'debugfs', '/sys/kernel/debug']);
    fs.writeFileSync(`/sys/kernel/debug/netdevsim/${dev.split('/')[1]}/health/break_health`, 'broken by the test');
    const broken = await dl.health.get(dev, 'dummy');
    expect(broken).toMatchObject({ state: 'error', errorCount: 1, recoverCount: 0 });
    expect(shown().find((x) => (x.reporter ?? x.name) === 'dummy')).toMatchObject({ state: 'error', error: 1, recover: 0 });
    await dl.health.recover(dev, 'dummy');
    expect(shown().find((x) => (x.reporter ?? x.name) === 'dummy')).toMatchObject({ state: 'healthy', error: 1, recover: 1 });
    expect(await dl.health.get(dev, 'dummy')).toMatchObject({ state: 'healthy', recoverCount: 1 });
    await expect(dl.health.diagnose(dev, 'nosuch')).rejects.toBeInstanceOf(NetlinkError);
    await expect(dl.health.set(dev, 'dummy', { gracePeriod: 1 } as never)).rejects.toMatchObject({ field: 'health.gracePeriod' });
  });

  it('lists traps and sets trap actions as devlink trap does', async () => {
    const dev = netdevsim(0);
    const theirs = () => (dj('-v', 'trap', 'show').trap[dev] as any[]);
    const ours = await dl.trap.list(dev);
    expect(ours.map((t) => ({ name: t.name, type: t.type, generic: t.generic, action: t.action, group: t.group, metadata: t.metadata })))
      .toEqual(theirs().map((t) => ({ name: t.name, type: t.type, generic: t.generic, action: t.action, group: t.group, metadata: t.metadata ?? [] })));
    const drop = ours.find((t) => t.type === 'drop')!;
    await dl.trap.set(dev, drop.name, { action: 'trap' });
    expect(theirs().find((t) => t.name === drop.name).action).toBe('trap');
    devlink('trap', 'set', dev, 'trap', drop.name, 'action', 'drop');
    expect((await dl.trap.list(dev)).find((t) => t.name === drop.name)!.action).toBe('drop');
    // Linux skips (with a warning, not an error) action changes of non-drop traps.
    const control = ours.find((t) => t.type !== 'drop' && t.action !== 'drop')!;
    await dl.trap.set(dev, control.name, { action: 'drop' });
    expect(theirs().find((t) => t.name === control.name).action).toBe(control.action);
    await expect(dl.trap.set(dev, 'no_such_trap', { action: 'drop' })).rejects.toBeInstanceOf(NetlinkError);
    await expect(dl.trap.set(dev, drop.name, { action: 'forward' as never })).rejects.toBeInstanceOf(ValidationError);
  });

  it('streams devlink notifications and stops when the loop is left', async () => {
    const events = await dl.events();
    const dev = netdevsim(2);
    await dl.eswitch.set(dev, { mode: 'switchdev' });
    const seen: DevlinkEvent[] = [];
    for await (const ev of events) {
      if (ev.dev !== dev) continue;
      seen.push(ev);
      if (seen.filter((e) => e.type === 'rate' && e.action === 'new').length === 2) break;
    }
    expect(seen[0]).toMatchObject({ type: 'dev', action: 'new' });
    const ports = seen.filter((e) => e.type === 'port' && e.action === 'new').map((e) => (e.object as any).flavour);
    expect(ports).toContain('pcivf');
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });
});
