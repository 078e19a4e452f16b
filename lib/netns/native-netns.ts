/**
 * The namespace part of the addon (native/netns-ops.cc), typed. Only fd and mount syscalls
 * live there; names, paths and messages are handled in lib/netns.
 */
import { native } from '../native';

/** What a RunInNetns operation resolves with (unused fields are -1 / '' / 0). */
export interface NativeOpResult {
  fd: number;
  text: string;
  number: number;
}

/** Functions exported by native/netns-ops.cc. */
export interface NetnsNative {
  /** Makes `dir` a shared mount point if needed, creates `dir/name` (O_EXCL) and binds a new netns on it. */
  netnsAdd(dir: string, name: string): Promise<NativeOpResult>;
  /** Detaches the bind mount on `dir/name` and unlinks it. */
  netnsDel(dir: string, name: string): Promise<NativeOpResult>;
  /** The CLONE_NEW* type of the namespace open on `fd` (ioctl NS_GET_NSTYPE); throws for other files. */
  netnsType(fd: number): number;
  /** The CLONE_NEWNET flag value, as netnsType reports a network namespace. */
  readonly CLONE_NEWNET: number;
}

/** The addon's namespace functions (loads the addon on first use). */
export function nativeNetns(): NetnsNative {
  return native() as unknown as NetnsNative;
}
