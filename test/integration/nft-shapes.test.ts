/**
 * Rule shapes against the kernel and `nft`: the oracle corpus loaded with `nft -f`, then every
 * rule added twice more by nft.apply (the second and third of a shape are built from the
 * first's bytes, apply-templates.ts). `nft -j` must show each rule three times, and nft.list()
 * (whose listing decompiles each shape once, rule-templates.ts) must print the rules as
 * `nft -j list ruleset` prints them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { NetnsPool } from '../helpers/netns';
import { itRequires, type Feature } from '../helpers/requires';
import { openNft } from '../../lib/nfnetlink/nftables/nft';

const CORPUS = path.resolve(__dirname, '../fixtures/nft-corpus');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.nft')).sort();

const nft = (ns: string, ...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const nftJson = (ns: string): any[] => JSON.parse(nft(ns, '-j', 'list', 'ruleset')).nftables;

function requiresOf(file: string): Feature[] {
  const m = /^# requires: (.+)$/m.exec(readFileSync(path.join(CORPUS, file), 'utf8'));
  return m ? (m[1]!.split(/[ ,]+/).filter(Boolean) as Feature[]) : [];
}

/** A rule without its handle, as a comparable string. */
const key = (r: any) => {
  const { handle: _h, ...rest } = r;
  return JSON.stringify(rest);
};

const pool = new NetnsPool();
afterAll(() => pool.cleanup());

describe('nft rule shapes: each corpus rule three times', () => {
  for (const file of files) {
    itRequires(['root', ...requiresOf(file)], `${file}: apply builds repeats from shapes, list prints them as nft -j does`, async () => {
      const ns = pool.add('nftshape');
      nft(ns, '-f', path.join(CORPUS, file));
      const rules = nftJson(ns).filter((o) => o.rule).map((o) => o.rule);
      expect(rules.length).toBeGreaterThan(0);
      const again = rules.map((r) => {
        const { handle: _h, ...rest } = r;
        return { add: { rule: rest } };
      });
      const h = await openNft({ netns: ns });
      try {
        await h.apply({ nftables: [...again, ...structuredClone(again)] });
        const after = nftJson(ns);
        const count = new Map<string, number>();
        for (const o of after) if (o.rule) count.set(key(o.rule), (count.get(key(o.rule)) ?? 0) + 1);
        for (const r of rules) expect(count.get(key(r)), key(r)).toBe(3 * rules.filter((x) => key(x) === key(r)).length);
        // The rules as nft prints them (objects compared apart from key order: nft 1.0.6
        // orders a few keys its own way, the same with or without shapes).
        const listed = (await h.list()).nftables.filter((o) => o.rule);
        const theirs = nftJson(ns).filter((o) => o.rule);
        expect(listed.length).toBe(3 * rules.length);
        expect(listed).toEqual(theirs);
      } finally {
        h.close();
      }
    });
  }
});
