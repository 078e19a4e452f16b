/**
 * Options objects everywhere reject keys they don't know (a typo must never pass silently),
 * data and control are apart (a signal inside a spec is an unknown key), and nothing is sent
 * for a rejected call.
 */
import { describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { ValidationError } from '../../lib/errors';
import { Engine } from '../../lib/core/engine';
import { checkKeys, callSignal } from '../../lib/core/options';
import { Rtnl } from '../../lib/rtnetlink/handle';
import { FakeTransport, tick } from '../helpers/fake-kernel';

function offline(): { rt: Rtnl; t: FakeTransport } {
  const t = new FakeTransport();
  return { rt: new Rtnl(new Engine(t), 0), t };
}

async function rejectsNaming(p: Promise<unknown>, field: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).field).toBe(field);
}

describe('unknown option keys', () => {
  it('nl.open({ netnss }) names the key and opens nothing', async () => {
    await rejectsNaming(nl.open({ netnss: 'x' } as any), 'netnss');
  });

  it('nl.monitor({ rcvbuf }) names the key (the option is receiveBufferSize)', async () => {
    const err = await nl.monitor({ rcvbuf: 1 } as any).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('rcvbuf');
    expect((err as Error).message).toMatch(/unknown option "rcvbuf"/);
  });

  it('rt.route.add({ dst, gatway }) names the key and sends nothing', async () => {
    const { rt, t } = offline();
    const err = await rt.route.add({ dst: '10.0.0.0/8', gatway: '10.0.0.1' } as any).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('gatway');
    expect((err as Error).message).toMatch(/did you mean "gateway"/);
    await tick();
    expect(t.sends).toHaveLength(0);
  });

  it('a signal inside a spec is an unknown key: control goes in the trailing options', async () => {
    const { rt, t } = offline();
    await rejectsNaming(rt.route.del({ dst: '10.0.0.0/8', signal: new AbortController().signal } as any), 'signal');
    await rejectsNaming(rt.neigh.add({ dev: 1, address: '10.0.0.2', lladdr: '02:00:00:00:00:01', signal: undefined } as any), 'signal');
    await rejectsNaming(rt.route.add({ dst: '10.0.0.0/8', dev: 1 }, { signl: 1 } as any), 'options.signl');
    await tick();
    expect(t.sends).toHaveLength(0);
  });

  it('every family checks its specs and filters', async () => {
    const { rt, t } = offline();
    await rejectsNaming(rt.fdb.add({ dev: 1, lladdr: '02:00:00:00:00:01', vlanid: 3 } as any), 'vlanid');
    await rejectsNaming(rt.fdb.list({ master: 'br0' } as any), 'filter.master');
    await rejectsNaming(rt.rule.add({ priority: 5, tabel: 100 } as any), 'tabel');
    await rejectsNaming(rt.address.add(1, '10.0.0.1/24', { lable: 'x' } as any), 'lable');
    await rejectsNaming(rt.address.list({ link: 'v0' } as any), 'filter.link');
    await rejectsNaming(rt.route.list({ tabel: 5 } as any), 'filter.tabel');
    await rejectsNaming(rt.route.add({ dst: '10.0.0.0/8', multipath: [{ gateway: '10.0.0.1', wieght: 2 }] } as any), 'multipath.0.wieght');
    await rejectsNaming(rt.link.list({ knd: 'veth' } as any), 'filter.knd');
    await rejectsNaming(rt.bridge.vlan.list({ link: 'v0' } as any), 'filter.link');
    await rejectsNaming(rt.batch([{ op: 'route.add', route: { dst: '10.0.0.0/8' }, signal: undefined } as any]).then((r) => {
      throw (r[0] as any).error;
    }), 'ops.0.signal');
    await tick();
    expect(t.sends).toHaveLength(0);
  });

  it('a route from list() can be handed back to del(): output-only fields are known keys', () => {
    expect(() => checkKeys({ a: 1 }, ['a'])).not.toThrow();
    expect(() => callSignal({ signal: 'no' as any })).toThrow(ValidationError);
  });
});

describe('handle errors', () => {
  it('a call on a closed handle rejects with code ERR_HANDLE_CLOSED', async () => {
    const { rt } = offline();
    rt.close();
    await expect(rt.route.add({ dst: '10.0.0.0/8', dev: 1 })).rejects.toMatchObject({ code: 'ERR_HANDLE_CLOSED', name: 'HandleClosedError' });
  });

  it('namespace errors are a class users can instanceof', async () => {
    const err = await nl.open({ netns: `nljs-missing-${process.pid}` }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(nl.NetnsError);
    expect(err).toMatchObject({ code: 'ENOENT' });
  });
});
