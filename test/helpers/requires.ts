/**
 * Lets a privileged test declare what it needs from the running kernel
 * (`itRequires(['vlan', 'netdevsim'], 'name', fn)`). Each feature is probed once per process, on
 * the real kernel: a link kind by creating one in a scratch namespace, netdevsim by its sysfs bus.
 *
 * Where a feature is missing the test is skipped with the reason printed (console.warn) and shown
 * in vitest's summary; it is never counted as passed. With NETLINKJS_TEST_STRICT=1 (set by
 * `npm run test:vm`, whose kernel has everything) a missing feature fails the test instead, so the
 * VM tier cannot go green by skipping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { describe, it, type TestFunction } from 'vitest';
import { ip, isRoot, uniqueName } from './netns';

/** Link kinds a test can require; each is probed with `ip link add … type <kind>`. */
export type LinkKindFeature =
  | 'vlan'
  | 'bond'
  | 'dummy'
  | 'ipvlan'
  | 'vrf'
  | 'geneve'
  | 'gretap'
  | 'vxlan'
  | 'macvlan'
  | 'macvtap'
  | 'bridge'
  | 'brvlan'
  | 'veth';

/** Traffic-control kinds (qdiscs, classifiers, actions) a test can require, as 'tc:<kind>'. */
export type TcFeature =
  | 'tc:netem' | 'tc:sfq' | 'tc:fq_codel' | 'tc:fq' | 'tc:prio' | 'tc:hfsc' | 'tc:cake' | 'tc:mqprio' | 'tc:drr'
  | 'tc:flower' | 'tc:matchall' | 'tc:fw' | 'tc:basic' | 'tc:bpf'
  | 'tc:gact' | 'tc:police' | 'tc:vlan' | 'tc:skbedit' | 'tc:tunnel_key' | 'tc:csum' | 'tc:pedit' | 'tc:nat'
  | 'tc:connmark' | 'tc:ct' | 'tc:sample';

/** nftables features a test can require, as 'nft:<feature>'; each is probed with `nft -f` in a scratch namespace. */
export type NftFeature = 'nft:flowtable' | 'nft:objref';

/** Everything a test can require: a link kind, a tc kind, an nftables feature, netdevsim (fake SR-IOV NICs), or running as root. */
export type Feature = LinkKindFeature | TcFeature | NftFeature | 'netdevsim' | 'root';

const NFT_PROBES: Record<NftFeature, string> = {
  'nft:flowtable': 'table inet probe { flowtable f { hook ingress priority 0; devices = { lo }; }; }\n',
  // Named objects referenced from rules (`counter name "c"`): the objref expression.
  'nft:objref': 'table inet probe { counter c { }; chain x { counter name "c"; }; }\n',
};

const isNftFeature = (f: Feature): f is NftFeature => Object.hasOwn(NFT_PROBES, f);

/** Loads each nftables probe ruleset in its own scratch namespace (removed afterwards). */
function probeNftFeatures(features: NftFeature[]): void {
  for (const f of features) {
    const ns = uniqueName('probe');
    const nsError = tryIp(['netns', 'add', ns]);
    if (nsError) {
      probed.set(f, `cannot make a scratch namespace to probe it: ${nsError}`);
      continue;
    }
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: NFT_PROBES[f], stdio: ['pipe', 'pipe', 'pipe'] });
      probed.set(f, null);
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      probed.set(f, `kernel ${release()} or nft cannot load it (${err.stderr?.toString().trim() || err.message})`);
    } finally {
      tryIp(['netns', 'del', ns]);
    }
  }
}

/** The outcome of `requires()`: whether to skip, and why (empty when nothing is missing). */
export interface Requirement {
  skip: boolean;
  reason: string;
  missing: Feature[];
}

/**
 * The arguments after `ip link add <name>` that create each kind. Kinds that stack on another
 * device (`lower`) get `link <lower>` added, a veth made for the purpose (a dummy if veth is
 * missing). Addresses are from TEST-NET-1; nothing is brought up.
 */
