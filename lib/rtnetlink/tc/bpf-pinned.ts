/**
 * bpf filters that name a program pinned on a bpf filesystem (`tc filter … bpf object-pinned
 * PATH`): the program's fd comes from BPF_OBJ_GET, travels in TCA_BPF_FD as a given `fd` does,
 * and is closed once the kernel has answered (a filter keeps its own reference to the program).
 */
import path from 'node:path';
import { ValidationError } from '../../errors';
import { native } from '../../native';
import type { FilterSpec } from './requests';

/** The addon's part for this (native/bpf-obj.cc; closeFd is the core's). */
interface BpfNative {
  bpfObjGet(path: string): number;
  closeFd(fd: number): void;
}

/**
 * Sends `spec` (one with `bpf.pinned`) through `send`, first swapping the path for the program's fd (and
 * tc's name for it, `FILE:[*fsobj]`), which is closed when `send` settles.
 */
export function withPinnedProgram(spec: FilterSpec, send: (spec: FilterSpec) => Promise<void>): Promise<void> {
  // Called for specs whose bpf.pinned is set (FilterApi checks, so other filters pay nothing).
  const { pinned, ...rest } = (spec as unknown as { bpf: Record<string, unknown> }).bpf;
  if (typeof pinned !== 'string' || !pinned.startsWith('/')) {
    return Promise.reject(new ValidationError('bpf.pinned', 'expected the absolute path of a program pinned on a bpf filesystem'));
  }
  if (rest.fd !== undefined || rest.ops !== undefined) {
    return Promise.reject(new ValidationError('bpf.pinned', 'a bpf filter runs one program: give pinned, fd or ops'));
  }
  const n = native() as unknown as BpfNative;
  let fd: number;
  try {
    fd = n.bpfObjGet(pinned);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return Promise.reject(new ValidationError('bpf.pinned', `cannot open the pinned program ${pinned}: ${code}`));
  }
  const name = rest.name ?? `${path.basename(pinned)}:[*fsobj]`;
  return send({ ...spec, bpf: { ...rest, fd, name } } as FilterSpec).finally(() => n.closeFd(fd));
}
