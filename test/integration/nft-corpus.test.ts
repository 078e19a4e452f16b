/**
 * The nftables oracle corpus (test/fixtures/nft-corpus/*.nft): rules that use every
 * expression and statement the compiler supports, checked against `nft` both ways.
 *
 * (a) nft writes, we read: the corpus is loaded with `nft -f` into a fresh namespace; our
 *     register-level dump + decompileRule must print every rule exactly as `nft -j list ruleset`.
 * (b) we write, nft reads: nft's JSON for each rule is compiled by compileRule and applied
 *     (nft.apply) into a second namespace; `nft -j list ruleset` there must equal what was applied.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decompileRule } from '../../lib/nfnetlink/nftables/decompile';
import { compileRule, type Expr, type NftFamily } from '../../lib/nfnetlink/nftables/compile';
import { NetnsPool } from '../helpers/netns';
import { itRequires, type Feature } from '../helpers/requires';
import { dumpRegisterLevel } from './nft-corpus-dump';

const CORPUS = path.resolve(__dirname, '../fixtures/nft-corpus');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.nft')).sort();

function nft(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function nftJson(ns: string): any[] {
  return JSON.parse(nft(ns, '-j', 'list', 'ruleset')).nftables;
}

/** Interface names and indexes of a namespace (for meta iif / oif). */
function links(ns: string): { ifname: (i: number) => string | undefined; ifindex: (n: string) => number | undefined } {
  const list: { ifindex: number; ifname: string }[] = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show'], { encoding: 'utf8' }));
  return {
    ifname: (i) => list.find((l) => l.ifindex === i)?.ifname,
    ifindex: (n) => list.find((l) => l.ifname === n)?.ifindex,
  };
}

/** Kernel features a corpus file needs (`# requires: nft:flowtable` on its first lines). */
function requiresOf(file: string): Feature[] {
  const m = /^# requires: (.+)$/m.exec(readFileSync(path.join(CORPUS, file), 'utf8'));
  return m ? (m[1]!.split(/[ ,]+/).filter(Boolean) as Feature[]) : [];
}

/** An `it` for a corpus file: root always, plus what the file declares (VM tier where the host lacks it). */
function corpusIt(file: string, name: string, fn: () => Promise<void>): void {
  itRequires(['root', ...requiresOf(file)], `${file}: ${name}`, fn);
}

const pool = new NetnsPool();
afterAll(() => pool.cleanup());

describe('nft corpus: nft writes, decompileRule reads', () => {
  for (const file of files) {
    corpusIt(file, 'every rule decompiles to what nft -j prints', async () => {
      const ns = pool.add('nftcorpus');
      nft(ns, '-f', path.join(CORPUS, file));
      const expected = nftJson(ns).filter((o) => o.rule).map((o) => o.rule);
      const dump = await dumpRegisterLevel(ns);
      const names = links(ns);
      const ours = new Map(dump.rules.map((r) => [`${r.family}/${r.table}/${r.chain}/${r.handle}`, r]));
      const mismatches: unknown[] = [];
      for (const rule of expected) {
        const k = ours.get(`${rule.family}/${rule.table}/${rule.chain}/${rule.handle}`);
        expect(k, `rule ${rule.handle} dumped`).toBeDefined();
        const got = decompileRule(k!.exprs, {
          family: rule.family as NftFamily,
          ifname: names.ifname,
          set: (name) => dump.setContents(rule.family, rule.table, name),
        });
        if (JSON.stringify(got) !== JSON.stringify(rule.expr)) {
          try {
            expect(got).toEqual(rule.expr);
          } catch {
            mismatches.push({ handle: rule.handle, chain: rule.chain, nft: rule.expr, ours: got });
          }
        }
      }
      if (mismatches.length && process.env.NFT_CORPUS_DEBUG_A) require('node:fs').writeFileSync(process.env.NFT_CORPUS_DEBUG_A, JSON.stringify(mismatches, null, 1));
      expect(mismatches).toEqual([]);
      expect(expected.length).toBeGreaterThan(0);
    });
  }
});

/** Rules of a `nft -j list ruleset` output without handles (they differ between namespaces). */
function rulesOf(items: any[]): unknown[] {
  return items.filter((o) => o.rule).map((o) => {
    const { handle: _h, ...rest } = o.rule;
    return rest;
  });
}

describe('nft corpus: compileRule writes, nft reads', () => {
  for (const file of files) {
    corpusIt(file, "nft.apply of nft's own JSON lists back identically", async () => {
      const src = pool.add('nftcsrc');
      const dst = pool.add('nftcdst');
      nft(src, '-f', path.join(CORPUS, file));
      const doc = nftJson(src);
      // Handles belong to the source namespace (on a rule, "add" reads one as a position).
      for (const o of doc) for (const v of Object.values(o) as any[]) if (v && typeof v === 'object') delete v.handle;
      // nft 1.0.6 leaves "dynamic" out of the flags it prints (`nft -j -f` of its own output fails
      // the same way): restore it on sets that rules update.
      const updated = new Set(doc.flatMap((o) => (o.rule?.expr ?? []).filter((x: any) => x.set?.set).map((x: any) => `${o.rule.table}/${x.set.set.slice(1)}`)));
      for (const o of doc) if (o.set && updated.has(`${o.set.table}/${o.set.name}`)) o.set.flags = [...new Set([...(o.set.flags ?? []), 'dynamic'])];
      // nft 1.0.6 prints a netdev ingress chain on lo without its "dev" (the corpus uses lo).
      for (const o of doc) if (o.chain?.family === 'netdev' && o.chain.hook === 'ingress' && !o.chain.dev) o.chain.dev = 'lo';
      // Devices named by netdev chains / flowtables must exist in the target too (lo always does).
      const { openNft } = await import('../../lib/nfnetlink/nftables/nft');
      const h = await openNft({ netns: dst });
      try {
        await h.apply({ nftables: doc });
      } finally {
        await h.close?.();
      }
      const back = nftJson(dst);
      expect(rulesOf(back)).toEqual(rulesOf(doc));
      expect(rulesOf(doc).length).toBeGreaterThan(0);
    });
  }
});