const LINK_PROBES: Record<LinkKindFeature, { args: string[]; lower?: boolean }> = {
  veth: { args: ['type', 'veth', 'peer', 'name', 'probe-peer'] },
  bridge: { args: ['type', 'bridge'] },
  // A bridge with VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); short name: probe-<kind> is an ifname.
  brvlan: { args: ['type', 'bridge', 'vlan_filtering', '1'] },
  dummy: { args: ['type', 'dummy'] },
  bond: { args: ['type', 'bond'] },
  vrf: { args: ['type', 'vrf', 'table', '4242'] },
  vxlan: { args: ['type', 'vxlan', 'id', '42', 'dstport', '4789'] },
  geneve: { args: ['type', 'geneve', 'id', '42', 'remote', '192.0.2.1'] },
  gretap: { args: ['type', 'gretap', 'remote', '192.0.2.1', 'local', '192.0.2.2'] },
  vlan: { args: ['type', 'vlan', 'id', '42'], lower: true },
  macvlan: { args: ['type', 'macvlan', 'mode', 'bridge'], lower: true },
  macvtap: { args: ['type', 'macvtap', 'mode', 'bridge'], lower: true },
  ipvlan: { args: ['type', 'ipvlan', 'mode', 'l2'], lower: true },
};

const isLinkKind = (f: Feature): f is LinkKindFeature => Object.hasOwn(LINK_PROBES, f);

/**
 * The `tc` commands that make one of each tc kind on a 4-queue veth 'probe-tc' (DEV); a
 * classifier is tried on a clsact hook, an action as a standalone action.
 */
const TC_PROBES: Record<TcFeature, string[]> = {
  'tc:netem': ['qdisc', 'add', 'dev', 'DEV', 'root', 'netem'],
  'tc:sfq': ['qdisc', 'add', 'dev', 'DEV', 'root', 'sfq'],
  'tc:fq_codel': ['qdisc', 'add', 'dev', 'DEV', 'root', 'fq_codel'],
  'tc:fq': ['qdisc', 'add', 'dev', 'DEV', 'root', 'fq'],
  'tc:prio': ['qdisc', 'add', 'dev', 'DEV', 'root', 'prio'],
  'tc:hfsc': ['qdisc', 'add', 'dev', 'DEV', 'root', 'hfsc'],
  'tc:cake': ['qdisc', 'add', 'dev', 'DEV', 'root', 'cake'],
  'tc:mqprio': ['qdisc', 'add', 'dev', 'DEV', 'root', 'mqprio', 'num_tc', '2', 'map', '0', '1', 'queues', '1@0', '1@1', 'hw', '0'],
  'tc:drr': ['qdisc', 'add', 'dev', 'DEV', 'root', 'drr'],
  'tc:flower': ['filter', 'add', 'dev', 'DEV', 'ingress', 'protocol', 'ip', 'prio', '1', 'flower'],
  // matchall, basic and fw (with a handle) refuse a filter without options (no TCA_OPTIONS): give them a classid.
  'tc:matchall': ['filter', 'add', 'dev', 'DEV', 'ingress', 'protocol', 'all', 'prio', '1', 'matchall', 'classid', '1:1'],
  'tc:fw': ['filter', 'add', 'dev', 'DEV', 'ingress', 'protocol', 'all', 'prio', '1', 'handle', '1', 'fw', 'classid', '1:1'],
  'tc:basic': ['filter', 'add', 'dev', 'DEV', 'ingress', 'protocol', 'all', 'prio', '1', 'basic', 'classid', '1:1'],
  'tc:bpf': ['filter', 'add', 'dev', 'DEV', 'ingress', 'protocol', 'all', 'prio', '1', 'bpf', 'bytecode', '1,6 0 0 0'],
  'tc:gact': ['actions', 'add', 'action', 'gact', 'pass'],
  'tc:police': ['actions', 'add', 'action', 'police', 'rate', '1mbit', 'burst', '10k'],
  'tc:vlan': ['actions', 'add', 'action', 'vlan', 'pop'],
  'tc:skbedit': ['actions', 'add', 'action', 'skbedit', 'mark', '1'],
  'tc:tunnel_key': ['actions', 'add', 'action', 'tunnel_key', 'unset'],
  'tc:csum': ['actions', 'add', 'action', 'csum', 'ip4h'],
  'tc:pedit': ['actions', 'add', 'action', 'pedit', 'munge', 'offset', '0', 'u32', 'set', '1'],
  'tc:nat': ['actions', 'add', 'action', 'nat', 'ingress', '10.0.0.1', '10.0.0.2'],
  'tc:connmark': ['actions', 'add', 'action', 'connmark'],
  'tc:ct': ['actions', 'add', 'action', 'ct'],
  'tc:sample': ['actions', 'add', 'action', 'sample', 'rate', '10', 'group', '1'],
};

