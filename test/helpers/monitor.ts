/** Shared monitor test steps. */
import type { Monitor, MonitorEvent } from '../../lib/index';

/**
 * Starts reading `mon` and resolves with its first `n` events that `keep` accepts (all by
 * default), leaving the loop after them (which closes the monitor). Waits 50 ms before it
 * returns, so the caller's changes are made while the loop is already running.
 */
export async function firstEvents(mon: Monitor, n: number, keep: (ev: MonitorEvent) => boolean = () => true): Promise<{ events: Promise<any[]> }> {
  const seen: any[] = [];
  const events = (async () => {
    for await (const ev of mon) {
      if (!keep(ev)) continue;
      seen.push(ev);
      if (seen.length === n) break;
    }
    return seen;
  })();
  await new Promise((r) => setTimeout(r, 50));
  return { events };
}
