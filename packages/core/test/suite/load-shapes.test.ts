import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/errors.js';
import { runSize } from '../../src/engine/phases/cells.js';
import { suiteMaxInFlight } from '../../src/engine/load/in-flight.js';
import { parseSuite } from '../../src/suite/load-suite.js';

const BASE = { name: 'ok', models: ['m'], promptTokens: [64], maxTokens: [16] };

/** The issues `parseSuite` throws for a suite, as `path: message` lines (none when it is valid). */
function problems(input: Record<string, unknown>): string[] {
  try {
    parseSuite(input, 'suite.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('load shapes in a suite', () => {
  it('accepts rates instead of concurrency, with Poisson arrivals, seed 1 and a cap of 64 by default', () => {
    const suite = parseSuite({ ...BASE, rate: [1, 2.5, 4] });
    expect(suite).toMatchObject({ concurrency: [], rate: [1, 2.5, 4], arrivals: 'poisson', seed: 1, maxConcurrency: 64 });
    // 10 s of arrivals per rate cell (at least 10 requests): 10 + 25 + 40.
    expect(runSize(suite)).toEqual({ cells: 3, requests: 75 });
    expect(suiteMaxInFlight(suite)).toBe(64);
  });

  it('refuses a suite with no load at all, naming what to add', () => {
    expect(problems(BASE)).toHaveLength(1);
    expect(problems({ ...BASE, concurrency: [] })).toEqual([
      'concurrency: must list at least one value, unless rate (open loop, requests/s) or sweep gives the load',
    ]);
  });

  it('refuses bad rates, arrivals, SLOs and sweeps with the field named', () => {
    expect(problems({ ...BASE, rate: [0] })).toEqual(['rate[0]: must be above 0 requests/s']);
    expect(problems({ ...BASE, rate: [2, 2] })[0]).toMatch(/^rate\[1\]: repeats the request rate 2 of \[0\]/);
    expect(problems({ ...BASE, rate: [1], arrivals: 'bursty' })[0]).toMatch(/^arrivals: /);
    expect(problems({ ...BASE, rate: [1], slo: { target: 0.9 } })).toEqual(['slo: must set at least one of ttftMs, tpotMs, e2eMs']);
    expect(problems({ ...BASE, rate: [1], slo: { ttftMs: -1 } })).toEqual(['slo.ttftMs: must be above 0 ms']);
    expect(problems({ ...BASE, sweep: { steps: 0 } })[0]).toMatch(/^sweep\.steps: /);
    expect(problems({ ...BASE, sweep: { steps: 3, step: 2 } })[0]).toMatch(/^sweep\.step: unknown field/);
  });

  it('counts sweep steps as cells: one stream, the maximum, and the steps between', () => {
    const suite = parseSuite({
      ...BASE,
      promptTokens: [64, 128],
      sweep: { steps: 3, requests: 30, maxConcurrency: 32 },
      slo: { e2eMs: 500 },
    });
    expect(suite.slo).toEqual({ e2eMs: 500, target: 0.9 });
    // Per prompt size: one stream, 3 steps (30 each), and the throughput step's 4 waves of 32 streams (128).
    expect(runSize(suite)).toEqual({ cells: 10, requests: 2 * (4 * 30 + 128) });
    expect(suiteMaxInFlight(suite)).toBe(64);
    expect(suiteMaxInFlight(parseSuite({ ...BASE, sweep: { steps: 1, maxConcurrency: 128 } }))).toBe(128);
    expect(suiteMaxInFlight(parseSuite({ ...BASE, concurrency: [1, 8] }))).toBe(8);
  });

  it('reads promptTokens: { mean, stddev, min, max } as a distribution keyed by its mean, and checks it', () => {
    const suite = parseSuite({ ...BASE, concurrency: [1], promptTokens: { mean: 512, stddev: 128, min: 64, max: 2048 } });
    expect(suite.promptTokens).toEqual([512]);
    expect(suite.promptDistribution).toEqual({ mean: 512, stddev: 128, min: 64, max: 2048 });
    // The parsed suite parses again to itself (it is stored with the run and read back).
    expect(parseSuite(suite)).toEqual(suite);
    expect(problems({ ...BASE, concurrency: [1], promptTokens: { mean: 50, stddev: 1, min: 64, max: 128 } })).toEqual([
      'promptTokens: must have min ≤ mean ≤ max',
    ]);
  });

  it('reports a bad rate once, without a run size computed from it', () => {
    // 1e9/s used to add "10,000,000,000 measured requests (… × 0 summed concurrency …)" on top.
    expect(problems({ ...BASE, rate: [1e9] })).toEqual([
      'rate[0]: must be at most 10000 requests/s: one client process cannot keep a denser schedule',
    ]);
  });

  it('reports a bad distribution mean once, as promptTokens.mean, not also as a promptTokens[0] never written', () => {
    expect(problems({ ...BASE, concurrency: [1], promptTokens: { mean: 10.5, stddev: 1, min: 1, max: 20 } })).toEqual([
      'promptTokens.mean: Invalid input: expected int, received number',
    ]);
    expect(problems({ ...BASE, concurrency: [1], promptTokens: { mean: Number.NaN, stddev: 1, min: 1, max: 20 } }).join('\n')).not.toMatch(
      /promptTokens\[0\]/,
    );
  });

  it('suggests a field of the nested object for an unknown key inside it, never a suite field', () => {
    expect(problems({ ...BASE, rate: [1], slo: { ttftMs: 5, foo: 1 } })).toEqual([
      'slo.foo: unknown field; the fields are ttftMs, tpotMs, e2eMs, target',
    ]);
    expect(problems({ ...BASE, rate: [1], slo: { ttftms: 5 } })[0]).toBe('slo.ttftms: unknown field (did you mean ttftMs?)');
    expect(problems({ ...BASE, concurrency: [1], promptTokens: { mean: 9, stddev: 1, min: 1, max: 20, maxx: 3 } })).toEqual([
      'promptTokens.maxx: unknown field (did you mean max?)',
    ]);
    expect(problems({ ...BASE, sweep: { steps: 2, request: 30 } })).toEqual(['sweep.request: unknown field (did you mean requests?)']);
  });

  it('names the load to add when a suite file has no concurrency, rate or sweep', () => {
    expect(problems(BASE)).toEqual([
      'concurrency: must list at least one value, unless rate (open loop, requests/s) or sweep gives the load',
    ]);
  });

  it('refuses a run too large once rate cells count, spelling out the product', () => {
    const out = problems({ ...BASE, rate: [1000], requests: 1_000_001 });
    expect(out[0]).toMatch(/^requests: must be at most 1,000,000/);
    const big = problems({ ...BASE, maxTokens: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], rate: [10_000], requests: 200_000 });
    expect(big.join('\n')).toMatch(/2,000,000 measured requests .* is more than 1,000,000 per run/);
    // The product names the rate cells' requests, not "0 summed concurrency".
    const rateOnly = problems({ ...BASE, maxTokens: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], rate: [9000, 10_000] });
    expect(rateOnly).toEqual([
      ': 1,900,000 measured requests (1 model × 1 prompt size × 10 output lengths × 190,000 requests of rate or sweep cells) is more than 1,000,000 per run: every sample is kept in the store; lower rate or requests, or split the suite',
    ]);
  });
});
