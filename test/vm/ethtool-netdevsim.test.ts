/**
 * ethtool over netlink on netdevsim (VM tier): rings, coalescing and pause, which netdevsim
 * implements and veth does not, against `ethtool -g/-c/-a` both ways; features against
 * `ethtool -k`. Each test makes its own netdevsim device and deletes it afterwards.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { NetlinkError } from '../../lib/errors';
import { open, type Ethtool } from '../../lib/genetlink/ethtool/ethtool';
import { describeRequires } from '../helpers/requires';

const BUS = '/sys/bus/netdevsim';
const made: number[] = [];

let lastId = 0;

/** A netdevsim device with one port; returns its netdev's name (its id in `lastId`). */
function netdevsim(): string {
  const id = 10_000 + Math.floor(Math.random() * 50_000);
  fs.writeFileSync(`${BUS}/new_device`, `${id} 1`);
  made.push(id);
  lastId = id;
  const [name] = fs.readdirSync(`${BUS}/devices/netdevsim${id}/net`);
  if (!name) throw new Error(`netdevsim${id} has no netdev`);
  return name;
}

afterEach(() => {
  for (const id of made.splice(0)) {
    try {
      fs.writeFileSync(`${BUS}/del_device`, String(id));
    } catch {
      /* already gone */
    }
  }
});

const ethtool = (...args: string[]) => execFileSync('ethtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** "Key:  value" lines of an ethtool section as a map (after `after`, when given). */
function fields(text: string, after?: string): Map<string, string> {
  const body = after ? text.split(after)[1] ?? '' : text;
  const out = new Map<string, string>();
  for (const line of body.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9 -]*):\s+(\S+)/.exec(line.trim());
    if (m && !out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return out;
}

describeRequires(['netdevsim'], 'ethtool on netdevsim against ethtool', () => {
  let et: Ethtool;
  beforeAll(async () => {
    et = await open();
  });
  afterAll(() => et?.close());

  it('rings: ours set, ethtool -g shows; ethtool -G set, ours reads; beyond the maximum is refused', async () => {
    const dev = netdevsim();
    const r = await et.rings(dev);
    const max = fields(ethtool('-g', dev), 'Pre-set maximums:');
    expect(r.max).toEqual({ rx: Number(max.get('RX')), rxMini: Number(max.get('RX Mini')), rxJumbo: Number(max.get('RX Jumbo')), tx: Number(max.get('TX')) });
    await et.setRings(dev, { rx: 512, tx: 256 });
    const cur = fields(ethtool('-g', dev), 'Current hardware settings:');
    expect([cur.get('RX'), cur.get('TX')]).toEqual(['512', '256']);
    ethtool('-G', dev, 'rx', '1024', 'rx-mini', '64');
    expect(await et.rings(dev)).toMatchObject({ rx: 1024, rxMini: 64, tx: 256 });
    const err = await et.setRings(dev, { rx: r.max.rx! + 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.extack).toMatch(/exceed/i);
  });

  it('coalesce: ours set, ethtool -c shows; ethtool -C set, ours reads', async () => {
    const dev = netdevsim();
    const text = ethtool('-c', dev);
    const c = await et.coalesce(dev);
    expect(String(c.rxUsecs)).toBe(fields(text).get('rx-usecs'));
    expect(String(c.txMaxFrames)).toBe(fields(text).get('tx-frames'));
    await et.setCoalesce(dev, { rxUsecs: 50, txMaxFrames: 8, useAdaptiveRx: true });
    const after = ethtool('-c', dev);
    expect([fields(after).get('rx-usecs'), fields(after).get('tx-frames')]).toEqual(['50', '8']);
    expect(after).toMatch(/Adaptive RX: on/);
    ethtool('-C', dev, 'tx-usecs', '77', 'rx-frames', '9', 'adaptive-rx', 'off');
    expect(await et.coalesce(dev)).toMatchObject({ txUsecs: 77, rxMaxFrames: 9, rxUsecs: 50, useAdaptiveRx: false });
    await expect(et.setCoalesce(dev, { rxUsec: 1 } as never)).rejects.toMatchObject({ name: 'ValidationError', field: 'coalesce.rxUsec' });
  });

  it('pause: ours set, ethtool -a shows; ethtool -A set, ours reads', async () => {
    const dev = netdevsim();
    const shown = () => fields(ethtool('-a', dev));
    const p = await et.pause(dev);
    expect([p.autoneg, p.rx, p.tx].map((b) => (b ? 'on' : 'off'))).toEqual([shown().get('Autonegotiate'), shown().get('RX'), shown().get('TX')]);
    await et.setPause(dev, { rx: true, tx: true });
    expect([shown().get('RX'), shown().get('TX')]).toEqual(['on', 'on']);
    ethtool('-A', dev, 'tx', 'off');
    expect(await et.pause(dev)).toMatchObject({ rx: true, tx: false });
    await expect(et.setPause(dev, { rx: 1 } as never)).rejects.toMatchObject({ field: 'pause.rx' });
  });

  it('pause statistics: what netdevsim is told to report, as ethtool -I -a shows', async () => {
    const dev = netdevsim();
    if (!fs.existsSync('/sys/kernel/debug/netdevsim')) execFileSync('mount', ['-t', 'debugfs', 'debugfs', '/sys/kernel/debug']);
    const knobs = `/sys/kernel/debug/netdevsim/netdevsim${lastId}/ports/0/ethtool/pause`;
    fs.writeFileSync(`${knobs}/report_stats_rx`, '1');
    fs.writeFileSync(`${knobs}/report_stats_tx`, '1');
    const p = await et.pause(dev, { stats: true });
    const text = ethtool('-I', '-a', dev);
    const count = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(text)?.[1]);
    expect(p.stats).toEqual({ txFrames: count('tx_pause_frames'), rxFrames: count('rx_pause_frames') });
    expect(p.stats!.rxFrames).toBeGreaterThan(0);
    expect((await et.pause(dev)).stats).toBeUndefined();
  });

  it('features: the same names and states as ethtool -k, toggled both ways', async () => {
    const dev = netdevsim();
    const parse = () => {
      const out = new Map<string, boolean>();
      for (const line of ethtool('-k', dev).split('\n').slice(1)) {
        const m = /^\s*([^:]+): (on|off)/.exec(line);
        if (m) out.set(m[1]!, m[2] === 'on');
      }
      return out;
    };
    const ours = await et.features(dev);
    const theirs = parse();
    expect(Object.keys(ours)).toEqual([...theirs.keys()]);
    for (const [k, v] of theirs) expect({ k, on: ours[k]!.active }).toEqual({ k, on: v });
    const name = Object.keys(ours).find((k) => !ours[k]!.fixed && !k.includes('-checksum') && ours[k]!.active);
    expect(name).toBeDefined();
    await et.setFeatures(dev, { [name!]: false });
    expect(parse().get(name!)).toBe(false);
  });
});
