/**
 * Netdev features the way `ethtool -k` names them. The kernel knows only its own feature
 * names (the ETH_SS_FEATURES string set: 'tx-tcp-segmentation', 'rx-gro' …); ethtool groups
 * some of them under legacy names ('tcp-segmentation-offload' covers tx-tcp*-segmentation)
 * and shows a legacy name instead of the feature when exactly one feature matches it
 * ('generic-receive-offload' for rx-gro). The table and the matching are ethtool's
 * (common.c off_flag_def, netlink/features.c), so the names here are the ones `ethtool -k`
 * prints and `ethtool -K` accepts.
 */
import { ValidationError } from '../../errors';
import { bitOn } from './bitset';

/** ethtool's legacy offload flags: short name (ethtool -K), long name (ethtool -k), kernel pattern. */
export const LEGACY_FLAGS: readonly { short: string; long: string; pattern: string }[] = [
  { short: 'rx', long: 'rx-checksumming', pattern: 'rx-checksum' },
  { short: 'tx', long: 'tx-checksumming', pattern: 'tx-checksum-*' },
  { short: 'sg', long: 'scatter-gather', pattern: 'tx-scatter-gather*' },
  { short: 'tso', long: 'tcp-segmentation-offload', pattern: 'tx-tcp*-segmentation' },
  { short: 'ufo', long: 'udp-fragmentation-offload', pattern: 'tx-udp-fragmentation' },
  { short: 'gso', long: 'generic-segmentation-offload', pattern: 'tx-generic-segmentation' },
  { short: 'gro', long: 'generic-receive-offload', pattern: 'rx-gro' },
  { short: 'lro', long: 'large-receive-offload', pattern: 'rx-lro' },
  { short: 'rxvlan', long: 'rx-vlan-offload', pattern: 'rx-vlan-hw-parse' },
  { short: 'txvlan', long: 'tx-vlan-offload', pattern: 'tx-vlan-hw-insert' },
  { short: 'ntuple', long: 'ntuple-filters', pattern: 'rx-ntuple-filter' },
  { short: 'rxhash', long: 'receive-hashing', pattern: 'rx-hashing' },
];

/** ethtool's pattern match: at most one '*', matching any run of characters. */
export function flagPatternMatch(name: string, pattern: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return name === pattern;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return name.length >= head.length + tail.length && name.startsWith(head) && name.endsWith(tail);
}

/** One feature's state, as `ethtool -k` shows it ("on", "off [fixed]", "on [requested off]"). */
export interface FeatureState {
  /** In effect now. */
  active: boolean;
  /** What was asked for (differs from `active` when the driver or a dependency overrides it). */
  requested: boolean;
  /** Cannot be changed (not in the device's hw_features, or a no-change feature). */
  fixed: boolean;
}

/** The raw bitsets of a FEATURES_GET reply. */
export interface FeatureBits {
  hw: Uint32Array;
  wanted: Uint32Array;
  active: Uint32Array;
  nochange: Uint32Array;
}

function stateOf(bits: FeatureBits, i: number): FeatureState {
  return {
    active: bitOn(bits.active, i),
    requested: bitOn(bits.wanted, i),
    fixed: !bitOn(bits.hw, i) || bitOn(bits.nochange, i),
  };
}

/**
 * The `ethtool -k` view: legacy group names first (a group of several features also lists
 * each member by its kernel name; a group of one shows only the legacy name), then every
 * feature no legacy flag covers. Object key order is ethtool's print order.
 */
export function featuresView(names: readonly string[], bits: FeatureBits): Record<string, FeatureState> {
  const flagOf = names.map((n) => (n ? LEGACY_FLAGS.findIndex((f) => flagPatternMatch(n, f.pattern)) : -1));
  const out: Record<string, FeatureState> = {};
  LEGACY_FLAGS.forEach((flag, fi) => {
    if (flag.short === 'ufo') return; // no kernel with the netlink interface has UFO; ethtool skips it
    const members = flagOf.flatMap((f, i) => (f === fi ? [i] : []));
    if (members.length === 1) {
      out[flag.long] = stateOf(bits, members[0]!);
      return;
    }
    const states = members.map((i) => stateOf(bits, i));
    out[flag.long] = {
      active: states.some((s) => s.active),
      requested: states.some((s) => s.requested),
      fixed: states.every((s) => s.fixed),
    };
    for (const i of members) out[names[i]!] = stateOf(bits, i);
  });
  names.forEach((n, i) => {
    if (n && flagOf[i]! < 0) out[n] = stateOf(bits, i);
  });
  return out;
}

/**
 * Expands `{ name: on }` (ethtool -K names: short or long legacy names, or kernel feature
 * names) into kernel feature names. An unknown name or a non-boolean value is a
 * ValidationError naming `field.name`.
 */
export function expandFeatureChanges(names: readonly string[], changes: Record<string, unknown>, field = 'features'): Map<string, boolean> {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw new ValidationError(field, 'expected { featureName: boolean }');
  }
  const known = new Set(names.filter(Boolean));
  const out = new Map<string, boolean>();
  for (const [name, on] of Object.entries(changes)) {
    const f = `${field}.${name}`;
    if (typeof on !== 'boolean') throw new ValidationError(f, 'expected true or false');
    const flag = LEGACY_FLAGS.find((x) => x.short === name || x.long === name);
    if (flag && !known.has(name)) {
      const members = names.filter((n) => n && flagPatternMatch(n, flag.pattern));
      if (members.length === 0) throw new ValidationError(f, `this kernel has no feature matching "${flag.pattern}"`);
      for (const m of members) out.set(m, on);
      continue;
    }
    if (!known.has(name)) {
      throw new ValidationError(f, `unknown feature "${name}" (see ethtool -k; legacy names ${LEGACY_FLAGS.map((x) => x.short).join(', ')} work too)`);
    }
    out.set(name, on);
  }
  return out;
}