const isTcKind = (f: Feature): f is TcFeature => Object.hasOwn(TC_PROBES, f);

/** Tries each tc kind in one scratch namespace (removed afterwards) and records the result. */
function probeTcKinds(kinds: TcFeature[]): void {
  const ns = uniqueName('probe');
  const nsError = tryIp(['netns', 'add', ns]);
  if (nsError) {
    for (const kind of kinds) probed.set(kind, `cannot make a scratch namespace to probe it: ${nsError}`);
    return;
  }
  try {
    const vethError = tryIp(['-n', ns, 'link', 'add', 'probe-tc', 'numtxqueues', '4', 'type', 'veth', 'peer', 'name', 'probe-tc-p']);
    for (const kind of kinds) {
      if (vethError) {
        probed.set(kind, `no veth to try it on (${vethError})`);
        continue;
      }
      const args = TC_PROBES[kind].map((a) => (a === 'DEV' ? 'probe-tc' : a));
      if (args[0] === 'filter') tryTc(ns, ['qdisc', 'add', 'dev', 'probe-tc', 'clsact']);
      const error = tryTc(ns, args);
      probed.set(kind, error && `kernel ${release()} has no ${kind.slice(3)} (tc ${args.join(' ')}: ${error})`);
      if (args[0] === 'qdisc' || args[0] === 'filter') tryTc(ns, ['qdisc', 'del', 'dev', 'probe-tc', args[0] === 'filter' ? 'clsact' : 'root']);
      if (args[0] === 'actions') tryTc(ns, ['actions', 'flush', 'action', args[2]!]);
    }
  } finally {
    tryIp(['netns', 'del', ns]);
  }
}

