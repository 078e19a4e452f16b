/**
 * devlink codecs: handles, rate units, the one attribute table (encode → decode round trips
 * into ports, rates, params, reporters, traps) and formatted messages (health diagnose/dump).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { decodeDevlinkEvent } from '../../lib/genetlink/devlink/devlink';
import { decodeDevlink, fmsgOf, paramData, reloadActions, toHealth, toParam, toPort, toRate, toTrap } from '../../lib/genetlink/devlink/decode';
import { buildFmsg, decodeFmsgItems } from '../../lib/genetlink/devlink/fmsg';
import { checkNodeName, parseDev, parsePort, parseRate } from '../../lib/genetlink/devlink/handles';
import { CMD, devlinkSchema } from '../../lib/genetlink/devlink/schema';
import { rateToBytes } from '../../lib/genetlink/devlink/units';
import { genlWriter } from '../../lib/genetlink/genl-message';
import { encodeAttrs } from '../../lib/wire/attributes';
import type { MessageWriter } from '../../lib/wire/message-writer';

function message(cmd: number, attrs: Record<string, unknown>, extra?: (w: MessageWriter) => void): Buffer {
  const w = genlWriter(0x1c, cmd, 1);
  encodeAttrs(w, devlinkSchema, attrs);
  extra?.(w);
  return Buffer.from(w.finish().bytes);
}
const decode = (b: Buffer) => decodeDevlink(b, 0, b.length);
const dev = { busName: 'netdevsim', devName: 'netdevsim7' };

describe('devlink handles', () => {
  it('parses device, port and rate handles as devlink writes them', () => {
    expect(parseDev('pci/0000:03:00.0')).toEqual({ busName: 'pci', devName: '0000:03:00.0' });
    expect(parsePort('netdevsim/netdevsim7/128')).toEqual({ ...dev, portIndex: 128 });
    expect(parseRate('netdevsim/netdevsim7/130')).toEqual({ ...dev, portIndex: 130 });
    expect(parseRate('netdevsim/netdevsim7/grp1')).toEqual({ ...dev, nodeName: 'grp1' });
  });

  it('names the field of a malformed handle', () => {
    expect(() => parseDev('netdevsim')).toThrow(expect.objectContaining({ field: 'dev' }));
    expect(() => parseDev('a/b/c')).toThrow(ValidationError);
    expect(() => parsePort('netdevsim/netdevsim7/x', 'port')).toThrow(expect.objectContaining({ field: 'port' }));
    expect(() => parseRate('netdevsim/netdevsim7', 'handle')).toThrow(expect.objectContaining({ field: 'handle' }));
    expect(() => checkNodeName('42')).toThrow(expect.objectContaining({ field: 'name' }));
    expect(() => checkNodeName('a/b')).toThrow(ValidationError);
  });
});

describe('rates', () => {
  it('converts bit/s and unit strings to the kernel bytes/s', () => {
    expect(rateToBytes(8_000_000, 'txMax')).toBe(1_000_000);
    expect(rateToBytes('100mbit', 'txMax')).toBe(12_500_000);
    expect(rateToBytes('1gbit', 'txMax')).toBe(125_000_000);
    expect(rateToBytes('10mbps', 'txMax')).toBe(10_000_000);
    expect(rateToBytes('1kibit', 'txMax')).toBe(128);
    expect(rateToBytes('12', 'txMax')).toBe(1);
  });

  it('rejects what is not a rate, naming the field', () => {
    for (const bad of ['fast', '10m', -1, NaN, '1e3mbit', null]) {
      expect(() => rateToBytes(bad, 'txShare')).toThrow(expect.objectContaining({ field: 'txShare' }));
    }
  });

  it('decodes leaves and nodes in bit/s with their parent', () => {
    const leaf = toRate(decode(message(CMD.RATE_NEW, { ...dev, portIndex: 129, rateType: 0, rateTxShare: 625_000, rateTxMax: 6_250_000, rateParentNodeName: 'grp1' })));
    expect(leaf).toEqual({ handle: 'netdevsim/netdevsim7/129', dev: 'netdevsim/netdevsim7', type: 'leaf', port: 129, txShare: 5_000_000, txMax: 50_000_000, parent: 'grp1' });
    const node = toRate(decode(message(CMD.RATE_NEW, { ...dev, rateType: 1, rateNodeName: 'grp1', rateTxShare: 0, rateTxMax: 25_000_000 })));
    expect(node).toEqual({ handle: 'netdevsim/netdevsim7/grp1', dev: 'netdevsim/netdevsim7', type: 'node', name: 'grp1', txShare: 0, txMax: 200_000_000 });
  });
});

describe('ports, params, reporters, traps', () => {
  it('decodes a VF representor port with flavour, numbers and function', () => {
    const b = message(CMD.PORT_NEW, {
      ...dev, portIndex: 128, portType: 2, portFlavour: 4, portNetdevName: 'eth1', portNetdevIfindex: 3, portPciPfNumber: 0,
      portPciVfNumber: 0, portControllerNumber: 0, portExternal: false, portSplittable: false,
      portFunction: { hwAddr: '02:00:00:00:00:01', state: 1 },
    });
    expect(toPort(decode(b))).toEqual({
      handle: 'netdevsim/netdevsim7/128', dev: 'netdevsim/netdevsim7', index: 128, type: 'eth', flavour: 'pcivf', netdev: 'eth1',
      ifindex: 3, pfnum: 0, vfnum: 0, controller: 0, external: false, splittable: false, function: { hwAddr: '02:00:00:00:00:01', state: 'active' },
    });
    // A flavour newer than this table stays a number.
    expect(toPort(decode(message(CMD.PORT_NEW, { ...dev, portIndex: 1, portFlavour: 42 }))).flavour).toBe(42);
  });

  it('decodes params by their type, booleans by the flag', () => {
    const b = message(CMD.PARAM_GET, dev, (w) => {
      w.nestStart(80).string(81, 'max_macs').flag(82).u8(83, 3);
      w.nestStart(84).nestStart(85).u8(87, 1).u32(86, 32).nestEnd().nestEnd();
      w.nestEnd();
    });
    expect(toParam(decode(b))).toEqual({ dev: 'netdevsim/netdevsim7', name: 'max_macs', generic: true, type: 'u32', values: [{ cmode: 'driverinit', value: 32 }] });
    const flag = message(CMD.PARAM_GET, dev, (w) => {
      w.nestStart(80).string(81, 'test1').u8(83, 6);
      w.nestStart(84).nestStart(85).u8(87, 1).nestEnd().nestStart(85).u8(87, 0).flag(86).nestEnd().nestEnd();
      w.nestEnd();
    });
    expect(toParam(decode(flag))!.values).toEqual([{ cmode: 'driverinit', value: false }, { cmode: 'runtime', value: true }]);
    expect(paramData('string', Buffer.from('abc\0'))).toBe('abc');
    expect(paramData('u16', Buffer.from([1, 2]))).toBe(0x201);
  });

  it('decodes health reporters and traps', () => {
    const h = message(CMD.HEALTH_REPORTER_GET, dev, (w) => {
      w.nestStart(114).string(115, 'dummy').u8(116, 1).u64(117, 2).u64(118, 1).u64(120, 500).u8(121, 1).u8(141, 0).nestEnd();
    });
    expect(toHealth(decode(h))).toEqual({
      handle: 'netdevsim/netdevsim7', dev: 'netdevsim/netdevsim7', name: 'dummy', state: 'error', errorCount: 2, recoverCount: 1,
      gracePeriodMs: 500, autoRecover: true, autoDump: false,
    });
    const t = message(CMD.TRAP_GET, { ...dev, trapName: 'ttl_value_is_too_small', trapType: 1, trapAction: 1, trapGroupName: 'l3_exceptions', trapGeneric: true }, (w) => {
      w.nestStart(134).flag(0).nestEnd();
      w.nestStart(129).u64(0, 5).u64(1, 400).nestEnd();
    });
    expect(toTrap(decode(t))).toEqual({
      dev: 'netdevsim/netdevsim7', name: 'ttl_value_is_too_small', type: 'exception', action: 'trap', group: 'l3_exceptions',
      generic: true, metadata: ['input_port'], stats: { rxPackets: 5, rxBytes: 400 },
    });
  });

  it('decodes notifications by command, and reload actions by bit', () => {
    const ev = decodeDevlinkEvent(...((b) => [b, 0, b.length, CMD.PORT_DEL] as const)(message(CMD.PORT_DEL, { ...dev, portIndex: 129, portFlavour: 4 })));
    expect(ev).toMatchObject({ type: 'port', action: 'del', dev: 'netdevsim/netdevsim7', object: { handle: 'netdevsim/netdevsim7/129', flavour: 'pcivf' } });
    const other = message(99, dev);
    expect(decodeDevlinkEvent(other, 0, other.length, 99)).toMatchObject({ type: 'other', cmd: 99 });
    expect(reloadActions(0b110)).toEqual(['driver_reinit', 'fw_activate']);
    expect(reloadActions(undefined)).toEqual([]);
  });
});

describe('formatted messages (health diagnose and dump)', () => {
  /** Writes fmsg items: ['obj'], ['pair', name], ['arr'], ['end'], [nlaType, value]. */
  function fmsg(items: (readonly [string] | readonly [string, string] | readonly [number, unknown])[]): Buffer {
    const w = genlWriter(0x1c, CMD.HEALTH_REPORTER_DIAGNOSE, 1);
    w.nestStart(106);
    for (const it of items) {
      if (it[0] === 'obj') w.flag(107);
      else if (it[0] === 'pair') w.flag(108).string(111, it[1] as string);
      else if (it[0] === 'arr') w.flag(109);
      else if (it[0] === 'end') w.flag(110);
      else {
        const [type, v] = it as [number, unknown];
        w.u8(112, type);
        if (type === 6) w.u8(113, v ? 1 : 0);
        else if (type === 1) w.u8(113, v as number);
        else if (type === 3) w.u32(113, v as number);
        else if (type === 4) w.u64(113, v as number);
        else if (type === 10) w.string(113, v as string);
        else w.bytes(113, v as Buffer);
      }
    }
    w.nestEnd();
    return Buffer.from(w.finish().bytes);
  }

  it('folds pairs, nested objects, arrays and binary into the tree devlink -j prints', () => {
    const a = fmsg([
      ['obj'], ['pair', 'test_bool'], [6, true], ['end'], ['pair', 'test_u64'], [4, 2 ** 40], ['end'],
      ['pair', 'test_binary'], ['arr'], [11, Buffer.from([1, 2])], [11, Buffer.from([3])], ['end'], ['end'],
      ['pair', 'test_nest'], ['obj'], ['pair', 'nested_u8'], [1, 7], ['end'], ['end'], ['end'],
    ]);
    const b = fmsg([['pair', 'list'], ['arr'], ['obj'], ['pair', 's'], [10, 'x'], ['end'], ['end'], [3, 9], ['end'], ['end'], ['end']]);
    const tree = fmsgOf([decode(a), decode(b)]);
    expect(tree).toEqual({ test_bool: true, test_u64: 2 ** 40, test_binary: [1, 2, 3], test_nest: { nested_u8: 7 }, list: [{ s: 'x' }, 9] });
  });

  it('accepts a run without the outer object start', () => {
    const items = decodeFmsgItems(...((b) => [b, 24, b.readUInt16LE(20) - 4] as const)(fmsg([['pair', 'k'], [10, 'v'], ['end']])));
    expect(buildFmsg(items)).toEqual({ k: 'v' });
  });
});
