/** IFA_* attributes and address flags (linux/if_addr.h). */
import { defineSchema } from '../wire/attributes';

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

/** struct ifa_cacheinfo. */
export interface AddressCacheInfo {
  preferred: number;
  valid: number;
  /** Creation and last-update times, in hundredths of a second since boot. */
  created: number;
  updated: number;
}

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
      l >= 16 ? { preferred: b.readUInt32LE(o), valid: b.readUInt32LE(o + 4), created: b.readUInt32LE(o + 8), updated: b.readUInt32LE(o + 12) } : undefined,
  },
  [IFA.MULTICAST]: { name: 'multicast', type: 'ip' },
  [IFA.FLAGS]: { name: 'ifaFlags', type: 'u32' },
  [IFA.RT_PRIORITY]: { name: 'metric', type: 'u32' },
  [IFA.PROTO]: { name: 'proto', type: 'u8' },
});
