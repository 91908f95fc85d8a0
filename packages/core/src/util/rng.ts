/** Seeded randomness for the simulator and the prompt builder: everything random derives from a seed through these. */

/** A deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mix numbers into one 32-bit seed, so each (seed, request, purpose) gets its own stream. */
export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h = Math.imul(h ^ Math.floor(p / 4294967296), 0x01000193);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** A 32-bit hash of a token sequence. */
export function hashTokens(tokens: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const t of tokens) h = Math.imul(h ^ t, 0x01000193);
  return h >>> 0;
}
