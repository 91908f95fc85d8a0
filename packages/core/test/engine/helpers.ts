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
