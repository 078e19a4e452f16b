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

/** Everything a test can require: a link kind, netdevsim (fake SR-IOV NICs), or running as root. */
export type Feature = LinkKindFeature | 'netdevsim' | 'root';

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
  const unknown = features.filter((f) => f !== 'root' && f !== 'netdevsim' && !isLinkKind(f));
  if (unknown.length > 0) {
    const known = ['root', 'netdevsim', ...Object.keys(LINK_PROBES)].join(', ');
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
