import { prng } from '../../util/rng.js';

/** How requests arrive in an open-loop cell: a Poisson process (exponential gaps) or evenly spaced. */
export type ArrivalProcess = 'poisson' | 'constant';

/**
 * The scheduled send times of `count` requests at `rate` requests/s, ms after the cell's start (the first at
 * 0). Poisson gaps are −ln(1−u)/rate with u from a seeded mulberry32 (`util/rng.ts`), so a seed gives the same
 * schedule on every run and machine: two runs of a suite offer the server the same load.
 */
export function arrivalSchedule(count: number, rate: number, process: ArrivalProcess, seed: number): Float64Array {
  const out = new Float64Array(count);
  const meanGapMs = 1000 / rate;
  const next = prng(seed);
  let t = 0;
  for (let i = 0; i < count; i++) {
    out[i] = t;
    // 1 − u is in (0, 1]: the log is finite.
    t += process === 'constant' ? meanGapMs : -Math.log(1 - next()) * meanGapMs;
  }
  return out;
}
