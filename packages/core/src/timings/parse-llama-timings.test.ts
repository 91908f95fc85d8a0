import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseLlamaTimings, type NormalizedTimings } from './parse-llama-timings.js';

const FIXTURES = new URL('../../test/fixtures/llama-server/', import.meta.url);
const json = async (name: string) => JSON.parse(await readFile(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;
/** The stream chunk that carries timings (the last one that does). */
async function finalChunk(name: string) {
  const lines = (await readFile(new URL(name, FIXTURES), 'utf8')).split('\n').filter((l) => l.startsWith('data: {'));
  return lines.map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>).filter((c) => 'timings' in c).at(-1)!;
}

type Timings = { cache_n: number; prompt_n: number; prompt_ms: number; prompt_per_second: number; predicted_n: number; predicted_ms: number; predicted_per_second: number };

/** What the normalized record must say, derived from the raw llama.cpp fields. */
function expectMatchesRaw(out: NormalizedTimings, raw: Timings) {
  expect(out.source).toBe('llama');
  expect(out.promptEvaluatedTokens).toBe(raw.prompt_n);
  expect(out.cachedTokens).toBe(raw.cache_n);
  expect(out.promptTokens).toBe(raw.prompt_n + raw.cache_n);
  expect(out.promptMs).toBe(raw.prompt_ms);
  expect(out.promptTps).toBe(raw.prompt_per_second);
  expect(out.generatedTokens).toBe(raw.predicted_n);
  expect(out.generationMs).toBe(raw.predicted_ms);
  expect(out.genTps).toBe(raw.predicted_per_second);
}

describe('parseLlamaTimings on real llama-server recordings', () => {
  for (const name of ['01_chat_stream_usage.sse', '01b_chat_stream_no_stream_options.sse', '03_completion_stream.sse', '04_v1_completions_stream.sse', '05_chat_ignore_eos_64_stream.sse']) {
    it(`final chunk of ${name}`, async () => {
      const chunk = await finalChunk(name);
      expectMatchesRaw(parseLlamaTimings(chunk), chunk.timings as Timings);
    });
  }

  for (const name of ['02_chat_nonstream.json', '03b_completion_nonstream.json', '04c_v1_completions_nonstream.json', '05d_chat_no_ignore_eos_eosmodel_natural_stop.json']) {
    it(`non-streaming body ${name}`, async () => {
      const body = await json(name);
      expectMatchesRaw(parseLlamaTimings(body), body.timings as Timings);
    });
  }

  it('pins the figures of 01_chat_stream_usage (read off the file)', async () => {
    const out = parseLlamaTimings(await finalChunk('01_chat_stream_usage.sse'));
    expect(out).toMatchObject({ promptTokens: 35, promptEvaluatedTokens: 35, cachedTokens: 0, generatedTokens: 32, promptMs: 5.567, generationMs: 36.099 });
  });

  it('tells a cache hit from a cold prompt (06a–06d: cache_prompt default vs false)', async () => {
    const [a, b, c, d] = await Promise.all(['06a_cache_default_first.json', '06b_cache_default_second.json', '06c_cache_false_first.json', '06d_cache_false_second.json'].map(json));
    const second = parseLlamaTimings(b);
    const usage = b!.usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    // A repeated prompt with the cache on: almost all of it cached, the total unchanged.
    expect(second.cachedTokens).toBe(usage.prompt_tokens_details.cached_tokens);
    expect(second.cachedTokens!).toBeGreaterThan(0);
    expect(second.promptTokens).toBe(usage.prompt_tokens);
    expect(parseLlamaTimings(a).promptTokens).toBe(second.promptTokens);
    // cache_prompt: false evaluates the whole prompt both times.
    for (const body of [c, d]) {
      const out = parseLlamaTimings(body);
      expect(out.cachedTokens).toBe(0);
      expect(out.promptEvaluatedTokens).toBe(out.promptTokens);
    }
  });

  it('accepts a bare timings object', async () => {
    const chunk = await finalChunk('01_chat_stream_usage.sse');
    expectMatchesRaw(parseLlamaTimings(chunk.timings), chunk.timings as Timings);
  });
});

describe('parseLlamaTimings on other servers and bad input', () => {
  it('reads OpenAI usage alone (vLLM, Ollama /v1)', () => {
    expect(parseLlamaTimings({ usage: { prompt_tokens: 512, completion_tokens: 128, total_tokens: 640, prompt_tokens_details: { cached_tokens: 12 } } })).toEqual({
      source: 'openai',
      promptTokens: 512,
      cachedTokens: 12,
      promptEvaluatedTokens: 500,
      generatedTokens: 128,
    });
  });

  it('reads Ollama native durations in nanoseconds', () => {
    const out = parseLlamaTimings({
      model: 'qwen3:8b',
      done: true,
      done_reason: 'length',
      total_duration: 2350000000,
      load_duration: 812000000,
      prompt_eval_count: 512,
      prompt_eval_duration: 211000000,
      eval_count: 128,
      eval_duration: 1504000000,
    });
    expect(out).toMatchObject({ source: 'ollama', promptTokens: 512, promptMs: 211, generatedTokens: 128, generationMs: 1504, loadMs: 812, totalMs: 2350 });
    expect(out.genTps).toBeCloseTo((128 / 1504) * 1000, 9);
    expect(out.promptTps).toBeCloseTo((512 / 211) * 1000, 9);
  });

  it('leaves Ollama rates undefined when a duration is omitted (Go omitempty)', () => {
    const out = parseLlamaTimings({ done: true, eval_count: 3, prompt_eval_count: 10 });
    expect(out.genTps).toBeUndefined();
    expect(out.promptTps).toBeUndefined();
  });

  it('turns nulls, garbage and -1 into undefined, never NaN or Infinity', () => {
    const out = parseLlamaTimings({ timings: { cache_n: -1, prompt_n: 'x', prompt_ms: 0, prompt_per_second: null, predicted_n: 4, predicted_ms: 0, predicted_per_second: null } });
    for (const value of Object.values(out)) if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
    expect(out.promptTps).toBeUndefined();
    expect(out.genTps).toBeUndefined();
    expect(out.generatedTokens).toBe(4);
    expect(out.cachedTokens).toBeUndefined();
  });

  it('computes a rate from counts and durations when the server left it out', () => {
    expect(parseLlamaTimings({ timings: { prompt_n: 100, prompt_ms: 50, predicted_n: 10, predicted_ms: 100 } })).toMatchObject({ promptTps: 2000, genTps: 100 });
  });

  it('says `none` for input with nothing in it', () => {
    expect(parseLlamaTimings(undefined)).toEqual({ source: 'none' });
    expect(parseLlamaTimings('timings')).toEqual({ source: 'none' });
    expect(parseLlamaTimings({ choices: [] })).toEqual({ source: 'none' });
  });
});
