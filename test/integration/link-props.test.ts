/**
 * Link properties against `ip -j link`: altnames we add ip shows, altnames ip adds we decode,
 * lookups by altname (short ones as IFLA_IFNAME, long ones as IFLA_ALT_IFNAME), deletion, and
 * validation before anything is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

const theirAltnames = (dev: string): string[] => ipnJson(ns, 'link', 'show', 'dev', dev)[0].altnames ?? [];

describe.skipIf(!isRoot)('link properties: altnames (root)', () => {
  beforeAll(async () => {
    ns = pool.add('props');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('we add altnames, ip shows them; our Link carries them', async () => {
    await rt.link.set('v0', { altnames: { add: ['uplink-a', 'a-very-long-alternative-name-for-v0'] } });
    expect(theirAltnames('v0')).toEqual(['uplink-a', 'a-very-long-alternative-name-for-v0']);
    expect((await rt.link.get('v0')).altNames).toEqual(['uplink-a', 'a-very-long-alternative-name-for-v0']);
  });

  it('ip adds an altname, we decode it (get and list)', async () => {
    ip('-n', ns, 'link', 'property', 'add', 'dev', 'v1', 'altname', 'peer-side');
    expect((await rt.link.get('v1')).altNames).toEqual(theirAltnames('v1'));
    const listed = (await rt.link.list()).find((l) => l.name === 'v1')!;
    expect(listed.altNames).toEqual(['peer-side']);
  });

  it('looks links up by altname, short and long; other APIs take short altnames too', async () => {
    const index = (await rt.link.get('v0')).index;
    expect((await rt.link.get('uplink-a')).index).toBe(index);
    expect((await rt.link.get('a-very-long-alternative-name-for-v0')).index).toBe(index);
    await rt.link.set('uplink-a', { mtu: 1400 });
    expect(ipnJson(ns, 'link', 'show', 'dev', 'v0')[0].mtu).toBe(1400);
    await expect(rt.link.get('no-such-altname-anywhere')).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('other changes and altnames in one set(); del removes them', async () => {
    await rt.link.set('v0', { mtu: 1300, altnames: { del: ['uplink-a'], add: ['uplink-b'] } });
    expect(ipnJson(ns, 'link', 'show', 'dev', 'v0')[0].mtu).toBe(1300);
    expect(theirAltnames('v0').sort()).toEqual(['a-very-long-alternative-name-for-v0', 'uplink-b']);
    await rt.link.set('v0', { altnames: { del: ['a-very-long-alternative-name-for-v0', 'uplink-b'] } });
    expect(theirAltnames('v0')).toEqual([]);
    expect((await rt.link.get('v0')).altNames).toBeUndefined();
  });

  it('kernel refusals carry extack; bad input is refused naming the field', async () => {
    const err = await rt.link.set('v0', { altnames: { add: ['v1'] } }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    await expect(rt.link.set('v0', { altnames: { add: ['has space'] } })).rejects.toMatchObject({ name: 'ValidationError', field: 'altnames.add.0' });
    await expect(rt.link.set('v0', { altnames: { add: ['x'.repeat(128)] } })).rejects.toMatchObject({ field: 'altnames.add.0' });
    await expect(rt.link.set('v0', { altnames: { remove: ['x'] } as any })).rejects.toMatchObject({ field: 'altnames.remove' });
    await expect(rt.link.set('v0', { altnames: {} })).rejects.toMatchObject({ field: 'altnames' });
    expect(theirAltnames('v0')).toEqual([]);
  });
});
