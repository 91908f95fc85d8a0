import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { llamaTimingsRecord } from '../../src/timings/llama-timings-record.js';
import { parseLlamaTimings } from '../../src/timings/parse-llama-timings.js';

const FIXTURES = new URL('../fixtures/llama-server/', import.meta.url);
type Timings = Record<string, number | null>;

/** Every recorded non-streamed body that carries llama.cpp `timings`. */
async function recordedTimings(): Promise<[string, Timings][]> {
  const out: [string, Timings][] = [];
  for (const name of (await readdir(FIXTURES)).filter((n) => n.endsWith('.json') && !n.endsWith('.meta.json'))) {
    const body = JSON.parse(await readFile(new URL(name, FIXTURES), 'utf8')) as unknown;
    const timings = body && typeof body === 'object' ? (body as { timings?: unknown }).timings : undefined;
    if (timings && typeof timings === 'object') out.push([name, timings as Timings]);
  }
  return out;
}

describe('llamaTimingsRecord', () => {
  it('rebuilds every recorded timings object from its counts: same keys, same order, same rates', async () => {
    const recorded = await recordedTimings();
    expect(recorded.length).toBeGreaterThanOrEqual(5);
    for (const [name, t] of recorded) {
      const ours = llamaTimingsRecord({
        cacheN: t.cache_n!,
        promptN: t.prompt_n!,
        promptMs: t.prompt_ms!,
        predictedN: t.predicted_n!,
        predictedMs: t.predicted_ms!,
      });
      expect(Object.keys(ours), name).toEqual(Object.keys(t));
      for (const [key, value] of Object.entries(t)) expect(ours[key as keyof typeof ours], `${name} ${key}`).toBeCloseTo(value!, 9);
    }
  });

  it('divides generation by predicted_n − 1 intervals and the prompt by prompt_n', () => {
    const t = llamaTimingsRecord({ cacheN: 3, promptN: 10, promptMs: 20, predictedN: 21, predictedMs: 100 });
    expect(t).toEqual({
      cache_n: 3,
      prompt_n: 10,
      prompt_ms: 20,
      prompt_per_token_ms: 2,
      prompt_per_second: 500,
      predicted_n: 21,
      predicted_ms: 100,
      predicted_per_token_ms: 5,
      predicted_per_second: 200,
    });
  });

  it('writes null where llama.cpp divides by zero: one token, no tokens, no time', () => {
    const one = llamaTimingsRecord({ cacheN: 0, promptN: 0, promptMs: 0, predictedN: 1, predictedMs: 0 });
    expect([one.prompt_per_token_ms, one.prompt_per_second, one.predicted_per_token_ms, one.predicted_per_second]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    const none = llamaTimingsRecord({ cacheN: 0, promptN: 5, promptMs: 4, predictedN: 0, predictedMs: 0 });
    expect([none.prompt_per_second, none.predicted_per_second]).toEqual([1250, null]);
  });

  it('reads back through parseLlamaTimings unchanged', () => {
    const n = parseLlamaTimings({ timings: llamaTimingsRecord({ cacheN: 4, promptN: 12, promptMs: 30, predictedN: 9, predictedMs: 40 }) });
    expect(n).toMatchObject({
      source: 'llama',
      promptTokens: 16,
      promptEvaluatedTokens: 12,
      cachedTokens: 4,
      promptMs: 30,
      promptTps: 400,
      generatedTokens: 9,
      generationMs: 40,
      genTps: 200,
    });
  });
});
