/** Runs with per-request samples drawn from a seeded generator: the figures a comparison test controls. */
import type { CellKey, RunResult, Sample } from '../../src/result/types.js';
import { prng } from '../../src/util/rng.js';
import { makeCell, makeFinishedRun, makeSample } from '../contracts/store-fixtures.js';

export interface SyntheticCell extends Partial<CellKey> {
  /** Requests (default 10). */
  n?: number;
  /** Generation speed, tokens/s (default 50), and TTFT, ms (default 200). */
  genTps?: number;
  ttftMs?: number;
  /** Relative spread of each request's figures (default 0.03). */
  jitter?: number;
  /** Cell throughput; default derived from genTps × concurrency. */
  throughputTps?: number | null;
}

const TOKENS = 32;

/** A completed run and its measured samples, one cell per entry. */
export function syntheticRun(runId: string, seed: number, cells: SyntheticCell[]): { run: RunResult; samples: Sample[] } {
  const random = prng(seed);
  const noise = (jitter: number) => 1 + (random() * 2 - 1) * jitter;
  const samples: Sample[] = [];
  const cellResults = cells.map((c) => {
    const key: CellKey = {
      model: c.model ?? 'm1',
      promptTokens: c.promptTokens ?? 128,
      maxTokens: c.maxTokens ?? TOKENS,
      concurrency: c.concurrency ?? 1,
    };
    const genTps = c.genTps ?? 50;
    const jitter = c.jitter ?? 0.03;
    for (let i = 0; i < (c.n ?? 10); i++) {
      const ttft = (c.ttftMs ?? 200) * noise(jitter);
      const itl = Array.from({ length: TOKENS - 1 }, () => (1000 / genTps) * noise(jitter));
      const gen = itl.reduce((a, b) => a + b, 0);
      samples.push(
        makeSample(runId, samples.length, {
          ...key,
          ttftMs: ttft,
          e2eMs: ttft + gen,
          itlMs: itl,
          outputTokens: TOKENS,
          tpotMs: gen / (TOKENS - 1),
          genTps: ((TOKENS - 1) / gen) * 1000,
          server: { source: 'llama', promptTps: 2000 * noise(jitter), genTps: ((TOKENS - 1) / gen) * 1000 * noise(0.01) },
          flags: [],
        }),
      );
    }
    return {
      ...makeCell(),
      ...key,
      n: c.n ?? 10,
      errors: 0,
      errorCodes: {},
      throughputTps: c.throughputTps === undefined ? genTps * key.concurrency : c.throughputTps,
    };
  });
  return { run: makeFinishedRun(runId, { cells: cellResults }), samples };
}