/** Expressions with the per-transaction parts (set ids, anonymous set numbers, counters) blanked. */
function normalizeExprs(exprs: Expr[]): unknown[] {
  return exprs.map((e) => {
    const o: Record<string, unknown> = { ...e };
    if (e.name === 'dynset') {
      if (o.timeout === 0) delete o.timeout;
      if (o.expr) o.expr = normalizeExprs([o.expr as Expr])[0];
      if (o.exprs) o.exprs = normalizeExprs(o.exprs as Expr[]);
    }
    delete o.setId;
    if (typeof o.set === 'string' && /^__(set|map)\d+$/.test(o.set)) o.set = o.set.replace(/\d+$/, '%d');
    // Attributes the kernel reports with their default (absent = 0).
    for (const k of ['flags', 'csumType', 'csumOffset', 'csumFlags']) if (o[k] === 0) delete o[k];
    if (e.name === 'bitwise' && o.op === 0) delete o.op;
    if (e.name === 'counter') {
      delete o.packets;
      delete o.bytes;
    }
    if (e.name === 'quota') delete o.consumed;
    // The kernel reports log level 4 (warn) when none was given; nft leaves it out.
    if (e.name === 'log' && o.level === 4) delete o.level;
    if (e.name === 'log' && o.group !== undefined) {
      if (o.snaplen === 0) delete o.snaplen;
      if (o.qthreshold === 0) delete o.qthreshold;
    }
    const plain = JSON.parse(JSON.stringify(o, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)));
    return Object.fromEntries(Object.keys(plain).sort().map((k) => [k, plain[k]]));
  });
}

describe('nft corpus: compileRule emits the register-level expressions nft emits', () => {
  for (const file of files) {
    corpusIt(file, "compile(nft -j) equals the kernel's copy of nft's rule", async () => {
      const ns = pool.add('nftcreg');
      nft(ns, '-f', path.join(CORPUS, file));
      const expected = nftJson(ns).filter((o) => o.rule).map((o) => o.rule);
      const dump = await dumpRegisterLevel(ns);
      const byKey = new Map(dump.rules.map((r) => [`${r.family}/${r.table}/${r.chain}/${r.handle}`, r]));
      const names = links(ns);
      let id = 1;
      const mismatches: unknown[] = [];
      for (const rule of expected) {
        // The JSON of a rule that spelled out a dependency where nft would not put it no longer
        // says where it was (nft's listing drops it): compiling that JSON places it canonically.
        // (a) and (b) cover these rules; they are marked with a comment in the corpus.
        if (typeof rule.comment === 'string' && rule.comment.startsWith('lossy:')) continue;
        const kernel = byKey.get(`${rule.family}/${rule.table}/${rule.chain}/${rule.handle}`)!;
        const ours = compileRule(rule.expr, {
          family: rule.family,
          allocSetId: () => id++,
          ifindex: names.ifindex,
          namedSet: (name) => {
            const s = dump.sets.get(`${rule.family}/${rule.table}/${name}`)?.set.info;
            return s ? { key: s.key.fields, interval: (s.flags & 0x4) !== 0 } : undefined;
          },
        }, 'expr');
        const a = normalizeExprs(ours.exprs);
        const b = normalizeExprs(kernel.exprs);
        if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push({ handle: rule.handle, json: rule.expr, ours: a, kernel: b });
        // The anonymous sets: same type, flags, userdata and elements as nft's.
        const kernelSets = kernel.exprs.filter((e) => e.name === 'lookup' && /^__(set|map)\d+$/.test(e.set as string))
          .map((e) => dump.sets.get(`${rule.family}/${rule.table}/${e.set}`)!);
        const hex = (b?: Buffer) => b?.toString('hex');
        const elemsOf = (els: readonly { key: Buffer; keyEnd?: Buffer; flags: number; data?: unknown }[]) =>
          els.map((e) => JSON.stringify([hex(e.key), hex(e.keyEnd), e.flags, Buffer.isBuffer(e.data) ? hex(e.data) : e.data])).sort();
        const setA = ours.anonSets.map((s) => ({ flags: s.flags, keyType: s.keyType, keyLen: s.keyLen, dataType: s.dataType, dataLen: s.dataType === 0xffffff00 ? undefined : s.dataLen, size: s.size, userdata: hex(s.userdata), elems: elemsOf(s.elements) }));
        const setB = kernelSets.map((k) => ({ flags: k.attrs.flags, keyType: k.attrs.keyType, keyLen: k.attrs.keyLen, dataType: k.attrs.dataType, dataLen: k.attrs.dataType === 0xffffff00 ? undefined : k.attrs.dataLen, size: k.attrs.desc?.size, userdata: hex(k.attrs.userdata), elems: elemsOf(k.elems) }));
        if (JSON.stringify(setA) !== JSON.stringify(setB)) mismatches.push({ handle: rule.handle, json: rule.expr, oursSets: setA, kernelSets: setB });
      }
      if (mismatches.length && process.env.NFT_CORPUS_DEBUG) require('node:fs').writeFileSync(process.env.NFT_CORPUS_DEBUG, JSON.stringify(mismatches, null, 1));
      expect(mismatches).toEqual([]);
    });
  }
});
