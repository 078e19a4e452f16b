/**
 * Standalone actions (`tc actions …`): the tcamsg messages the kernel sends for them, and a
 * dump of every action of the kinds this library types (what the tc monitor re-lists).
 */
import type { Engine } from '../../core/engine';
import { NetlinkError } from '../../errors';
import { forEachAttr } from '../../wire/attributes';
import { NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import { MessageWriter } from '../../wire/message-writer';
import { ACTION_CODECS, decodeActions, type Action } from './actions';
import { RTM_GETACTION, RTM_NEWACTION } from './constants';

const TCAMSG_SIZE = 4;
const TCA_ACT_TAB = 1;

/** The actions one RTM_NEWACTION/DELACTION message carries. */
export interface ActionNotice {
  actions: Action[];
}

/** Decodes an RTM_NEWACTION/DELACTION message (`off` at its nlmsghdr). */
export function decodeActionMessage(buf: Buffer, off: number, len: number): ActionNotice {
  const out: ActionNotice = { actions: [] };
  forEachAttr(buf, off + NLMSG_HDRLEN + TCAMSG_SIZE, off + len, (t, o, l) => {
    if (t === TCA_ACT_TAB) out.actions.push(...decodeActions(buf, o, l));
  }, 'tcamsg');
  return out;
}

/**
 * Every action of the typed kinds, one dump per kind (the kernel dumps actions by kind).
 * Equivalent to: tc actions ls action KIND (for each kind)
 */
export async function listActions(engine: Engine, signal?: AbortSignal): Promise<ActionNotice[]> {
  const dumps = await Promise.all(Object.keys(ACTION_CODECS).map((kind) => {
    const w = new MessageWriter(RTM_GETACTION, NLM_F_DUMP);
    w.struct(TCAMSG_SIZE, () => {});
    w.nestStart(TCA_ACT_TAB, 'kind');
    w.nestStart(1, 'kind');
    w.string(1, kind, 'kind');
    w.nestEnd();
    w.nestEnd();
    return engine.request(w.finish(), {
      operation: 'tc.action.list', dump: true,
      // Action dumps answer with RTM_GETACTION messages (notifications are RTM_NEWACTION).
      decode: (buf, off, len, type) => (type === RTM_NEWACTION || type === RTM_GETACTION ? decodeActionMessage(buf, off, len) : undefined),
      ...(signal ? { signal } : {}),
    }).catch((err: unknown) => {
      // A kind this kernel lacks has no actions; anything else is a real failure.
      if (err instanceof NetlinkError && ['ENOENT', 'EINVAL', 'EOPNOTSUPP'].includes(err.code)) return [] as ActionNotice[];
      throw err;
    });
  }));
  return dumps.flat().flatMap((n) => n.actions.map((a) => ({ actions: [a] })));
}
