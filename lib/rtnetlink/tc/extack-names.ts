/**
 * Names for extack offsets in filter requests, read from the message itself: bulk filter adds
 * build no name map per message (10 000 maps kept until the acks), yet a kernel refusal
 * pointing into an action still names 'actions[0].mirred.dev' as the per-message map did.
 */
import { NLMSG_HDRLEN } from '../../wire/constants';
import type { AttrTable } from '../../wire/message-writer';
import { TCA } from './constants';
import { FLOWER_ATTR_NAMES, TCA_FLOWER_ACT, TCA_FLOWER_CLASSID } from './filter-flower';
import { TCMSG_SIZE } from './tcmsg';
import { attrType, readName } from './tlv';

const TCA_ACT_KIND = 1;
const TCA_ACT_OPTIONS = 2;
const TCA_ACT_INDEX = 3;
const TCA_ACT_COOKIE = 6;

/** Per filter kind: its TCA_*_ACT and TCA_*_CLASSID attributes and its own fields by type. */
const KINDS: Record<string, { act: number; classid: number; police?: number; fields: Readonly<Record<number, string>> }> = {
  u32: { act: 7, classid: 1, police: 6, fields: { 2: 'u32.ht', 3: 'u32.link', 4: 'u32.divisor', 5: 'u32.match', 8: 'u32.indev', 11: 'u32' } },
  flower: { act: TCA_FLOWER_ACT, classid: TCA_FLOWER_CLASSID, fields: FLOWER_ATTR_NAMES },
  matchall: { act: 2, classid: 1, fields: { 3: 'matchall' } },
  fw: { act: 4, classid: 1, police: 2, fields: { 3: 'fw.indev', 5: 'fw.mask' } },
  basic: { act: 3, classid: 1, police: 4, fields: { 2: 'basic.ematches' } },
  bpf: { act: 1, classid: 3, police: 2, fields: { 4: 'bpf.ops', 5: 'bpf.ops', 6: 'bpf.fd', 7: 'bpf.name', 8: 'bpf.directAction' } },
};

/** Fields inside an action's options by action kind and attribute type (as the encoders name them). */
const ACTION_FIELDS: Record<string, Record<number, string>> = { mirred: { 2: 'dev' }, gact: { 2: 'action', 3: 'random' } };

/** The attribute of [at, end) that contains `offset`: its start and length, or undefined. */
function containing(msg: Buffer, at: number, end: number, offset: number): [number, number] | undefined {
  while (end - at >= 4) {
    const len = msg[at]! | (msg[at + 1]! << 8);
    if (len < 4 || at + len > end) return undefined;
    if (offset >= at && offset < at + len) return [at, len];
    at += (len + 3) & ~3;
  }
  return undefined;
}

/** The value of the name attribute `type` among those of [at, end), or ''. */
function findName(msg: Buffer, at: number, end: number, type: number): string {
  while (end - at >= 4) {
    const len = msg[at]! | (msg[at + 1]! << 8);
    if (len < 4 || at + len > end) return '';
    if (attrType(msg, at) === type) return readName(msg, at + 4, len - 4);
    at += (len + 3) & ~3;
  }
  return '';
}

function actionName(msg: Buffer, at: number, end: number, offset: number): string {
  const hit = containing(msg, at, end, offset);
  if (!hit) return 'actions';
  const base = `actions[${attrType(msg, hit[0]) - 1}]`;
  if (offset === hit[0]) return base;
  const inner = containing(msg, hit[0] + 4, hit[0] + hit[1], offset);
  if (!inner) return base;
  const kind = findName(msg, hit[0] + 4, hit[0] + hit[1], TCA_ACT_KIND);
  switch (attrType(msg, inner[0])) {
    case TCA_ACT_KIND: return `${base}.kind`;
    case TCA_ACT_INDEX: return `${base}.index`;
    case TCA_ACT_COOKIE: return `${base}.cookie`;
    case TCA_ACT_OPTIONS: {
      const opt = offset === inner[0] ? undefined : containing(msg, inner[0] + 4, inner[0] + inner[1], offset);
      const field = opt ? ACTION_FIELDS[kind]?.[attrType(msg, opt[0])] : undefined;
      return field ? `${base}.${kind}.${field}` : `${base}.${kind || 'options'}`;
    }
    default: return base;
  }
}

/** Names the attribute of a filter request (whole message bytes) at `offset`. */
function filterNameAt(msg: Buffer, offset: number): string | undefined {
  const start = NLMSG_HDRLEN + TCMSG_SIZE;
  const end = msg.length;
  const hit = containing(msg, start, end, offset);
  if (!hit) return undefined;
  const type = attrType(msg, hit[0]);
  if (type === TCA.KIND) return 'kind';
  if (type === TCA.CHAIN) return 'chain';
  if (type !== TCA.OPTIONS) return undefined;
  const kind = findName(msg, start, end, TCA.KIND);
  const spec = KINDS[kind];
  if (offset === hit[0] || !spec) return kind || 'options';
  const inner = containing(msg, hit[0] + 4, hit[0] + hit[1], offset);
  if (!inner) return kind;
  const t = attrType(msg, inner[0]);
  if (t === spec.act) return offset === inner[0] ? 'actions' : actionName(msg, inner[0] + 4, inner[0] + inner[1], offset);
  if (t === spec.classid) return 'classid';
  if (t === spec.police) return 'police';
  return spec.fields[t] ?? kind;
}

/** The names of filter requests' attributes (top level by table, nested from the bytes). */
export const FILTER_ATTRS: AttrTable = {
  headerSize: TCMSG_SIZE,
  fields: { [TCA.KIND]: 'kind', [TCA.OPTIONS]: 'options', [TCA.CHAIN]: 'chain' },
  nameAt: filterNameAt,
};
