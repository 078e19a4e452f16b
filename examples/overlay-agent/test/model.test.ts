/**
 * The store model alone: which object keys a store event touches and what they should be.
 */
import { describe, expect, it } from 'vitest';
// @ts-ignore plain JavaScript module without declarations
import { KeyLayout, OverlayModel } from '../lib/model.js';
// @ts-ignore plain JavaScript module without declarations
import { KernelState } from '../lib/kernel-state.js';

const L = new KeyLayout('/ov/');
const vtep = (vni: number, host: string, ip: string) => [L.vtep(vni, host), JSON.stringify({ vtep: ip })] as const;
const port = (vni: number, host: string, mac: string, ip: string, at: string) =>
  [L.port(vni, host, mac), JSON.stringify({ mac, ip, vtep: at })] as const;

describe('OverlayModel', () => {
  it('wants flood, VXLAN, bridge and neighbour entries for remote hosts of its own networks only', () => {
    const m = new OverlayModel({ self: 'a', vnis: [100], layout: L });
    expect(m.apply('put', ...vtep(100, 'b', '192.0.2.2'))).toEqual(['f|100|192.0.2.2']);
    expect(m.apply('put', ...port(100, 'b', '02:00:00:00:00:02', '10.0.0.2', '192.0.2.2'))).toEqual([
      's|100|02:00:00:00:00:02', 'm|100|02:00:00:00:00:02', 'n|100|10.0.0.2',
    ]);
    expect(m.apply('put', ...vtep(100, 'a', '192.0.2.1'))).toEqual([]); // itself
    expect(m.apply('put', ...vtep(200, 'b', '192.0.2.2'))).toEqual([]); // a network it does not carry
    expect(m.wanted('f|100|192.0.2.2')).toBe(true);
    expect(m.wanted('f|100|192.0.2.1')).toBeUndefined();
    expect(m.wanted('s|100|02:00:00:00:00:02')).toBe('192.0.2.2');
    expect(m.wanted('m|100|02:00:00:00:00:02')).toBe(true);
    expect(m.wanted('n|100|10.0.0.2')).toBe('02:00:00:00:00:02');
    expect([...m.wantedKeys()].sort()).toEqual(['f|100|192.0.2.2', 'm|100|02:00:00:00:00:02', 'n|100|10.0.0.2', 's|100|02:00:00:00:00:02']);
    // The host's lease runs out: every key goes, and everything it wanted is unwanted.
    m.apply('delete', L.vtep(100, 'b'), '');
    m.apply('delete', L.port(100, 'b', '02:00:00:00:00:02'), '');
    expect([...m.wantedKeys()]).toEqual([]);
  });

  it('follows a VM that moves to another host, and keeps an address claimed twice until both let go', () => {
    const m = new OverlayModel({ self: 'a', vnis: [100], layout: L });
    m.apply('put', ...port(100, 'b', '02:00:00:00:00:02', '10.0.0.2', '192.0.2.2'));
    m.apply('put', ...port(100, 'c', '02:00:00:00:00:02', '10.0.0.2', '192.0.2.3'));
    expect(m.wanted('s|100|02:00:00:00:00:02')).toBe('192.0.2.3'); // the newest claim wins
    m.apply('delete', L.port(100, 'c', '02:00:00:00:00:02'), '');
    expect(m.wanted('s|100|02:00:00:00:00:02')).toBe('192.0.2.2');
    expect(m.wanted('n|100|10.0.0.2')).toBe('02:00:00:00:00:02');
    m.apply('delete', L.port(100, 'b', '02:00:00:00:00:02'), '');
    expect(m.wanted('n|100|10.0.0.2')).toBeUndefined();
  });

  it('ignores malformed values and foreign keys, saying why', () => {
    const m = new OverlayModel({ self: 'a', vnis: [100], layout: L });
    const bad: string[] = [];
    const note = (k: string, why: string) => bad.push(`${k}: ${why}`);
    expect(m.apply('put', L.vtep(100, 'b'), 'not json', note)).toEqual([]);
    expect(m.apply('put', L.vtep(100, 'b'), '{"vtep":"300.1.1.1"}', note)).toEqual([]);
    expect(m.apply('put', L.port(100, 'b', '02:00:00:00:00:02'), '{"mac":"02:00:00:00:00:03","ip":"10.0.0.2","vtep":"192.0.2.2"}', note)).toEqual([]);
    expect(m.apply('put', '/ov/other/thing', '{}', note)).toEqual([]);
    expect(bad).toHaveLength(4);
    expect([...m.wantedKeys()]).toEqual([]);
  });
});

