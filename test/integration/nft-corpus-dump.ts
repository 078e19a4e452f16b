/**
 * A direct register-level dump for the corpus test: every rule of a namespace with its
 * expressions, and the elements of every set, read over NETLINK_NETFILTER with the shared
 * engine and the objects codec's message decoders — independent of nft.list(), so the
 * expression decoder is checked against `nft -j` on its own.
 */
import { openNfnetlinkSocket } from '../../lib/nfnetlink/nfnetlink';
import { NFT_MSG, FAMILIES } from '../../lib/nfnetlink/nftables/constants';
import { nftMessage } from '../../lib/nfnetlink/nftables/objects/common';
import { decodeRule, type KernelRule } from '../../lib/nfnetlink/nftables/objects/rule';
import { decodeElementMessage, decodeSet, setSchema, type DecodedSet, type KernelElement } from '../../lib/nfnetlink/nftables/objects/set';
import { decodeAttrs } from '../../lib/wire/attributes';
import { NLM_F_DUMP } from '../../lib/wire/constants';
import type { SetContents } from '../../lib/nfnetlink/nftables/decompile';

/** Rules and sets (with elements) of the namespace `netns`. */
export interface RegisterDump {
  rules: KernelRule[];
  sets: Map<string, { set: DecodedSet; attrs: Record<string, any>; elems: KernelElement[] }>;
  /** The contents of a set for decompile: by family/table/name. */
  setContents(family: string, table: string, name: string): SetContents | undefined;
}

export async function dumpRegisterLevel(netns: string): Promise<RegisterDump> {
  const { engine } = await openNfnetlinkSocket({ netns });
  try {
    const req = <T>(msg: number, family: number, decode: (b: Buffer, o: number, l: number) => T | undefined, attrs?: (w: any) => void) => {
      const w = nftMessage(msg, NLM_F_DUMP, family, 64);
      attrs?.(w);
      return engine.request<T>(w.finish(), { operation: 'corpus dump', dump: true, decode: (b, o, l) => decode(b, o, l) });
    };
    const rules = await req(NFT_MSG.GETRULE, 0, decodeRule);
    const setList = await req(NFT_MSG.GETSET, 0, (b, o, l) => ({ set: decodeSet(b, o, l), attrs: decodeAttrs(setSchema, b, o + 20, o + l) }));
    const sets = new Map<string, { set: DecodedSet; attrs: Record<string, any>; elems: KernelElement[] }>();
    for (const { set: s, attrs } of setList) {
      const elems: KernelElement[] = [];
      await req(NFT_MSG.GETSETELEM, FAMILIES[s.info.family] ?? 0, (b, o, l) => {
        decodeElementMessage(b, o, l, elems);
        return undefined;
      }, (w) => {
        w.string(1, s.info.table);
        w.string(2, s.info.name);
      });
      sets.set(`${s.info.family}/${s.info.table}/${s.info.name}`, { set: s, attrs, elems });
    }
    return {
      rules,
      sets,
      setContents(family, table, name) {
        const s = sets.get(`${family}/${table}/${name}`);
        return s ? { flags: s.set.info.flags, elements: s.elems } : undefined;
      },
    };
  } finally {
    engine.close();
  }
}
