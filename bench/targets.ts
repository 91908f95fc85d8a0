/**
 * Issue #20's done-when, checked on the bench's summary at gap 1 ms: swapbench's send-path, skew and CPU
 * figures against the floor's at the same concurrency. A setting the run did not include is skipped, not failed.
 */

/** The figures of one summary row (medians over repetitions) that the targets read. */
export interface TargetRow {
  client: string;
  gapMs: number;
  concurrency: number;
  reportedTtftErrorP50Ms: number;
  reportedTtftErrorP99Ms: number;
  ttftSkewP99Ms: number;
  cpuUsPerToken: number;
}

/** One target at one concurrency. */
export interface TargetCheck {
  target: string;
  /** Absent when the run had no concurrency the target applies to. */
  concurrency?: number;
  /** swapbench's figure. */
  value?: number;
  /** The floor's figure, for targets relative to it. */
  floor?: number;
  limit?: number;
  /** Bare undici's figure against the same limit, when the run had it: what the HTTP client swapbench is built on gives. */
  undici?: number;
  undiciMet?: boolean;
  /** `null`: not checked (the setting, a client or a figure is missing from the run; see `skipped`). */
  met: boolean | null;
  skipped?: string;
}

interface Target {
  name: string;
  /** Explicit settings (reported as skipped when not run), or a filter on the run's settings. */
  at: number[] | ((concurrency: number) => boolean);
  value: (row: TargetRow) => number;
  /** The limit, from the floor's row when the target is relative to it. */
  limit: (floor: TargetRow | undefined) => number;
  relative: boolean;
  /** `value < limit` rather than `value ≤ limit`. */
  strict?: boolean;
}

export const TARGET_GAP_MS = 1;

const TARGETS: Target[] = [
  {
    name: 'reported-TTFT error p99 ≤ 2× floor',
    at: [16, 64, 256],
    value: (r) => r.reportedTtftErrorP99Ms,
    limit: (floor) => 2 * (floor?.reportedTtftErrorP99Ms ?? Number.NaN),
    relative: true,
  },
  {
    name: 'reported-TTFT error p50 < 1 ms',
    at: (c) => c <= 64,
    value: (r) => r.reportedTtftErrorP50Ms,
    limit: () => 1,
    relative: false,
    strict: true,
  },
  {
    name: 'TTFT skew p99 ≤ 2× floor',
    at: (c) => c <= 256,
    value: (r) => r.ttftSkewP99Ms,
    limit: (floor) => 2 * (floor?.ttftSkewP99Ms ?? Number.NaN),
    relative: true,
  },
  {
    name: 'CPU µs/token ≤ 1.25× floor',
    at: () => true,
    value: (r) => r.cpuUsPerToken,
    limit: (floor) => 1.25 * (floor?.cpuUsPerToken ?? Number.NaN),
    relative: true,
  },
];

export function checkTargets(summary: readonly TargetRow[]): TargetCheck[] {
  const rows = summary.filter((r) => r.gapMs === TARGET_GAP_MS);
  const ran = [...new Set(rows.map((r) => r.concurrency))].sort((a, b) => a - b);
  const checks: TargetCheck[] = [];
  for (const t of TARGETS) {
    const settings = Array.isArray(t.at) ? t.at : ran.filter(t.at);
    if (settings.length === 0) checks.push({ target: t.name, met: null, skipped: `no such concurrency at gap ${TARGET_GAP_MS} ms` });
    for (const concurrency of settings) {
      const check: TargetCheck = { target: t.name, concurrency, met: null };
      checks.push(check);
      const own = rows.find((r) => r.client === 'swapbench' && r.concurrency === concurrency);
      const floor = rows.find((r) => r.client === 'floor' && r.concurrency === concurrency);
      if (!ran.includes(concurrency)) check.skipped = 'not in this run';
      else if (!own || (t.relative && !floor)) check.skipped = `${own ? 'floor' : 'swapbench'} not in this run`;
      if (check.skipped) continue;
      check.value = t.value(own!);
      if (t.relative) check.floor = t.value(floor!);
      check.limit = t.limit(floor);
      if (!Number.isFinite(check.value) || !Number.isFinite(check.limit)) check.skipped = 'figure missing';
      else check.met = meets(t, check.value, check.limit);
      const undici = rows.find((r) => r.client === 'undici' && r.concurrency === concurrency);
      if (undici && check.met !== null) {
        check.undici = t.value(undici);
        check.undiciMet = meets(t, check.undici, check.limit);
      }
    }
  }
  return checks;
}

const meets = (t: Target, value: number, limit: number): boolean => (t.strict ? value < limit : value <= limit);
