/**
 * Per-VLAN MDB entries (VM tier: needs bridge VLAN filtering), with `bridge -j mdb` as the
 * oracle both ways, and the VLAN filter of rt.mdb.list().
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, bridgeJson, ip, isRoot } from '../helpers/netns';
import { itRequires } from '../helpers/requires';

const pool = new NetnsPool();

describe.skipIf(!isRoot)('MDB per VLAN (VM tier)', { timeout: 240_000 }, () => {
  afterAll(() => pool.cleanup());

  itRequires(['brvlan', 'veth'], 'entries in VLANs round-trip with bridge, and list filters by VLAN', async () => {
    const ns = pool.add('mdbvlan');
    const sh = (...a: string[]) => ip('-n', ns, ...a);
    sh('link', 'add', 'br0', 'type', 'bridge', 'vlan_filtering', '1', 'mcast_snooping', '1');
    sh('link', 'set', 'br0', 'up');
    sh('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p0x');
    sh('link', 'set', 'p0', 'master', 'br0');
    sh('link', 'set', 'p0', 'up');
    for (const vid of ['10', '20']) execFileSync('bridge', ['-n', ns, 'vlan', 'add', 'dev', 'p0', 'vid', vid]);
    const rt = await nl.open({ netns: ns });
    try {
      await rt.mdb.add({ bridge: 'br0', port: 'p0', group: '239.1.1.1', vlan: 10, permanent: true });
      execFileSync('bridge', ['-n', ns, 'mdb', 'add', 'dev', 'br0', 'port', 'p0', 'grp', '239.1.1.1', 'vid', '20', 'permanent']);
      const theirs = bridgeJson(ns, 'mdb', 'show')[0].mdb.filter((e: any) => e.grp === '239.1.1.1').map((e: any) => [e.port, e.grp, e.vid, e.state]).sort();
      const ours = (await rt.mdb.list()).filter((e) => e.group === '239.1.1.1').map((e) => [e.port, e.group, e.vlan, e.state]).sort();
      expect(ours).toEqual(theirs);
      expect(ours).toEqual([['p0', '239.1.1.1', 10, 'permanent'], ['p0', '239.1.1.1', 20, 'permanent']]);
      expect((await rt.mdb.list({ vlan: 20 })).map((e) => e.vlan)).toEqual([20]);
      await rt.mdb.del({ bridge: 'br0', port: 'p0', group: '239.1.1.1', vlan: 10 });
      expect(bridgeJson(ns, 'mdb', 'show')[0].mdb.filter((e: any) => e.grp === '239.1.1.1').map((e: any) => e.vid)).toEqual([20]);
    } finally {
      rt.close();
    }
  });
});
