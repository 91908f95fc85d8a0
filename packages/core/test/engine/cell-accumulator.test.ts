import { describe, expect, it } from 'vitest';
import type { CellKey, CellResult, Sample, SampleFlag, Stats } from '../../src/result/types.js';
import { aggregateCell } from '../../src/engine/aggregate.js';
import { createCellAccumulator } from '../../src/engine/cell-accumulator.js';
import { NO_LOOP_READING } from '../../src/engine/client-health.js';
import { createSketchedStats, SKETCH_RELATIVE_ACCURACY } from '../../src/engine/stats.js';

const CELL: CellKey = { model: 'm', promptTokens: 512, maxTokens: 64, concurrency: 4 };
const STAT_KEYS = ['mean', 'stddev', 'min', 'p50', 'p90', 'p95', 'p99', 'max'] as const;
const QUANTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;
/** The sketch's 1%, and room for the rounding of one float (measured errors reach 0.998%). */
const WITHIN_SKETCH_ACCURACY = SKETCH_RELATIVE_ACCURACY * (1 + 1e-9);

/** Mulberry32: the same pseudo-random samples on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mix of what a cell meets: ok, failed, cancelled, length-mismatch, resent, multi-token chunks, no timings. */
function makeSamples(count: number, seed = 7): Sample[] {
  const rnd = random(seed);
  const out: Sample[] = [];
  for (let seq = 0; seq < count; seq++) {
    const r = rnd();
    const failed = r < 0.08;
    const cancelled = r >= 0.08 && r < 0.1;
    const flags: SampleFlag[] = [];
    if (!failed && rnd() < 0.1) flags.push('length-mismatch');
    if (!failed && rnd() < 0.05) flags.push('warm-cache');
    if (rnd() < 0.03) flags.push('client-wait');
    const tokens = failed ? Math.floor(rnd() * 5) : 64;
    const itlMs: number[] = [];
    // Chunks of 1–3 tokens: a chunk of k adds k−1 zero gaps.
    while (itlMs.length < tokens - 1) {
      itlMs.push(5 + rnd() * 20 + (rnd() < 0.02 ? 200 : 0));
      for (let z = Math.floor(rnd() * 3); z > 0 && itlMs.length < tokens - 1; z--) itlMs.push(0);
    }
    const ttftMs = 100 + rnd() * 400;
    const e2eMs = ttftMs + itlMs.reduce((a, b) => a + b, 0);
    out.push({
      ...CELL,
      runId: 'r',
      seq,
      phase: 'measured',
      startedAt: new Date(0).toISOString(),
      ok: !(failed || cancelled),
      ...(failed ? { error: { code: rnd() < 0.5 ? 'HTTP_STATUS' : 'REQUEST_TIMEOUT', message: 'x' } } : {}),
      ...(cancelled ? { error: { code: 'CANCELLED', message: 'cancelled with the run' } } : {}),
      ...(rnd() < 0.05 ? { resent: true } : {}),
      ...(rnd() < 0.9 ? { queueMs: rnd() * (flags.includes('client-wait') ? 50 : 1) } : {}),
      ttftMs,
      e2eMs,
      outputTokens: tokens,
      itlMs,
      ...(tokens > 1 ? { tpotMs: (e2eMs - ttftMs) / (tokens - 1), genTps: ((tokens - 1) * 1000) / (e2eMs - ttftMs) } : {}),
      server: rnd() < 0.2 ? { source: 'none' } : { source: 'llama', genTps: 40 + rnd() * 10, promptTps: 2000 + rnd() * 500 },
      flags,
    });
  }
  return out;
}

/** Exact stats, the plain way: a sorted copy, numpy's linear interpolation, the sample stddev. */
function referenceStats(values: number[]): Stats {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const at = (q: number) => {
    const rank = (v.length - 1) * q;
    const lo = Math.floor(rank);
    return v[lo]! + (v[Math.ceil(rank)]! - v[lo]!) * (rank - lo);
  };
  const variance = v.length > 1 ? v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1) : 0;
  return { mean, stddev: Math.sqrt(variance), min: v[0]!, p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), max: v.at(-1)! };
}

