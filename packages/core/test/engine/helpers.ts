import type { Sample } from '../../src/result/types.js';
import type { Store } from '../../src/store/store.js';
import type { SuiteInput } from '../../src/suite/schema.js';

/** A small suite; override what a test is about. */
export function suite(overrides: Partial<SuiteInput> = {}): SuiteInput {
  return {
    name: 'test',
    models: ['m1'],
    promptTokens: [32],
    maxTokens: [8],
    concurrency: [1],
    repetitions: 2,
    warmup: 0,
    ...overrides,
  };
}

/** A run's samples as the store holds them, in the order they were appended. */
export async function storedSamples(store: Store, runId: string): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of store.runs.samples(runId)) out.push(s);
  return out;
}