/** Runs `tc -n ns …` and returns null on success or its error text. */
function tryTc(ns: string, args: string[]): string | null {
  try {
    execFileSync('tc', ['-n', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    return null;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return err.stderr?.toString().trim() || err.message;
  }
}

/** Probe results for this process: feature → missing reason, or null when present. */
const probed = new Map<Feature, string | null>();

/** Runs `ip` and returns null on success or its error text (stderr, else the spawn error). */
function tryIp(args: string[]): string | null {
  try {
    ip(...args);
    return null;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    const text = err.stderr?.toString().trim();
    return text || err.message;
  }
}

/** Creates each requested link kind in one scratch namespace (removed afterwards) and records the result. */
function probeLinkKinds(kinds: LinkKindFeature[]): void {
  const ns = uniqueName('probe');
  const nsError = tryIp(['netns', 'add', ns]);
  if (nsError) {
    for (const kind of kinds) probed.set(kind, `cannot make a scratch namespace to probe it: ${nsError}`);
    return;
  }
  try {
    let lower: string | null = null;
    let lowerError = '';
    if (kinds.some((k) => LINK_PROBES[k].lower)) {
      const vethError = tryIp(['-n', ns, 'link', 'add', 'probe-lower', 'type', 'veth', 'peer', 'name', 'probe-lower-p']);
      const dummyError = vethError === null ? null : tryIp(['-n', ns, 'link', 'add', 'probe-lower', 'type', 'dummy']);
      if (vethError === null || dummyError === null) lower = 'probe-lower';
      else lowerError = `no veth or dummy link to stack it on (${vethError}; ${dummyError})`;
    }
    for (const kind of kinds) {
      const probe = LINK_PROBES[kind];
      if (probe.lower && !lower) {
        probed.set(kind, lowerError);
        continue;
      }
      const name = `probe-${kind}`;
      const args = ['-n', ns, 'link', 'add', ...(probe.lower ? ['link', lower as string] : []), name, ...probe.args];
      const error = tryIp(args);
      probed.set(kind, error && `kernel ${release()} cannot create a ${kind} link (ip link add … type ${kind}: ${error})`);
      if (!error) tryIp(['-n', ns, 'link', 'del', name]);
    }
  } finally {
    tryIp(['netns', 'del', ns]);
  }
}

/** Fills the cache for every feature not yet probed in this process. */
function probe(features: Feature[]): void {
  // Tests are not type-checked when vitest runs them; a misspelt feature must not read as missing.
  const unknown = features.filter((f) => f !== 'root' && f !== 'netdevsim' && !isLinkKind(f) && !isTcKind(f) && !isNftFeature(f));
  if (unknown.length > 0) {
    const known = ['root', 'netdevsim', ...Object.keys(LINK_PROBES), ...Object.keys(TC_PROBES), ...Object.keys(NFT_PROBES)].join(', ');
    throw new Error(`requires: unknown feature ${unknown.map((f) => `"${f}"`).join(', ')} (known: ${known})`);
  }
  const todo = [...new Set(features)].filter((f) => !probed.has(f));
  const needsRoot = 'needs root (CAP_NET_ADMIN); run the privileged suite as root or in the VM (npm run test:vm)';
  for (const f of todo) {
    if (f === 'root') probed.set(f, isRoot ? null : needsRoot);
    else if (!isRoot) probed.set(f, needsRoot);
    else if (f === 'netdevsim') {
      probed.set(
        f,
        existsSync('/sys/bus/netdevsim') ? null : `kernel ${release()} has no netdevsim (/sys/bus/netdevsim is missing)`,
      );
    }
  }
  const kinds = todo.filter(isLinkKind).filter((k) => !probed.has(k));
  if (kinds.length > 0) probeLinkKinds(kinds);
  const tcKinds = todo.filter(isTcKind).filter((k) => !probed.has(k));
  if (tcKinds.length > 0) probeTcKinds(tcKinds);
  const nftFeatures = todo.filter(isNftFeature).filter((k) => !probed.has(k));
  if (nftFeatures.length > 0) probeNftFeatures(nftFeatures);
}

/**
 * Probes the running kernel (once per feature per process) for what a test needs.
 * `reason` names every missing feature and why, e.g.
 * `needs vlan: kernel 6.18.0 cannot create a vlan link (… Unknown device type.)`.
 */
export function requires(...features: Feature[]): Requirement {
  probe(features);
  const missing = features.filter((f) => probed.get(f) !== null);
  const reason = missing.map((f) => `needs ${f}: ${probed.get(f)}`).join('; ');
  return { skip: missing.length > 0, reason, missing };
}

/** True when NETLINKJS_TEST_STRICT=1: a missing feature is a failure, not a skip. */
const strict = process.env.NETLINKJS_TEST_STRICT === '1';

function strictError(name: string, reason: string): Error {
  return new Error(`"${name}" cannot run here, and NETLINKJS_TEST_STRICT=1 forbids skipping it: ${reason}`);
}

/**
 * `it(name, fn)` when the kernel has `features`; otherwise a test that prints the reason and
 * skips itself with it (vitest shows `↓ name [reason]`), or fails under NETLINKJS_TEST_STRICT=1.
 */
export function itRequires(features: Feature[], name: string, fn: TestFunction, timeout?: number): void {
  const req = requires(...features);
  if (!req.skip) {
    it(name, fn, timeout);
  } else if (strict) {
    it(name, () => {
      throw strictError(name, req.reason);
    });
  } else {
    it(name, (ctx) => {
      console.warn(`skipped "${name}": ${req.reason}`);
      ctx.skip(req.reason);
    });
  }
}

/**
 * `describe(name, fn)` when the kernel has `features`; otherwise the whole suite is skipped (its
 * hooks never run) after printing the reason, or fails to collect under NETLINKJS_TEST_STRICT=1.
 */
export function describeRequires(features: Feature[], name: string, fn: () => void): void {
  const req = requires(...features);
  if (!req.skip) {
    describe(name, fn);
  } else if (strict) {
    describe(name, () => {
      throw strictError(name, req.reason);
    });
  } else {
    console.warn(`skipped suite "${name}": ${req.reason}`);
    describe.skip(`${name} [${req.reason}]`, fn);
  }
}
