/** IFA_* attributes and address flags (linux/if_addr.h). */
import { defineSchema } from '../../wire/attributes';

/** IFA_* attribute numbers. */
export const IFA = {
  ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, ANYCAST: 5, CACHEINFO: 6, MULTICAST: 7, FLAGS: 8,
  RT_PRIORITY: 9, TARGET_NETNSID: 10, PROTO: 11,
} as const;

/** IFA_F_* flags in the order iproute2 prints them. */
export const IFA_F: [number, string][] = [
  [0x01, 'secondary'], [0x02, 'nodad'], [0x04, 'optimistic'], [0x08, 'dadfailed'], [0x10, 'home'],
  [0x20, 'deprecated'], [0x40, 'tentative'], [0x80, 'permanent'], [0x100, 'mngtmpaddr'],
  [0x200, 'noprefixroute'], [0x400, 'autojoin'], [0x800, 'stable-privacy'],
];

/** Address flags a caller may set (the rest are state the kernel reports). */
export type AddressFlagName = 'nodad' | 'optimistic' | 'home' | 'mngtmpaddr' | 'noprefixroute' | 'autojoin';

/** Settable flag name → IFA_F_* bit (as `ip address add … FLAG`). */
export const SETTABLE_IFA_F: ReadonlyMap<string, number> = new Map([
  ['nodad', 0x02], ['optimistic', 0x04], ['home', 0x10], ['mngtmpaddr', 0x100], ['noprefixroute', 0x200], ['autojoin', 0x400],
]);

/** A lifetime that never runs out (INFINITY_LIFE_TIME), as `ip` prints 'forever'. */
export const FOREVER = 0xffff_ffff;

/** struct ifa_cacheinfo. */
export interface AddressCacheInfo {
  preferred: number;
  valid: number;
  /** Creation and last-update times, in hundredths of a second since boot. */
  created: number;
  updated: number;
}

/** struct ifa_cacheinfo size. */
export const IFA_CACHEINFO_SIZE = 16;

/** The RTM_NEWADDR attribute table. */
export const addressSchema = defineSchema('address', {
  [IFA.ADDRESS]: { name: 'ifaAddress', type: 'ip' },
  [IFA.LOCAL]: { name: 'ifaLocal', type: 'ip' },
  [IFA.LABEL]: { name: 'label', type: 'string' },
  [IFA.BROADCAST]: { name: 'broadcast', type: 'ip' },
  [IFA.ANYCAST]: { name: 'anycast', type: 'ip' },
  [IFA.CACHEINFO]: {
    name: 'cacheInfo', type: 'binary',
    decode: (b, o, l): AddressCacheInfo | undefined =>
      l >= IFA_CACHEINFO_SIZE ? { preferred: b.readUInt32LE(o), valid: b.readUInt32LE(o + 4), created: b.readUInt32LE(o + 8), updated: b.readUInt32LE(o + 12) } : undefined,
  },
  [IFA.MULTICAST]: { name: 'multicast', type: 'ip' },
  [IFA.FLAGS]: { name: 'ifaFlags', type: 'u32' },
  [IFA.RT_PRIORITY]: { name: 'metric', type: 'u32' },
  [IFA.PROTO]: { name: 'proto', type: 'u8' },
});
