/**
 * Foreign activity during a run: every `intervalMs` one probe of the host (`probeActivity`: llama-server
 * one `GET /slots`; llama-swap `GET /running` and one `/slots` per loaded model), compared with our own
 * requests in flight at that instant. The run and each cell keep the peak and the mean of what was left.
 */
import type { ForeignRequests } from '../result/types.js';
import { type ActivityCount, foreignRequests } from '../host-access/foreign-count.js';
import type { Transport } from '../transport/transport.js';

/** Default probe interval, ms: one small GET a second. */
export const DEFAULT_FOREIGN_PROBE_MS = 1_000;

/**
 * A request of ours that ended this shortly before a probe may still hold its slot on the server
 * (llama-server frees it just after the last bytes are sent): it still counts as ours. Short: at 25 ms a
 * request (a small model on one stream), a longer grace counted several finished requests as ours and hid a
 * foreign stream on a real llama-server.
 */
const END_GRACE_MS = 10;

/** Our streams in flight, as a probe must count them. */
export class InFlight {
  private n = 0;
  private peak = 0;
  private ends: number[] = [];

  begin(): void {
    this.n++;
    if (this.n > this.peak) this.peak = this.n;
  }

  end(): void {
    this.n--;
    this.ends.push(performance.now());
    if (this.ends.length > 4096) this.ends = this.ends.slice(-1024);
  }

  /** Ms until no request of ours has ended within the grace: a probe then counts none that just ended. */
  settleMs(): number {
    const last = this.ends.at(-1);
    return last === undefined ? 0 : Math.max(0, last + END_GRACE_MS - performance.now());
  }

  /** Start of a probe: from now on, note the most in flight. */
  mark(): void {
    this.peak = this.n;
  }

  /** End of a probe: the most of ours that the server may have seen during it. */
  seen(since: number): number {
    // Ends during the probe are in `peak` already (those requests were in flight when it started).
    const recent = this.ends.filter((t) => t >= since - END_GRACE_MS && t < since).length;
    return this.peak + recent;
  }
}

/** Running totals over a stretch of the run (a cell, or all of it). */
class Window {
  peak = 0;
  sum = 0;
  probes = 0;
  add(foreign: number): void {
    this.peak = Math.max(this.peak, foreign);
    this.sum += foreign;
    this.probes++;
  }
  stats(): ForeignRequests | null {
    return this.probes === 0 ? null : { peak: this.peak, mean: this.sum / this.probes, probes: this.probes };
  }
}

/** What a cell or the run gets: the figures, and whether anything foreign was seen. */
export interface ForeignVerdict {
  concurrentForeignRequests: ForeignRequests | null;
  polluted: boolean;
}

export interface ForeignSampler {
  /**
   * Start a cell's window with a probe, awaited before the cell's load begins: with none of our requests in
   * flight, what the host is processing then is all foreign, exactly. Probes during the load are lower bounds.
   */
  cellStart(): Promise<Window>;
  cellEnd(window: Window): ForeignVerdict;
  /** Stop probing and give the run's figures. */
  stop(): Promise<ForeignVerdict>;
}

/** Sample the host while the run measures. Without `probeActivity` (or with interval 0), nothing is sampled. */
export function startForeignSampler(
  transport: Transport,
  ours: InFlight,
  intervalMs: number,
  onError: (err: unknown) => void,
): ForeignSampler {
  const probe = transport.probeActivity?.bind(transport);
  const run = new Window();
  const cells = new Set<Window>();
  let pending: Promise<void> | undefined;
  let failures = 0;
  const once = (): Promise<void> | undefined => {
    if (!probe || pending) return pending;
    ours.mark();
    const since = performance.now();
    // A probe never outlives two intervals: a slow host must not pile probes up.
    pending = probe({ signal: AbortSignal.timeout(Math.max(2 * intervalMs, 1_000)) })
      .then((seen: ActivityCount) => {
        const foreign = foreignRequests(seen, ours.seen(since));
        if (foreign === undefined) return;
        run.add(foreign);
        for (const w of cells) w.add(foreign);
      })
      .catch((err: unknown) => {
        // The first failure is worth a note; a host that never answers would fill the notes.
        if (failures++ === 0) onError(err);
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  const timer = probe && intervalMs > 0 ? setInterval(once, intervalMs) : undefined;
  timer?.unref();
  const verdict = (w: Window): ForeignVerdict => {
    const stats = w.stats();
    return { concurrentForeignRequests: stats, polluted: (stats?.peak ?? 0) > 0 };
  };
  return {
    async cellStart() {
      const w = new Window();
      // A probe already on its way began before this cell: wait it out, then probe for the cell once the
      // slots of our last requests (warmup, the previous cell) are surely free.
      await pending;
      const settle = ours.settleMs();
      if (timer && settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
      // The interval may have started a probe meanwhile, too close to our last requests: this one is fresh.
      while (pending) await pending;
      cells.add(w);
      if (timer) await once();
      return w;
    },
    cellEnd(w) {
      cells.delete(w);
      return verdict(w);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await pending;
      return verdict(run);
    },
  };
}
