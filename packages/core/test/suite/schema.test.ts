import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/errors.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import { SUITE_LIMITS } from '../../src/suite/limits.js';

const BASE = { name: 'ok', models: ['m'], promptTokens: [64], maxTokens: [16], concurrency: [1] };

/** The issues `parseSuite` throws for `patch` over a valid suite, as `path: message` lines. */
function problems(patch: Record<string, unknown>): string[] {
  try {
    parseSuite({ ...BASE, ...patch }, 'suite.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('suite bounds', () => {
  it('accepts every value at its limit, and applies the defaults', () => {
    const suite = parseSuite({
      ...BASE,
      promptTokens: [SUITE_LIMITS.promptTokens],
      maxTokens: [1],
      concurrency: [SUITE_LIMITS.concurrency],
      repetitions: 1,
      requestTimeoutMs: SUITE_LIMITS.requestTimeoutMs,
      warmup: SUITE_LIMITS.warmup,
      swaps: SUITE_LIMITS.swaps,
    });
    expect(suite.requestTimeoutMs).toBe(2 ** 31 - 1);
    expect(parseSuite(BASE)).toMatchObject({ repetitions: 3, warmup: 1, requestTimeoutMs: 120_000, cache: 'bust' });
  });

  it.each([
    ['concurrency', { concurrency: [1e9] }, /^concurrency\[0\]: must be at most 4,096 \(got 1,000,000,000\): .*file descriptor/],
    ['promptTokens', { promptTokens: [1e9] }, /^promptTokens\[0\]: must be at most 1,048,576 .*context/],
    ['maxTokens', { maxTokens: [2 ** 21] }, /^maxTokens\[0\]: must be at most 1,048,576/],
    ['repetitions', { repetitions: 1e6 }, /^repetitions: must be at most 10,000/],
    ['warmup', { warmup: 5000 }, /^warmup: must be at most 1,000/],
    ['swaps', { swaps: 1e5 }, /^swaps: must be at most 1,000/],
    ['requestTimeoutMs', { requestTimeoutMs: 3e9 }, /^requestTimeoutMs: must be at most 2,147,483,647 .*1 ms/],
    ['a fraction', { repetitions: 1.5 }, /^repetitions: must be a whole number \(got 1\.5\)/],
    ['zero', { concurrency: [0] }, /^concurrency\[0\]: must be at least 1 \(got 0\)/],
    ['a negative', { warmup: -1 }, /^warmup: must be at least 0/],
    ['NaN', { repetitions: Number.NaN }, /^repetitions: .*expected number, received NaN/],
    ['a numeric string', { maxTokens: ['64'] }, /^maxTokens\[0\]: .*expected number, received string/],
    ['an empty list', { models: [] }, /^models: must list at least one value/],
    ['too many models', { models: Array.from({ length: 65 }, (_, i) => `m${i}`) }, /^models: must list at most 64 models/],
    ['a long model name', { models: ['x'.repeat(300)] }, /^models\[0\]: must be at most 256 characters/],
    ['a control character', { name: 'a\u001b[2Jb' }, /^name: must not contain control characters/],
  ])('refuses %s, saying the limit', (_what, patch, expected) => {
    expect(problems(patch)[0]).toMatch(expected);
  });

  it('gives one message per bad value, even one both too big and fractional', () => {
    expect(problems({ concurrency: [5000.5] })).toEqual([expect.stringMatching(/^concurrency\[0\]: must be at most 4,096/)]);
  });
});

describe('repeated values', () => {
  it.each([
    ['models', { models: ['a', 'b', 'a'] }, 'models[2]: repeats the model "a" of [0]'],
    ['promptTokens', { promptTokens: [64, 64] }, 'promptTokens[1]: repeats the prompt size 64 of [0]'],
    ['maxTokens', { maxTokens: [8, 16, 8] }, 'maxTokens[2]: repeats the output length 8 of [0]'],
    ['concurrency', { concurrency: [1, 4, 4] }, 'concurrency[2]: repeats the concurrency level 4 of [1]'],
  ])('refuses a repeated %s, naming both places', (_what, patch, expected) => {
    const [first] = problems(patch);
    expect(first).toContain(expected);
    expect(first).toContain('run the same cells twice');
  });
});

describe('the size of the whole run', () => {
  it('refuses more than 10,000 cells, spelling out the product', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const [message] = problems({ promptTokens: many(101), maxTokens: many(100) });
    expect(message).toMatch(
      /^: 10,100 cells \(1 model × 101 prompt sizes × 100 output lengths × 1 concurrency level\) is more than 10,000/,
    );
  });

  it('refuses more than 1,000,000 measured requests', () => {
    const [message] = problems({ concurrency: [4096, 2048], repetitions: 200 });
    expect(message).toMatch(/^: 1,228,800 measured requests .*6,144 summed concurrency × 200 repetitions\) is more than 1,000,000/);
  });

  it('refuses more than 50,000,000 measured output tokens', () => {
    const [message] = problems({ maxTokens: [1_000_000], concurrency: [64], repetitions: 1 });
    expect(message).toMatch(/^: 64,000,000 measured output tokens is more than 50,000,000/);
  });

  it('does not compute the size from values already refused', () => {
    expect(problems({ concurrency: [1e9], repetitions: 1e9 })).toHaveLength(2);
  });
});

describe('unknown fields and the number of problems', () => {
  it('names an unknown field and the closest known one', () => {
    expect(problems({ concurency: [1] })).toEqual(['concurency: unknown field (did you mean concurrency?)']);
    // A short name two edits from a field is no typo of it.
    expect(problems({ foo: 1 })[0]).toMatch(/^foo: unknown field; the fields are name, models, /);
    expect(problems({ slp: {} })[0]).toBe('slp: unknown field (did you mean slo?)');
    expect(problems({ zzz: 1 })[0]).toMatch(/^zzz: unknown field; the fields are name, models, /);
  });

  it('lists the first 20 problems, then counts the rest', () => {
    const issues = problems({ models: Array.from({ length: 50 }, () => 7) });
    expect(issues).toHaveLength(21);
    expect(issues[20]).toBe(': and 30 more problems');
  });
});