describe('KernelState', () => {
  const k = new KernelState();
  k.setDevices(100, 7, 6);
  it('owns only the VXLAN device’s remote entries, the bridge’s static ones and permanent neighbours on the bridge', () => {
    expect(k.classifyFdb({ index: 7, lladdr: '00:00:00:00:00:00', flags: ['self'], state: 'permanent', dst: '192.0.2.2' })).toEqual({ key: 'f|100|192.0.2.2', value: true });
    expect(k.classifyFdb({ index: 7, lladdr: '02:00:00:00:00:02', flags: ['self'], state: 'static', dst: '192.0.2.2' })).toEqual({ key: 's|100|02:00:00:00:00:02', value: '192.0.2.2' });
    expect(k.classifyFdb({ index: 7, lladdr: '02:00:00:00:00:02', flags: [], state: 'static', master: 6 })).toEqual({ key: 'm|100|02:00:00:00:00:02', value: true });
    expect(k.classifyFdb({ index: 7, lladdr: '52:00:00:00:00:09', flags: [], state: 'permanent', master: 6 })).toBeUndefined(); // the port's own
    expect(k.classifyFdb({ index: 9, lladdr: '02:00:00:00:00:01', flags: [], state: 'dynamic', master: 6 })).toBeUndefined(); // learned on a VM port
    expect(k.classifyNeigh({ index: 6, family: 'inet', address: '10.0.0.2', lladdr: '02:00:00:00:00:02', state: ['permanent'], flags: [] })).toEqual({ key: 'n|100|10.0.0.2', value: '02:00:00:00:00:02' });
    // Not permanent: nothing the agent holds (a deleted permanent entry may be reported so).
    expect(k.classifyNeigh({ index: 6, family: 'inet', address: '10.0.0.5', lladdr: '02:00:00:00:00:05', state: ['failed'], flags: [] })).toEqual({ key: 'n|100|10.0.0.5', value: undefined });
    expect(k.classifyNeigh({ index: 5, family: 'inet', address: '10.0.0.5', lladdr: '02:00:00:00:00:05', state: ['permanent'], flags: [] })).toBeUndefined();
  });

  it('turns a difference into the one batch op that removes it', () => {
    expect(k.opFor('f|100|192.0.2.2', true)).toEqual({ op: 'fdb.append', fdb: { dev: 7, lladdr: '00:00:00:00:00:00', dst: '192.0.2.2' } });
    k.applied('s|100|02:00:00:00:00:02', '192.0.2.2');
    expect(k.opFor('s|100|02:00:00:00:00:02', '192.0.2.2')).toBeUndefined();
    expect(k.opFor('s|100|02:00:00:00:00:02', '192.0.2.3')).toEqual({ op: 'fdb.replace', fdb: { dev: 7, lladdr: '02:00:00:00:00:02', dst: '192.0.2.3', self: true, state: 'static' } });
    expect(k.opFor('s|100|02:00:00:00:00:02', undefined)).toEqual({ op: 'fdb.del', fdb: { dev: 7, lladdr: '02:00:00:00:00:02', dst: '192.0.2.2', self: true } });
    expect(k.opFor('n|100|10.0.0.2', '02:00:00:00:00:02')).toEqual({ op: 'neigh.replace', neigh: { dev: 6, address: '10.0.0.2', lladdr: '02:00:00:00:00:02', state: 'permanent' } });
  });
});
