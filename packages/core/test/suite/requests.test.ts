import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/errors.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import { SUITE_LIMITS } from '../../src/suite/limits.js';

const BASE = { name: 'ok', models: ['m'], promptTokens: [64], maxTokens: [16], concurrency: [1, 8] };

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

describe('requests per cell', () => {
  it('is absent unless set, and accepts any whole number up to its limit, below the concurrency too', () => {
    expect(parseSuite(BASE).requests).toBeUndefined();
    expect(parseSuite({ ...BASE, requests: 1 }).requests).toBe(1);
    expect(parseSuite({ ...BASE, concurrency: [1], requests: SUITE_LIMITS.requestsPerCell }).requests).toBe(1_000_000);
  });

  it.each([
    ['zero', { requests: 0 }, /^requests: must be at least 1 \(got 0\)/],
    ['a fraction', { requests: 2.5 }, /^requests: must be a whole number \(got 2\.5\)/],
    ['a string', { requests: '100' }, /^requests: .*expected number, received string/],
    ['too many', { requests: 2e6 }, /^requests: must be at most 1,000,000 \(got 2,000,000\): no run may measure more/],
  ])('refuses %s, saying the limit', (_what, patch, expected) => {
    expect(problems(patch)[0]).toMatch(expected);
  });

  it('counts the run size per cell, not per concurrency slot', () => {
    // 2 concurrency levels × 600,000: over the run's limit, although repetitions × concurrency would not be.
    const [message] = problems({ requests: 600_000 });
    expect(message).toMatch(
      /^: 1,200,000 measured requests \(1 model × 1 prompt size × 1 output length × 2 concurrency levels × 600,000 requests per cell\)/,
    );
    expect(message).toMatch(/lower requests, or split the suite$/);
    // 2 × 20,000 requests × 2,000 tokens = 80,000,000 output tokens.
    expect(problems({ requests: 20_000, maxTokens: [2000] })[0]).toMatch(
      /^: 80,000,000 measured output tokens is more than 50,000,000.*lower maxTokens, requests/,
    );
    expect(problems({ requests: 400_000 })).toEqual([]);
  });
});
