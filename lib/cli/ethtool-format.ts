/**
 * `netlinkjs ethtool DEV [-k|-l|-g]`: ethtool's views in ethtool's words. `-k -j` prints what
 * `ethtool --json -k DEV` prints (aggregate legacy names carry `fixed`/`requested: null`);
 * ethtool has no JSON for the other views, so `-j` there prints `[{ ifname, …the library's
 * object }]` in the same envelope.
 */
import type { Channels, LinkInfo, LinkModes, LinkState, Rings } from '../genetlink/ethtool/ethtool';
import { LEGACY_FLAGS, flagPatternMatch, type FeatureState } from '../genetlink/ethtool/features';

/** Legacy names that stand for several kernel features in this view (their members follow them). */
function aggregates(features: Record<string, FeatureState>): Map<string, string[]> {
  const names = Object.keys(features);
  const out = new Map<string, string[]>();
  for (const flag of LEGACY_FLAGS) {
    if (!(flag.long in features)) continue;
    const members = names.filter((n) => n !== flag.long && flagPatternMatch(n, flag.pattern));
    if (members.length > 0) out.set(flag.long, members);
  }
  return out;
}

/** `ethtool --json -k DEV`. */
export function featuresJson(dev: string, features: Record<string, FeatureState>): Record<string, unknown>[] {
  const agg = aggregates(features);
  const out: Record<string, unknown> = { ifname: dev };
  for (const [name, s] of Object.entries(features)) {
    out[name] = agg.has(name) ? { active: s.active, fixed: null, requested: null } : { active: s.active, fixed: s.fixed, requested: s.requested };
  }
  return [out];
}

/** `ethtool -k DEV`: members of an aggregate indented under it. */
export function featuresText(dev: string, features: Record<string, FeatureState>): string {
  const agg = aggregates(features);
  const member = new Set([...agg.values()].flat());
  const lines = [`Features for ${dev}:`];
  for (const [name, s] of Object.entries(features)) {
    let line = `${member.has(name) ? '\t' : ''}${name}: ${s.active ? 'on' : 'off'}`;
    if (!agg.has(name)) {
      if (s.fixed) line += ' [fixed]';
      else if (s.requested !== s.active) line += ` [requested ${s.requested ? 'on' : 'off'}]`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

const na = (v: number | undefined) => (v === undefined ? 'n/a' : String(v));

/** `ethtool -l DEV`. */
export function channelsText(dev: string, c: Channels): string {
  const block = (x: { rx?: number; tx?: number; other?: number; combined?: number }) => [
    `RX:\t\t${na(x.rx)}`, `TX:\t\t${na(x.tx)}`, `Other:\t\t${na(x.other)}`, `Combined:\t${na(x.combined)}`,
  ];
  return [`Channel parameters for ${dev}:`, 'Pre-set maximums:', ...block(c.max), 'Current hardware settings:', ...block(c)].join('\n');
}

/** `ethtool -g DEV`. */
export function ringsText(dev: string, r: Rings): string {
  const block = (x: { rx?: number; rxMini?: number; rxJumbo?: number; tx?: number }) => [
    `RX:\t\t${na(x.rx)}`, `RX Mini:\t${na(x.rxMini)}`, `RX Jumbo:\t${na(x.rxJumbo)}`, `TX:\t\t${na(x.tx)}`,
  ];
  const lines = [`Ring parameters for ${dev}:`, 'Pre-set maximums:', ...block(r.max), 'Current hardware settings:', ...block(r)];
  lines.push(`RX Buf Len:\t\t${na(r.rxBufLen)}`, `CQE Size:\t\t${na(r.cqeSize)}`, `TX Push:\t${r.txPush ? 'on' : 'off'}`);
  lines.push(`TCP data split:\t${r.tcpDataSplit === undefined || r.tcpDataSplit === 'unknown' ? 'n/a' : r.tcpDataSplit === 'enabled' ? 'on' : 'off'}`);
  return lines.join('\n');
}

const PORTS: Record<string, string> = { tp: 'Twisted Pair', aui: 'AUI', bnc: 'BNC', mii: 'MII', fibre: 'FIBRE', da: 'Direct Attach Copper', none: 'None', other: 'Other' };
const MDIX: Record<string, string> = { unknown: 'Unknown', mdi: 'off', mdix: 'on', auto: 'Unknown (auto)' };

/** What `ethtool DEV` prints, from the three netlink views it is made of. */
export interface SettingsView {
  modes: LinkModes;
  info: LinkInfo;
  state: LinkState;
}

/** `ethtool DEV` (the lines netlink reports: link modes, speed, duplex, autoneg, port, PHY, MDI-X, link). */
export function settingsText(dev: string, v: SettingsView): string {
  const modes = (list: string[]) => (list.length ? list.join(' ') : 'Not reported');
  const lines = [`Settings for ${dev}:`];
  lines.push(`\tSupported link modes:   ${modes(v.modes.supported)}`);
  lines.push(`\tAdvertised link modes:  ${modes(v.modes.advertised)}`);
  if (v.modes.peer.length) lines.push(`\tLink partner advertised link modes:  ${modes(v.modes.peer)}`);
  lines.push(`\tSpeed: ${v.modes.speed === undefined ? 'Unknown!' : `${v.modes.speed}Mb/s`}`);
  if (v.modes.lanes !== undefined) lines.push(`\tLanes: ${v.modes.lanes}`);
  lines.push(`\tDuplex: ${v.modes.duplex === 'full' ? 'Full' : v.modes.duplex === 'half' ? 'Half' : 'Unknown! (255)'}`);
  lines.push(`\tAuto-negotiation: ${v.modes.autoneg ? 'on' : 'off'}`);
  if (v.info.port !== undefined) lines.push(`\tPort: ${PORTS[v.info.port] ?? v.info.port}`);
  if (v.info.phyaddr !== undefined) lines.push(`\tPHYAD: ${v.info.phyaddr}`);
  if (v.info.transceiver !== undefined) lines.push(`\tTransceiver: ${v.info.transceiver}`);
  if (v.info.tpMdix !== undefined) lines.push(`\tMDI-X: ${MDIX[v.info.tpMdix] ?? v.info.tpMdix}`);
  if (v.state.link !== undefined) lines.push(`\tLink detected: ${v.state.link ? 'yes' : 'no'}`);
  return lines.join('\n');
}
