/**
 * `netlinkjs devlink dev|port`: devlink devices and ports as `devlink [-j] dev show` and
 * `devlink [-j] port show` print them (JSON keyed by handle, text one object a line).
 */
import type { DevlinkDevice, DevlinkPort } from '../genetlink/devlink/decode';

/** `devlink -j dev show`: `{ dev: { 'bus/device': {} } }`. */
export function devicesJson(list: DevlinkDevice[]): Record<string, unknown> {
  return { dev: Object.fromEntries(list.map((d) => [d.handle, d.reloadFailed ? { reload_failed: true } : {}])) };
}

/** `devlink dev show`. */
export function devicesText(list: DevlinkDevice[]): string {
  return list.map((d) => d.handle + (d.reloadFailed ? ': reload_failed true' : '')).join('\n');
}

/** One port's attributes in devlink's order and key names. */
function portFields(p: DevlinkPort): [string, unknown][] {
  const f: [string, unknown][] = [];
  if (p.type !== undefined) f.push(['type', p.type]);
  if (p.netdev !== undefined) f.push(['netdev', p.netdev]);
  if (p.ibdev !== undefined) f.push(['ibdev', p.ibdev]);
  if (p.flavour !== undefined) f.push(['flavour', p.flavour]);
  if (p.controller !== undefined && p.flavour !== 'physical') f.push(['controller', p.controller]);
  if (p.pfnum !== undefined && p.flavour !== 'physical') f.push(['pfnum', p.pfnum]);
  if (p.vfnum !== undefined) f.push(['vfnum', p.vfnum]);
  if (p.sfnum !== undefined) f.push(['sfnum', p.sfnum]);
  if (p.external !== undefined && p.flavour !== 'physical') f.push(['external', p.external]);
  if (p.number !== undefined) f.push(['port', p.number]);
  if (p.splitGroup !== undefined) f.push(['split_group', p.splitGroup]);
  if (p.splittable !== undefined) f.push(['splittable', p.splittable]);
  if (p.lanes !== undefined) f.push(['lanes', p.lanes]);
  if (p.function) {
    const fn: Record<string, unknown> = {};
    if (p.function.hwAddr !== undefined) fn.hw_addr = p.function.hwAddr;
    if (p.function.state !== undefined) fn.state = p.function.state;
    if (p.function.opstate !== undefined) fn.opstate = p.function.opstate;
    f.push(['function', fn]);
  }
  return f;
}

/** `devlink -j port show`: `{ port: { 'bus/device/index': { type, netdev, flavour, port, splittable } } }`. */
export function portsJson(list: DevlinkPort[]): Record<string, unknown> {
  return { port: Object.fromEntries(list.map((p) => [p.handle, Object.fromEntries(portFields(p))])) };
}

/** `devlink port show`. */
export function portsText(list: DevlinkPort[]): string {
  return list
    .map((p) => {
      const words = portFields(p).flatMap(([k, v]) => (k === 'function' ? [] : [k, String(v)]));
      let line = `${p.handle}: ${words.join(' ')}`;
      const fn = portFields(p).find(([k]) => k === 'function')?.[1] as Record<string, unknown> | undefined;
      if (fn) line += `\n  function:\n    ${Object.entries(fn).map(([k, v]) => `${k} ${v}`).join(' ')}`;
      return line;
    })
    .join('\n');
}
