/** Which fault, if any, a generation request gets. */
import { mix, prng } from '../util/rng.js';
import type { Fault } from './types.js';

const KINDS = new Set<Fault['kind']>([
  'http-500',
  'http-503',
  'unknown-model',
  'reset',
  'malformed-chunk',
  'stall',
  'missing-timings',
  'no-done',
]);

/** Check a fault list up front, so a typo fails loudly instead of never firing. */
export function validateFaults(faults: readonly Fault[]): Fault[] {
  for (const f of faults) {
    if (!KINDS.has(f.kind)) throw new TypeError(`simulator: unknown fault kind "${String(f.kind)}"`);
    if (f.probability !== undefined && !(f.probability >= 0 && f.probability <= 1))
      throw new RangeError(`simulator: fault probability must be in [0, 1], got ${f.probability}`);
  }
  return [...faults];
}

/**
 * The first fault that matches the model and ordinal and wins its draw. The draw depends only on the seed, the
 * ordinal and the fault's position, so it does not change with what other requests did.
 */
export function pickFault(faults: readonly Fault[], seed: number, model: string, ordinal: number): Fault | undefined {
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    if (f.model !== undefined && f.model !== model) continue;
    if (f.requests !== undefined && !f.requests.includes(ordinal)) continue;
    const probability = f.probability ?? 1;
    if (probability < 1 && prng(mix(seed, ordinal, i, 0xfa17))() >= probability) continue;
    return f;
  }
  return undefined;
}
