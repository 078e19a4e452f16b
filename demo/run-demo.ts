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
