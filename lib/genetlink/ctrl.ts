/**
 * The generic netlink controller (`nlctrl`): resolves a family name to its id, version,
 * header size, operations and multicast groups.
 *
 * Equivalent to: genl ctrl get name devlink
 */
import { decodeAttrs, defineSchema } from '../wire/attributes';
import { nestArray } from './attrs';
import {
  CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR, CTRL_ATTR_MCAST_GROUPS,
  CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_OPS, CTRL_ATTR_OP_FLAGS, CTRL_ATTR_OP_ID, CTRL_ATTR_VERSION,
  GENL_ADMIN_PERM, GENL_CMD_CAP_DO, GENL_CMD_CAP_DUMP, GENL_UNS_ADMIN_PERM,
} from './constants';
import { GENL_ATTRS_AT } from './genl-message';

const opSchema = defineSchema('ctrl.op', {
  [CTRL_ATTR_OP_ID]: { name: 'id', type: 'u32' },
  [CTRL_ATTR_OP_FLAGS]: { name: 'flags', type: 'u32' },
});

const groupSchema = defineSchema('ctrl.mcastGroup', {
  [CTRL_ATTR_MCAST_GRP_NAME]: { name: 'name', type: 'string' },
  [CTRL_ATTR_MCAST_GRP_ID]: { name: 'id', type: 'u32' },
});

/** CTRL_ATTR_* of a CTRL_CMD_NEWFAMILY reply. */
export const ctrlSchema = defineSchema('ctrl', {
  [CTRL_ATTR_FAMILY_ID]: { name: 'id', type: 'u16' },
  [CTRL_ATTR_FAMILY_NAME]: { name: 'name', type: 'string' },
  [CTRL_ATTR_VERSION]: { name: 'version', type: 'u32' },
  [CTRL_ATTR_HDRSIZE]: { name: 'hdrsize', type: 'u32' },
  [CTRL_ATTR_MAXATTR]: { name: 'maxattr', type: 'u32' },
  [CTRL_ATTR_OPS]: nestArray('ops', opSchema),
  [CTRL_ATTR_MCAST_GROUPS]: nestArray('groups', groupSchema),
});

/** One command a family implements, with what the kernel says about it. */
export interface GenlOp {
  /** Command number. */
  id: number;
  /** GENL_* flag bits as sent. */
  flags: number;
  /** Has a do handler (a single request). */
  do: boolean;
  /** Has a dump handler (NLM_F_DUMP). */
  dump: boolean;
  /** Needs CAP_NET_ADMIN (in the initial user namespace, or in the socket's with unsAdminPerm). */
  adminPerm: boolean;
  unsAdminPerm: boolean;
}

/** A multicast group of a family. */
export interface GenlGroup {
  name: string;
  id: number;
}

/** A resolved generic netlink family. */
export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  /** Size of the family's own fixed header after genlmsghdr (0 for nearly all). */
  hdrsize: number;
  maxattr: number;
  ops: GenlOp[];
  groups: GenlGroup[];
}

/** Decodes a CTRL_CMD_NEWFAMILY message (a GETFAMILY reply or a dump part). */
export function decodeFamily(buf: Buffer, off: number, len: number): GenlFamily {
  const a = decodeAttrs<any>(ctrlSchema, buf, off + GENL_ATTRS_AT, off + len);
  return {
    id: a.id ?? 0,
    name: a.name ?? '',
    version: a.version ?? 0,
    hdrsize: a.hdrsize ?? 0,
    maxattr: a.maxattr ?? 0,
    ops: ((a.ops ?? []) as { id?: number; flags?: number }[]).map((o) => {
      const flags = o.flags ?? 0;
      return {
        id: o.id ?? 0,
        flags,
        do: (flags & GENL_CMD_CAP_DO) !== 0,
        dump: (flags & GENL_CMD_CAP_DUMP) !== 0,
        adminPerm: (flags & GENL_ADMIN_PERM) !== 0,
        unsAdminPerm: (flags & GENL_UNS_ADMIN_PERM) !== 0,
      };
    }),
    groups: ((a.groups ?? []) as { name?: string; id?: number }[])
      .filter((g) => g.name !== undefined && g.id !== undefined)
      .map((g) => ({ name: g.name!, id: g.id! })),
  };
}
