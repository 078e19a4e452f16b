import { netns, open, type Rtnl } from 'netlinkjs';

/**
 * The namespaces a demo made (each with lo up and a handle) and the handles it opened, so
 * `release()` can undo them: handles closed, namespaces removed newest first (they take their
 * links, addresses, routes, nftables tables and conntrack entries with them).
 */
export class DemoNamespaces {
  readonly names: string[] = [];
  readonly handles: { close(): void }[] = [];

  /** Makes namespace `ns` with lo up and returns a handle in it. */
  async add(ns: string): Promise<Rtnl> {
    await netns.add(ns);
    this.names.push(ns);
    const rt = await open({ netns: ns });
    this.handles.push(rt);
    await rt.link.set('lo', { up: true });
    return rt;
  }

  /** Closes every handle and removes every namespace. */
  async release(): Promise<void> {
    for (const h of this.handles.splice(0)) h.close();
    for (const ns of this.names.splice(0).reverse()) {
      await netns.del(ns).catch((err) => console.error(`cleanup: ${err.message}`));
    }
  }
}

/**
 * How each demo runs: `main` builds, shows and returns an exit code; whatever happens (success,
 * failure, Ctrl-C, SIGTERM) `cleanup` removes everything it made, once, before the process
 * exits. `fallback` may take a failure over (network B reruns itself in the VM tier when this
 * kernel lacks VLAN filtering): it gets the error after cleanup and returns the exit code, or
 * undefined to report the failure as usual.
 */
export function runDemo(
  main: () => Promise<number>,
  cleanup: () => Promise<void>,
  fallback?: (err: unknown) => number | undefined,
): void {
  let stopping = false;
  const clean = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await cleanup();
  };
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      await clean();
      console.log('\nremoved everything the demo made.');
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  main().then(
    (code) => stop(code),
    async (err) => {
      if (fallback) {
        await clean();
        const code = fallback(err);
        if (code !== undefined) process.exit(code);
      }
      console.error(`demo failed: ${(err as Error)?.stack ?? err}`);
      await stop(1);
    },
  );
}
