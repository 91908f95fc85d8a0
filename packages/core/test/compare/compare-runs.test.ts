import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare-runs.js';
import type { CompareResult, MetricName } from '../../src/compare/types.js';
import { syntheticRun } from './synthetic.js';

const metric = (r: CompareResult, name: MetricName, cell = 0) => r.cells[cell]!.metrics.find((m) => m.metric === name)!;

describe('compareRuns on synthetic samples', () => {
  it('pairs cells by model × prompt × max tokens × concurrency and lists the cells only one side has', () => {
    const base = syntheticRun('b', 1, [{ concurrency: 1 }, { concurrency: 4 }, { model: 'only-base' }]);
    const cand = syntheticRun('c', 2, [{ concurrency: 4 }, { concurrency: 1 }, { maxTokens: 64 }]);
    const r = compareRuns(base, cand);
    expect(r.cells.map((c) => c.concurrency)).toEqual([1, 4]);
    expect(r.unmatched.baseline).toEqual([{ model: 'only-base', promptTokens: 128, maxTokens: 32, concurrency: 1 }]);
    expect(r.unmatched.candidate).toEqual([{ model: 'm1', promptTokens: 128, maxTokens: 64, concurrency: 1 }]);
    expect(r.cells[0]!.metrics.map((m) => m.metric)).toEqual([
      'genTps',
      'serverGenTps',
      'serverPromptTps',
      'throughputTps',
      'ttftMs',
      'e2eMs',
      'itlP50Ms',
      'itlP99Ms',
      'tpotMs',
    ]);
  });

  it('calls a 20% slower generation a regression on every generation metric, with an interval that excludes no change', () => {
    const r = compareRuns(syntheticRun('b', 1, [{}]), syntheticRun('c', 2, [{ genTps: 40, throughputTps: 40 }]));
    for (const name of ['genTps', 'serverGenTps', 'itlP50Ms', 'tpotMs', 'e2eMs', 'throughputTps'] as const) {
      expect(metric(r, name).verdict, name).toBe('regression');
    }
    const gen = metric(r, 'genTps');
    expect(gen.change).toBeCloseTo(-0.2, 1);
    expect(gen.ci!.high).toBeLessThan(0);
    expect(metric(r, 'ttftMs').verdict).toBe('unchanged');
    expect(r.verdict).toBe('regression');
    expect(r.counts.regression).toBeGreaterThanOrEqual(6);
  });

  it('calls a 20% faster generation an improvement', () => {
    const r = compareRuns(syntheticRun('b', 1, [{}]), syntheticRun('c', 2, [{ genTps: 60, throughputTps: 60 }]));
    expect(metric(r, 'genTps').verdict).toBe('improvement');
    expect(metric(r, 'tpotMs').verdict).toBe('improvement');
  });

  it('flags nothing between two samples of the same server', () => {
    let flagged = 0;
    for (let seed = 0; seed < 20; seed++) {
      const r = compareRuns(syntheticRun('b', seed, [{}, { concurrency: 2 }]), syntheticRun('c', seed + 1000, [{}, { concurrency: 2 }]));
      if (r.verdict === 'regression' || r.verdict === 'improvement') flagged++;
    }
    expect(flagged).toBe(0);
  });

  it('is deterministic for a seed', () => {
    const base = syntheticRun('b', 1, [{}]);
    const cand = syntheticRun('c', 2, [{ genTps: 45 }]);
    expect(compareRuns(base, cand, { seed: 7 })).toEqual(compareRuns(base, cand, { seed: 7 }));
  });

  it('is inconclusive, not a regression, when a large change is within noise', () => {
    const r = compareRuns(syntheticRun('b', 1, [{ jitter: 0.9, n: 5 }]), syntheticRun('c', 2, [{ jitter: 0.9, n: 5, ttftMs: 230 }]));
    const ttft = metric(r, 'ttftMs');
    expect(ttft.verdict).toBe('inconclusive');
    expect(ttft.reason).toMatch(/noise|noisy/);
  });

  it('is inconclusive with too few requests, naming the counts', () => {
    const r = compareRuns(syntheticRun('b', 1, [{ n: 2 }]), syntheticRun('c', 2, [{ n: 2, genTps: 20 }]));
    expect(metric(r, 'genTps').verdict).toBe('inconclusive');
    expect(metric(r, 'genTps').reason).toBe('too few requests (2 and 2; at least 3 per side)');
    expect(metric(r, 'genTps').change).toBeLessThan(-0.5);
  });

  it('never yields NaN or Infinity: a zero, missing or failed baseline is inconclusive with a reason', () => {
    const base = syntheticRun('b', 1, [{}, { concurrency: 2, throughputTps: 0 }, { concurrency: 4, throughputTps: null }]);
    for (const s of base.samples) {
      if (s.concurrency === 1) Object.assign(s, { ok: false, error: { code: 'HTTP_STATUS', message: 'boom', status: 500 } });
      if (s.concurrency === 2) s.server = { source: 'none' };
    }
    const r = compareRuns(base, syntheticRun('c', 2, [{}, { concurrency: 2 }, { concurrency: 4 }]));
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(text)).toEqual(r);
    expect(metric(r, 'genTps', 0)).toMatchObject({ verdict: 'inconclusive', baseline: null, change: null });
    expect(metric(r, 'genTps', 0).reason).toMatch(/baseline has no value/);
    expect(metric(r, 'serverGenTps', 1).reason).toMatch(/baseline has no value/);
    expect(metric(r, 'throughputTps', 1).reason).toMatch(/baseline has no throughput/);
    expect(metric(r, 'throughputTps', 2).reason).toMatch(/baseline has no throughput/);
  });

  it('counts only measured samples', () => {
    const base = syntheticRun('b', 1, [{}]);
    const cand = syntheticRun('c', 2, [{}]);
    // Warmups ten times slower: left out, so no regression.
    const warm = cand.samples.map((s, i) => ({ ...s, seq: 100 + i, phase: 'warmup' as const, genTps: 5, ttftMs: 5000 }));
    const r = compareRuns(base, { run: cand.run, samples: [...cand.samples, ...warm] });
    expect(metric(r, 'genTps').verdict).toBe('unchanged');
    expect(metric(r, 'genTps').n).toEqual({ baseline: 10, candidate: 10 });
  });

  it('uses per-metric thresholds over the global ones', () => {
    const base = syntheticRun('b', 1, [{ jitter: 0.005 }]);
    const cand = syntheticRun('c', 2, [{ jitter: 0.005, ttftMs: 212 }]);
    expect(metric(compareRuns(base, cand), 'ttftMs').verdict).toBe('unchanged');
    const strict = compareRuns(base, cand, { metricThresholds: { ttftMs: { regression: 0.03 } } });
    expect(metric(strict, 'ttftMs').verdict).toBe('regression');
    expect(metric(strict, 'ttftMs').thresholds).toEqual({ regression: 0.03, improvement: 0.05 });
    expect(metric(strict, 'e2eMs').thresholds).toEqual({ regression: 0.1, improvement: 0.05 });
  });

  it('does not call a throughput drop a regression when per-request figures do not confirm it', () => {
    const r = compareRuns(syntheticRun('b', 1, [{}]), syntheticRun('c', 2, [{ throughputTps: 30 }]));
    const t = metric(r, 'throughputTps');
    expect(t.verdict).toBe('inconclusive');
    expect(t.reason).toMatch(/not confirmed/);
  });

  it('says when a side had a saturated client or a polluted host', () => {
    const base = syntheticRun('b', 1, [{}]);
    const cand = syntheticRun('c', 2, [{}]);
    cand.run.client = { ...cand.run.client, clientSaturated: true, saturatedCells: 1 };
    cand.run.cells[0]!.client = { ...cand.run.cells[0]!.client, saturated: true };
    Object.assign(base.run, { polluted: true });
    const r = compareRuns(base, cand);
    expect(r.candidate.clientSaturated).toBe(true);
    expect(r.baseline.polluted).toBe(true);
    expect(r.cells[0]!.clientSaturated).toEqual({ baseline: false, candidate: true });
    expect(r.warnings).toEqual([
      'the baseline run was polluted by foreign traffic on the host',
      "the candidate run's client was saturated: its timings include client delay",
    ]);
  });

  it('says when the baseline and the candidate are the same run', () => {
    const run = syntheticRun('b', 1, [{}]);
    expect(compareRuns(run, run).warnings).toEqual([
      `the baseline and the candidate are the same run (${run.run.runId}): each metric is compared with itself`,
    ]);
    expect(compareRuns(run, syntheticRun('c', 2, [{}])).warnings).toEqual([]);
  });

  it('is inconclusive overall when no cell matches', () => {
    const r = compareRuns(syntheticRun('b', 1, [{}]), syntheticRun('c', 2, [{ model: 'other' }]));
    expect(r.verdict).toBe('inconclusive');
    expect(r.warnings).toContain('no cell is in both runs: nothing to compare');
  });
});
