/**
 * Running a program inside a network namespace, like `ip netns exec`, without a shell, `ip`
 * or `nsenter`: child_process.spawn starts the small netlinkjs-nsexec helper (built from
 * native/nsexec.c), which enters the namespace and execs the command in the same process.
 * The caller gets a real ChildProcess whose pid is the command's.
 *
 * Failures before the exec (namespace missing, command not found) come back on a private
 * socket (an extra stdio entry) and are emitted as the child's 'error' event, the way
 * child_process reports a missing command; 'exit' (code 127) and 'close' follow.
 */
import type { ChildProcess, SpawnOptions, StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { errnoCode, ValidationError } from '../errors';
import { packageRoot } from '../native';
import { toNsTarget, type NetnsRef } from './netns-ref';
import { describeTarget, netnsError, type NetnsError } from './netns-error';

/** Options of {@link spawn}: those of child_process.spawn (except `shell`) plus mount isolation. */
export interface NetnsSpawnOptions extends Omit<SpawnOptions, 'shell'> {
  /**
   * Give the process a private mount namespace with a fresh sysfs on /sys, so /sys/class/net
   * lists the namespace's own devices (what `ip netns exec` does). Default false.
   */
  remountSys?: boolean;
  /**
   * Give the process a private mount namespace where each file in /etc/netns/NAME is bound
   * over /etc/<file> (what `ip netns exec` does, e.g. for resolv.conf). Needs the namespace
   * given by name. Default false.
   */
  bindEtc?: boolean;
  /** Never supported: nothing here runs a shell. Passing a truthy value is a ValidationError. */
  shell?: never;
}

const HELPER = 'netlinkjs-nsexec';
let helperCache: string | undefined;

/**
 * Where the helper executable is: build/Release (built by `node-gyp rebuild` next to the
 * addon), build/Debug, or prebuilds/<platform>-<arch>/ (shipped next to a prebuilt addon).
 */
export function helperPath(): string {
  if (helperCache) return helperCache;
  const root = packageRoot;
  const candidates = [
    path.join(root, 'build', 'Release', HELPER),
    path.join(root, 'build', 'Debug', HELPER),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, HELPER),
  ];
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      helperCache = c;
      return c;
    } catch {
      /* try the next place */
    }
  }
  throw netnsError(
    'ENOENT',
    'access',
    `netns.spawn: the ${HELPER} helper is not built (looked in ${candidates.join(', ')}); run \`npx node-gyp rebuild\``,
    candidates[0],
  );
}

function checkString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(field, 'must be a non-empty string');
  if (value.includes('\0')) throw new ValidationError(field, 'must not contain NUL bytes');
  return value;
}

function checkId(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new ValidationError(field, 'must be a non-negative integer');
  }
  return value;
}

/** child_process's stdio shorthand expanded to an array we can append to (at least 3 entries). */
function stdioArray(stdio: StdioOptions | undefined): Exclude<StdioOptions, string> {
  if (stdio === undefined || stdio === null) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  if (!Array.isArray(stdio)) throw new ValidationError('options.stdio', 'must be a string or an array');
  const out = [...stdio];
  while (out.length < 3) out.push(undefined);
  return out;
}

/** Turns the helper's report line `ERRNO SYSCALL SUBJECT` into the Error the child emits. */
function reportError(line: string, command: string, args: string[], what: string): NetnsError {
  const m = /^(\d+) (\S+) ?(.*)$/.exec(line);
  if (!m) return netnsError('EPROTO', 'spawn', `netns.spawn: unreadable report from ${HELPER}: ${JSON.stringify(line)}`);
  const code = errnoCode(Number(m[1]));
  const syscall = m[2]!;
  const subject = m[3]!;
  let err: NetnsError;
  if (syscall === 'execvp') {
    // Shaped like child_process's own error for a command that cannot be run.
    err = netnsError(code, `spawn ${command}`, `spawn ${command} ${code}`, command);
    (err as NetnsError & { spawnargs?: string[] }).spawnargs = args;
  } else if (syscall === 'usage') {
    err = netnsError(code, 'spawn', `netns.spawn: ${HELPER} rejected its arguments (${subject})`);
  } else if (syscall === 'open' && code === 'ENOENT') {
    err = netnsError(code, syscall, `netns.spawn: ${what} does not exist (${subject})`, subject);
  } else if (syscall === 'open' || syscall === 'setns') {
    err = netnsError(code, syscall, `netns.spawn: cannot enter ${what}: ${syscall} ${code} (${subject})`, subject);
  } else {
    // Mount isolation (unshare, mount) or the uid/gid change failed after entering.
    err = netnsError(code, syscall, `netns.spawn in ${what}: ${syscall} ${code} (${subject})`, subject);
  }
  return err;
}