/** The rules as documented: failed samples in n/errors only; length-mismatch out of the generation figures. */
function reference(samples: Sample[]) {
  const ok = samples.filter((s) => s.ok);
  const exact = ok.filter((s) => !s.flags.includes('length-mismatch'));
  const pick = (from: Sample[], f: (s: Sample) => number | undefined) => from.map(f).filter((x): x is number => x !== undefined);
  return {
    ttftMs: referenceStats(pick(ok, (s) => s.ttftMs)),
    e2eMs: referenceStats(pick(ok, (s) => s.e2eMs)),
    tpotMs: referenceStats(pick(exact, (s) => s.tpotMs)),
    genTps: referenceStats(pick(exact, (s) => s.genTps)),
    serverGenTps: referenceStats(pick(exact, (s) => s.server.genTps)),
    serverPromptTps: referenceStats(pick(ok, (s) => s.server.promptTps)),
    itlMs: referenceStats(exact.flatMap((s) => s.itlMs)),
    queueMs: referenceStats(pick(samples, (s) => s.queueMs)),
  };
}

/** Equal, up to the rounding of a sum taken in another order. */
function expectStatsClose(actual: Stats, expected: Stats, what: string): void {
  for (const k of STAT_KEYS) {
    const e = expected[k];
    if (e === null) expect(actual[k], `${what}.${k}`).toBeNull();
    else expect(Math.abs(actual[k]! - e), `${what}.${k}: ${actual[k]} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
  }
}

/** Every number anywhere in the result is finite. */
function expectAllFinite(value: unknown, path = 'result'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) expectAllFinite(v, `${path}.${k}`);
}

describe('the cell accumulator', () => {
  const samples = makeSamples(2000);
  const result = aggregateCell(CELL, samples, 60_000, 2000);
  const ref = reference(samples);

  it('gives exactly the per-request figures of the samples, by the aggregate rules', () => {
    for (const key of ['ttftMs', 'e2eMs', 'tpotMs', 'genTps', 'serverGenTps', 'serverPromptTps'] as const)
      expectStatsClose(result[key], ref[key], key);
    // Percentiles and extremes of the exact columns are the very same values, not merely close.
    expect(result.ttftMs.p99).toBe(ref.ttftMs.p99);
    expect(result.genTps.min).toBe(ref.genTps.min);
  });

  it('counts n, errors, codes, flags, resent and output tokens over every sample', () => {
    const count = (f: (s: Sample) => boolean) => samples.filter(f).length;
    expect(result.n).toBe(2000);
    expect(result.errors).toBe(count((s) => !s.ok));
    expect(result.errorCodes).toEqual({
      HTTP_STATUS: count((s) => s.error?.code === 'HTTP_STATUS'),
      REQUEST_TIMEOUT: count((s) => s.error?.code === 'REQUEST_TIMEOUT'),
      CANCELLED: count((s) => s.error?.code === 'CANCELLED'),
    });
    for (const flag of ['length-mismatch', 'warm-cache', 'client-wait'] as const)
      expect(result.flags[flag]).toBe(count((s) => s.flags.includes(flag)));
    expect(result.resent).toBe(count((s) => s.resent === true));
    expect(result.throughputTps).toBeCloseTo((samples.reduce((a, s) => a + s.outputTokens, 0) * 1000) / 60_000, 9);
    // Cancelled requests do not count toward what was planned.
    expect(result.partial).toBe(true);
    expect(
      aggregateCell(
        CELL,
        samples,
        60_000,
        count((s) => s.error?.code !== 'CANCELLED'),
      ).partial,
    ).toBe(false);
  });

  it('keeps ITL count, mean, stddev, min and max exact, and its percentiles within 1% of the exact ones', () => {
    const itl = result.itlMs;
    for (const k of ['mean', 'stddev', 'min', 'max'] as const) expect(itl[k]).toBeCloseTo(ref.itlMs[k]!, 9);
    for (const [k] of Object.entries(QUANTILES) as [keyof typeof QUANTILES, number][]) {
      const exact = ref.itlMs[k]!;
      expect(Math.abs(itl[k]! - exact), `${k}: ${itl[k]} vs ${exact}`).toBeLessThanOrEqual(WITHIN_SKETCH_ACCURACY * exact);
    }
  });

  it('reports the queue p99 and the client-wait requests with the client health', () => {
    expect(result.client.clientWaitRequests).toBe(result.flags['client-wait']);
    expect(result.client.queueP99Ms).toBeCloseTo(ref.queueMs.p99!, 9);
    expect(result.client.eventLoopDelayP99Ms).toBeNull();
  });

  it('never yields NaN or Infinity, also from non-finite inputs', () => {
    const odd = makeSamples(20, 3).map((s, i) =>
      i % 3 === 0 ? { ...s, genTps: Infinity, ttftMs: Number.NaN, itlMs: [...s.itlMs, Infinity] } : s,
    );
    expectAllFinite(aggregateCell(CELL, odd, 1000, 20));
    expectAllFinite(result);
  });

  it('gives nulls, not zeros or NaN, for an empty cell', () => {
    const empty: CellResult = createCellAccumulator().result(CELL, 0, 8, NO_LOOP_READING);
    expect(empty).toMatchObject({ n: 0, errors: 0, planned: 8, partial: true, throughputTps: null, resent: 0 });
    for (const key of ['ttftMs', 'e2eMs', 'itlMs', 'tpotMs', 'genTps', 'serverGenTps', 'serverPromptTps'] as const)
      for (const k of STAT_KEYS) expect(empty[key][k], `${key}.${k}`).toBeNull();
    expect(empty.client).toEqual({
      saturated: false,
      eventLoopDelayP99Ms: null,
      eventLoopDelayMaxMs: null,
      clientWaitRequests: 0,
      queueP99Ms: null,
    });
    expectAllFinite(empty);
  });
});

describe('sketched stats', () => {
  it('gives exact zeros where percentiles fall among zero gaps, and interpolates from a zero to a value', () => {
    const sketch = createSketchedStats();
    // 91 zeros then 9 gaps of 10 ms: p50 and p90 are 0; p95 and p99 are 10 (within 1%); p90 sits at the last zero.
    for (let i = 0; i < 91; i++) sketch.add(0);
    for (let i = 0; i < 9; i++) sketch.add(10);
    const s = sketch.stats();
    expect([s.min, s.p50, s.p90]).toEqual([0, 0, 0]);
    expect(s.max).toBe(10);
    for (const p of [s.p95!, s.p99!]) expect(Math.abs(p - 10)).toBeLessThanOrEqual(0.1);
    expect(s.mean).toBeCloseTo(0.9, 12);

    // Between a zero and a value, at rank 0.5 of [0, 8]: half of 8, within 1%.
    const edge = createSketchedStats();
    edge.add(0);
    edge.add(8);
    expect(Math.abs(edge.stats().p50! - 4)).toBeLessThanOrEqual(0.04);
  });

  it('stays within 1% on a long-tailed distribution of a million gaps, half of them zero', () => {
    const rnd = random(11);
    const sketch = createSketchedStats();
    const values = new Float64Array(1_000_000);
    for (let i = 0; i < values.length; i++) {
      // Half the gaps zero (chunks of two tokens), the rest log-normal-ish from 0.1 ms to seconds.
      values[i] = i % 2 === 0 ? 0 : Math.exp(rnd() * 4 - 1) * (rnd() < 0.01 ? 50 : 1);
      sketch.add(values[i]!);
    }
    const sorted = values.slice().sort();
    const s = sketch.stats();
    for (const [k, q] of Object.entries(QUANTILES) as [keyof typeof QUANTILES, number][]) {
      const rank = (sorted.length - 1) * q;
      const lo = Math.floor(rank);
      const exact = sorted[lo]! + (sorted[Math.ceil(rank)]! - sorted[lo]!) * (rank - lo);
      expect(Math.abs(s[k]! - exact), `${k}: ${s[k]} vs ${exact}`).toBeLessThanOrEqual(WITHIN_SKETCH_ACCURACY * exact);
    }
    expect(s.p50).toBeGreaterThan(0);
    expect([s.min, s.max]).toEqual([sorted[0], sorted.at(-1)]);
    expect(sketch.count).toBe(1_000_000);
  });
});
