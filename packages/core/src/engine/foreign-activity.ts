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
 * A request of ours that ended this recently may still hold its slot on the server (llama-server frees it
 * just after the last bytes are sent): such a request still counts as ours.
 */
const END_GRACE_MS = 50;

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

  /** Start of a probe: from now on, note the most in flight. */
  mark(): void {
    this.peak = this.n;
  }

  /** End of a probe: the most of ours that the server may have seen during it. */
  seen(since: number): number {
    const recent = this.ends.filter((t) => t >= since - END_GRACE_MS).length;
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
  /** Start a cell's window (and probe at once). */
  cellStart(): Window;
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
  const once = (): void => {
    if (!probe || pending) return;
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
  };
  const timer = probe && intervalMs > 0 ? setInterval(once, intervalMs) : undefined;
  timer?.unref();
  const verdict = (w: Window): ForeignVerdict => {
    const stats = w.stats();
    return { concurrentForeignRequests: stats, polluted: (stats?.peak ?? 0) > 0 };
  };
  return {
    cellStart() {
      const w = new Window();
      cells.add(w);
      if (timer) once();
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