/**
 * Starts `command` with `args` inside the network namespace `ns` (a name, a path, an fd, a
 * handle from `netns.open()`, or `{ pid }`) and returns its ChildProcess. Options are those of
 * child_process.spawn — stdio, env, cwd, uid/gid (applied after entering the namespace),
 * argv0, detached, signal, timeout … — plus `remountSys` and `bindEtc`. There is never a
 * shell: `command` is found on PATH like child_process does.
 *
 * Two extra stdio entries are appended after yours (a namespace fd, when `ns` is an fd or
 * handle, and the report socket); both are closed in the command before it starts.
 * If the namespace cannot be entered or the command cannot be run, the child emits 'error'
 * (code 'ENOENT' etc., as child_process does for a missing command) and then exits with 127.
 *
 * Equivalent to: ip netns exec NAME COMMAND ARGS…  (with remountSys + bindEtc)
 */
export function spawn(ns: NetnsRef, command: string, args: readonly string[] = [], options: NetnsSpawnOptions = {}): ChildProcess {
  const target = toNsTarget(ns, 'ns');
  checkString(command, 'command');
  if (!Array.isArray(args)) throw new ValidationError('args', 'must be an array of strings');
  args.forEach((a, i) => {
    if (typeof a !== 'string' || a.includes('\0')) throw new ValidationError(`args[${i}]`, 'must be a string without NUL bytes');
  });
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const { remountSys, bindEtc, uid, gid, argv0, stdio, shell, ...rest } = options as NetnsSpawnOptions & { shell?: unknown };
  if (shell) throw new ValidationError('options.shell', 'netns.spawn never runs a shell; pass the program and its arguments');
  const name = typeof ns === 'string' && !ns.startsWith('/') ? ns : undefined;
  if (bindEtc && name === undefined) throw new ValidationError('options.bindEtc', 'needs the namespace given by name (/etc/netns/NAME)');

  const helperArgs: string[] = [];
  const stdioList = stdioArray(stdio);
  if (target.fd !== undefined) {
    helperArgs.push('--fd', String(stdioList.length));
    stdioList.push(target.fd);
  } else if (target.path !== undefined) {
    helperArgs.push('--path', target.path);
  } else {
    helperArgs.push('--pid', String(target.pid));
  }
  if (name !== undefined) helperArgs.push('--name', name);
  if (remountSys) helperArgs.push('--remount-sys');
  if (bindEtc) helperArgs.push('--bind-etc');
  if (gid !== undefined) helperArgs.push('--gid', String(checkId(gid, 'options.gid')));
  if (uid !== undefined) helperArgs.push('--uid', String(checkId(uid, 'options.uid')));
  if (argv0 !== undefined) helperArgs.push('--argv0', checkString(argv0, 'options.argv0'));
  const reportIndex = stdioList.length;
  stdioList.push('pipe');
  helperArgs.push('--report-fd', String(reportIndex), '--', command, ...args);

  // Loaded here, not at the top: node:child_process pulls in net, stream and dgram, a few ms of
  // every `require('netlinkjs')` that most processes never use.
  const { spawn: cpSpawn } = require('node:child_process') as typeof import('node:child_process');
  const child = cpSpawn(helperPath(), helperArgs, { ...rest, stdio: stdioList, shell: false });
  const report = child.stdio[reportIndex] as Readable | null | undefined;
  if (report) {
    const what = describeTarget(target);
    let text = '';
    report.setEncoding('utf8');
    report.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      const err = reportError(text.slice(0, end), command, [...args], what);
      text = '';
      try {
        child.emit('error', err);
      } finally {
        // The helper waits for this close before it exits, so 'error' always precedes 'exit'.
        report.destroy();
      }
    });
    // A reset of the report socket after the helper is gone is not the caller's concern.
    report.on('error', () => {});
  }
  return child;
}
