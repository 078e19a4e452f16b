/**
 * Kinds 'gretap' and 'gre' (IPv4 underlay), 'ip6gretap' and 'ip6gre' (IPv6): IFLA_GRE_*,
 * options under `gre`. Keys, checksums and sequence numbers are GRE header flags on the wire
 * (IFLA_GRE_IFLAGS/OFLAGS); the options name them: `key` (both directions), `ikey`/`okey`,
 * `csum`/`icsum`/`ocsum`, `seq`/`iseq`/`oseq`.
 */
import { ValidationError } from '../../../errors';
import { defineSchema, type AttrSpec } from '../../../wire/attributes';
import { AF_INET, AF_INET6 } from '../../../wire/constants';
import { parseIp } from '../../../wire/address';
import type { LinkRef } from '../../request/link-ref';
import { checkBool, checkInt, defineKind, isUnsetAddress, names, type KindDefinition } from './kind-codec';

/** IFLA_GRE_* attribute numbers (linux/if_tunnel.h). */
export const IFLA_GRE = {
  LINK: 1, IFLAGS: 2, OFLAGS: 3, IKEY: 4, OKEY: 5, LOCAL: 6, REMOTE: 7, TTL: 8, TOS: 9, PMTUDISC: 10,
  ENCAP_LIMIT: 11, FLOWINFO: 12, FLAGS: 13, ENCAP_TYPE: 14, ENCAP_FLAGS: 15, ENCAP_SPORT: 16,
  ENCAP_DPORT: 17, COLLECT_METADATA: 18, IGNORE_DF: 19, FWMARK: 20, ERSPAN_INDEX: 21,
  ERSPAN_VER: 22, ERSPAN_DIR: 23, ERSPAN_HWID: 24,
} as const;

/** GRE header flag bits (network order values as u16). */
const GRE_CSUM = 0x8000;
const GRE_KEY = 0x2000;
const GRE_SEQ = 0x1000;

/** Options of a GRE device. */
export interface GreOptions {
  local?: string;
  remote?: string;
  /** Underlay device. */
  dev?: LinkRef;
  ttl?: number;
  tos?: number;
  /** Path MTU discovery (default on). */
  pmtudisc?: boolean;
  /** Key for both directions (sets ikey and okey). */
  key?: number;
  ikey?: number;
  okey?: number;
  /** Checksums both directions. */
  csum?: boolean;
  icsum?: boolean;
  ocsum?: boolean;
  /** Sequence numbers both directions. */
  seq?: boolean;
  iseq?: boolean;
  oseq?: boolean;
  /** Flow-based (collect metadata) device. */
  external?: true;
  ignoreDf?: boolean;
  fwmark?: number;
  /** ip6gre/ip6gretap: encapsulation limit. */
  encapLimit?: number;
  /** ip6gre/ip6gretap: flow label and traffic class (flowinfo word). */
  flowinfo?: number;
  /** ip6gre/ip6gretap: IP6_TNL_F_* flags. */
  ip6Flags?: number;
  /** Outer encapsulation (TUNNEL_ENCAP_*: 1 fou, 2 gue) and its flags and UDP ports. */
  encapType?: number;
  encapFlags?: number;
  encapSport?: number;
  encapDport?: number;
}

/** `link.info` of a GRE device. */
export interface GreInfo extends Omit<GreOptions, 'dev' | 'key' | 'csum' | 'seq'> {
  dev?: number;
  icsum: boolean;
  ocsum: boolean;
  iseq: boolean;
  oseq: boolean;
}

/** The GRE IFLA_INFO_DATA table. */
export const greSchema = defineSchema('gre', {
  [IFLA_GRE.LINK]: { name: 'dev', type: 'u32' },
  [IFLA_GRE.IFLAGS]: { name: 'iflags', type: 'u16be' },
  [IFLA_GRE.OFLAGS]: { name: 'oflags', type: 'u16be' },
  [IFLA_GRE.IKEY]: { name: 'ikey', type: 'u32be' },
  [IFLA_GRE.OKEY]: { name: 'okey', type: 'u32be' },
  [IFLA_GRE.LOCAL]: { name: 'local', type: 'ip' },
  [IFLA_GRE.REMOTE]: { name: 'remote', type: 'ip' },
  [IFLA_GRE.TTL]: { name: 'ttl', type: 'u8' },
  [IFLA_GRE.TOS]: { name: 'tos', type: 'u8' },
  [IFLA_GRE.PMTUDISC]: { name: 'pmtudisc', type: 'bool8' },
  [IFLA_GRE.ENCAP_LIMIT]: { name: 'encapLimit', type: 'u8' },
  [IFLA_GRE.FLOWINFO]: { name: 'flowinfo', type: 'u32be' },
  [IFLA_GRE.FLAGS]: { name: 'ip6Flags', type: 'u32' },
  [IFLA_GRE.ENCAP_TYPE]: { name: 'encapType', type: 'u16' },
  [IFLA_GRE.ENCAP_FLAGS]: { name: 'encapFlags', type: 'u16' },
  [IFLA_GRE.ENCAP_SPORT]: { name: 'encapSport', type: 'u16be' },
  [IFLA_GRE.ENCAP_DPORT]: { name: 'encapDport', type: 'u16be' },
  [IFLA_GRE.COLLECT_METADATA]: { name: 'external', type: 'flag' },
  [IFLA_GRE.IGNORE_DF]: { name: 'ignoreDf', type: 'bool8' },
  [IFLA_GRE.FWMARK]: { name: 'fwmark', type: 'u32' },
  [IFLA_GRE.ERSPAN_INDEX]: { name: 'erspanIndex', type: 'u32' },
  [IFLA_GRE.ERSPAN_VER]: { name: 'erspanVer', type: 'u8' },
  [IFLA_GRE.ERSPAN_DIR]: { name: 'erspanDir', type: 'u8' },
  [IFLA_GRE.ERSPAN_HWID]: { name: 'erspanHwid', type: 'u16' },
});

