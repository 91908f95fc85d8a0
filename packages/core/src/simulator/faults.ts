/** Which fault, if any, a request gets: a generation request by model and ordinal, any request by its path. */
import { mix, prng } from '../util/rng.js';
import { EARLY_FAULTS } from './early-faults.js';
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
  ...EARLY_FAULTS,
]);

/** Check a fault list up front, so a typo fails loudly instead of never firing. */
export function validateFaults(faults: readonly Fault[]): Fault[] {
  for (const f of faults) {
    const bad = (why: string) => new TypeError(`simulator: fault "${String(f.kind)}": ${why}`);
    if (!KINDS.has(f.kind)) throw new TypeError(`simulator: unknown fault kind "${String(f.kind)}"`);
    if (f.probability !== undefined && !(f.probability >= 0 && f.probability <= 1))
      throw new RangeError(`simulator: fault probability must be in [0, 1], got ${f.probability}`);
    if (f.bodyBytes !== undefined && !(Number.isInteger(f.bodyBytes) && f.bodyBytes > 0)) throw bad('bodyBytes must be an integer > 0');
    if (f.paths === undefined) continue;
    if (!Array.isArray(f.paths) || f.paths.length === 0 || !f.paths.every((p) => typeof p === 'string' && p.startsWith('/')))
      throw bad('paths must be a non-empty list of paths, each starting with /');
    if (!EARLY_FAULTS.has(f.kind)) throw bad(`paths take only the faults that act before the answer: ${[...EARLY_FAULTS].join(', ')}`);
    if (f.model !== undefined) throw bad('model does not apply with paths (name the path, e.g. /upstream/<model>/tokenize)');
  }
  return [...faults];
}

/**
 * The first fault without `paths` that matches the model and ordinal and wins its draw. The draw depends
 * only on the seed, the ordinal and the fault's position, so it does not change with what other requests did.
 */
export function pickFault(faults: readonly Fault[], seed: number, model: string, ordinal: number): Fault | undefined {
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    if (f.paths !== undefined) continue;
    if (f.model !== undefined && f.model !== model) continue;
    if (f.requests !== undefined && !f.requests.includes(ordinal)) continue;
    if (!wins(f, seed, ordinal, i)) continue;
    return f;
  }
  return undefined;
}

/**
 * The first fault whose `paths` hold `path` that matches its count and wins its draw. Each such fault counts
 * every request to its paths (in `counts`, from 1), whichever fault that request gets.
 */
export function pickPathFault(faults: readonly Fault[], seed: number, path: string, counts: Map<Fault, number>): Fault | undefined {
  let picked: Fault | undefined;
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    if (!f.paths?.includes(path)) continue;
    const n = (counts.get(f) ?? 0) + 1;
    counts.set(f, n);
    if (picked || (f.requests !== undefined && !f.requests.includes(n))) continue;
    if (wins(f, seed, n, i)) picked = f;
  }
  return picked;
}

/** The fault's draw for the request counted `n`: always won at probability 1. */
function wins(f: Fault, seed: number, n: number, position: number): boolean {
  const probability = f.probability ?? 1;
  return probability >= 1 || prng(mix(seed, n, position, f.paths ? 0xfa18 : 0xfa17))() < probability;
}
