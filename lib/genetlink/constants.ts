/**
 * Generic netlink numbers (linux/genetlink.h). Family ids are dynamic and resolved by name
 * through the controller (`nlctrl`, the one family with a fixed id).
 */

/** The netlink protocol of generic netlink sockets. */
export const NETLINK_GENERIC = 16;
/** The controller family's fixed id. */
export const GENL_ID_CTRL = 16;
/** sizeof(struct genlmsghdr): cmd u8, version u8, reserved u16. */
export const GENL_HDRLEN = 4;

/** Asks for one family by name or id (or all, as a dump). */
export const CTRL_CMD_GETFAMILY = 3;
/** A family: the answer to GETFAMILY, and the notification when one registers. */
export const CTRL_CMD_NEWFAMILY = 1;
/** Notification: a family went away. */
export const CTRL_CMD_DELFAMILY = 2;

/** u16 family id. */
export const CTRL_ATTR_FAMILY_ID = 1;
/** Family name (string). */
export const CTRL_ATTR_FAMILY_NAME = 2;
/** u32 family version. */
export const CTRL_ATTR_VERSION = 3;
/** u32 size of the family's own header. */
export const CTRL_ATTR_HDRSIZE = 4;
/** u32 highest attribute number. */
export const CTRL_ATTR_MAXATTR = 5;
/** Nest of the family's commands. */
export const CTRL_ATTR_OPS = 6;
/** Nest of its multicast groups. */
export const CTRL_ATTR_MCAST_GROUPS = 7;

/** u32 command number (in an CTRL_ATTR_OPS item). */
export const CTRL_ATTR_OP_ID = 1;
/** u32 GENL_* flags of the command. */
export const CTRL_ATTR_OP_FLAGS = 2;
/** Group name (in a CTRL_ATTR_MCAST_GROUPS item). */
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
/** u32 group id to join. */
export const CTRL_ATTR_MCAST_GRP_ID = 2;

/** Operation flag (CTRL_ATTR_OP_FLAGS): the command needs CAP_NET_ADMIN in the initial user namespace. */
export const GENL_ADMIN_PERM = 0x01;
/** The command has a do handler. */
export const GENL_CMD_CAP_DO = 0x02;
/** The command has a dump handler. */
export const GENL_CMD_CAP_DUMP = 0x04;
/** The command validates attributes by a policy. */
export const GENL_CMD_CAP_HASPOL = 0x08;
/** The command needs CAP_NET_ADMIN in the socket's user namespace. */
export const GENL_UNS_ADMIN_PERM = 0x10;