const ip6Only = new Set(['encapLimit', 'flowinfo', 'ip6Flags']);

/** Settings the kernel reports and takes back; a changelink resets every one left out. */
const KEPT = [
  'dev', 'local', 'remote', 'ttl', 'tos', 'pmtudisc', 'ikey', 'okey', 'icsum', 'ocsum', 'iseq', 'oseq', 'external',
  'ignoreDf', 'fwmark', 'encapLimit', 'flowinfo', 'ip6Flags', 'encapType', 'encapFlags', 'encapSport', 'encapDport',
  'erspanIndex', 'erspanVer', 'erspanDir', 'erspanHwid',
];

/** The current settings under the changes; a both-directions option replaces its i/o pair. */
function mergeForSet(current: Record<string, unknown>, opts: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  for (const k of KEPT) if (current[k] !== undefined) base[k] = current[k];
  const pairs: [string, string, string][] = [['key', 'ikey', 'okey'], ['csum', 'icsum', 'ocsum'], ['seq', 'iseq', 'oseq']];
  for (const [both, i, o] of pairs) {
    if (opts[both] !== undefined) {
      delete base[i];
      delete base[o];
    }
  }
  return { ...base, ...opts };
}

const definition = (kind: 'gre' | 'gretap' | 'ip6gre' | 'ip6gretap'): KindDefinition => {
  const family = kind.startsWith('ip6') ? AF_INET6 : AF_INET;
  return {
    kind,
    optionsKey: 'gre',
    mergeForSet,
    data: { schema: greSchema, linkFields: names('dev') },
    toWire(opts, field) {
      const { key, csum, seq, icsum, ocsum, iseq, oseq, iflags, oflags, ...out } = opts;
      if (iflags !== undefined || oflags !== undefined) {
        throw new ValidationError(`${field}.${iflags !== undefined ? 'iflags' : 'oflags'}`, `unknown ${field} option (use key, csum, seq and their i/o forms)`);
      }
      for (const k of ['local', 'remote'] as const) if (out[k] !== undefined) parseIp(out[k], `${field}.${k}`, family);
      for (const k of Object.keys(out)) {
        if (family === AF_INET && ip6Only.has(k) && out[k] !== undefined) throw new ValidationError(`${field}.${k}`, `only for ip6gre and ip6gretap, not ${kind}`);
      }
      if (key !== undefined) {
        checkInt(key, `${field}.key`, 0, 0xffff_ffff);
        if ((out.ikey !== undefined && out.ikey !== key) || (out.okey !== undefined && out.okey !== key)) {
          throw new ValidationError(`${field}.key`, 'contradicts ikey/okey (key sets both)');
        }
        out.ikey = key;
        out.okey = key;
      }
      const both = (v: unknown, f: string) => (v === undefined ? undefined : checkBool(v, `${field}.${f}`));
      const ic = both(icsum, 'icsum') ?? both(csum, 'csum');
      const oc = both(ocsum, 'ocsum') ?? both(csum, 'csum');
      const is = both(iseq, 'iseq') ?? both(seq, 'seq');
      const os = both(oseq, 'oseq') ?? both(seq, 'seq');
      // The flags word is written whole, so it is only sent when a flag-affecting option is given.
      if (out.ikey !== undefined || ic !== undefined || is !== undefined) {
        out.iflags = (out.ikey !== undefined ? GRE_KEY : 0) | (ic ? GRE_CSUM : 0) | (is ? GRE_SEQ : 0);
      }
      if (out.okey !== undefined || oc !== undefined || os !== undefined) {
        out.oflags = (out.okey !== undefined ? GRE_KEY : 0) | (oc ? GRE_CSUM : 0) | (os ? GRE_SEQ : 0);
      }
      return out;
    },
    fromWire(info) {
      const { iflags = 0, oflags = 0, ikey, okey, ...rest } = info;
      const out: Record<string, unknown> = { ...rest, icsum: (iflags & GRE_CSUM) !== 0, ocsum: (oflags & GRE_CSUM) !== 0, iseq: (iflags & GRE_SEQ) !== 0, oseq: (oflags & GRE_SEQ) !== 0 };
      if (iflags & GRE_KEY && ikey !== undefined) out.ikey = ikey;
      if (oflags & GRE_KEY && okey !== undefined) out.okey = okey;
      for (const k of ['local', 'remote']) if (isUnsetAddress(out[k])) delete out[k];
      if (out.dev === 0) delete out.dev;
      return out;
    },
  };
};

for (const kind of ['gre', 'gretap', 'ip6gre', 'ip6gretap'] as const) defineKind(definition(kind));
