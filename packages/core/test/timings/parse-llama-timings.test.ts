import { readdir, readFile } from 'node:fs/promises';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { parseLlamaTimings, type NormalizedTimings } from '../../src/timings/parse-llama-timings.js';

const FIXTURES = new URL('../fixtures/llama-server/', import.meta.url);
const names = await readdir(FIXTURES);
type Obj = Record<string, unknown>;

const readText = (name: string) => readFile(new URL(name, FIXTURES), 'utf8');
const readJson = async (name: string) => JSON.parse(await readText(name)) as Obj;

/** Every `data:` payload of a recorded stream, parsed as JSON (`[DONE]` left out), in order. */
async function sseEvents(name: string): Promise<{ chunks: Obj[]; done: boolean; eventCount: number }> {
  const chunks: Obj[] = [];
  let done = false;
  let eventCount = 0;
  const parser = createParser({
    onEvent(event) {
      eventCount++;
      if (event.data === '[DONE]') done = true;
      else chunks.push(JSON.parse(event.data) as Obj);
    },
  });
  parser.feed(await readText(name));
  return { chunks, done, eventCount };
}

/** The chunk that carries the request's timings: the last one that has them. */
async function finalChunk(name: string): Promise<Obj> {
  const { chunks } = await sseEvents(name);
  const withTimings = chunks.filter((c) => isObj(c.timings));
  expect(withTimings.length).toBeGreaterThan(0);
  return withTimings.at(-1)!;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface RawTimings {
  cache_n: number;
  prompt_n: number;
  prompt_ms: number;
  prompt_per_second: number;
  predicted_n: number;
  predicted_ms: number;
  predicted_per_second: number;
}
interface RawUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
}

/** What the normalized record must say, derived from the raw fields of the same response. */
function expectMatchesRaw(out: NormalizedTimings, body: Obj) {
  const raw = body.timings as RawTimings;
  expect(out.source).toBe('llama');
  expect(out.promptEvaluatedTokens).toBe(raw.prompt_n);
  expect(out.cachedTokens).toBe(raw.cache_n);
  expect(out.promptTokens).toBe(raw.prompt_n + raw.cache_n);
  expect(out.promptMs).toBe(raw.prompt_ms);
  expect(out.promptTps).toBe(raw.prompt_per_second);
  expect(out.generatedTokens).toBe(raw.predicted_n);
  expect(out.generationMs).toBe(raw.predicted_ms);
  expect(out.genTps).toBe(raw.predicted_per_second);
  // The server's speeds agree with its own counts and durations. Generation divides n − 1 tokens: the first
  // token's time is in prompt_ms, so predicted_ms spans n − 1 intervals.
  expect(out.promptTps).toBeCloseTo((raw.prompt_n * 1000) / raw.prompt_ms, 6);
  expect(out.genTps).toBeCloseTo(((raw.predicted_n - 1) * 1000) / raw.predicted_ms, 6);
  // Recomputing from the counts (what happens when the server sends null) gives the server's own figure.
  const recomputed = parseLlamaTimings({ ...raw, prompt_per_second: null, predicted_per_second: null });
  expect(recomputed.promptTps).toBeCloseTo(out.promptTps!, 6);
  expect(recomputed.genTps).toBeCloseTo(out.genTps!, 6);
  // Where the same response carries `usage` (OpenAI endpoints), both views agree.
  const usage = body.usage as RawUsage | undefined;
  if (usage) {
    expect(out.promptTokens).toBe(usage.prompt_tokens);
    expect(out.generatedTokens).toBe(usage.completion_tokens);
    expect(out.cachedTokens).toBe(usage.prompt_tokens_details?.cached_tokens);
  }
  // The native /completion endpoint counts the whole prompt in tokens_evaluated.
  if (typeof body.tokens_evaluated === 'number') expect(out.promptTokens).toBe(body.tokens_evaluated);
  if (typeof body.tokens_predicted === 'number') expect(out.generatedTokens).toBe(body.tokens_predicted);
  expect(out.draftTokens).toBeUndefined();
}

const streams = names.filter((n) => n.endsWith('.sse')).sort();
const bodies: { name: string; body: Obj }[] = [];
for (const name of names.filter((n) => n.endsWith('.json') && !n.endsWith('.meta.json')).sort()) {
  const body = await readJson(name);
  if (isObj(body.timings)) bodies.push({ name, body });
}

describe('parseLlamaTimings on recorded llama-server streams', () => {
  it('finds the recordings it is meant to check', () => {
    expect(streams).toEqual(
      expect.arrayContaining([
        '01_chat_stream_usage.sse',
        '01b_chat_stream_no_stream_options.sse',
        '03_completion_stream.sse',
        '04_v1_completions_stream.sse',
      ]),
    );
    expect(streams.length).toBeGreaterThanOrEqual(6);
  });

  for (const name of streams) {
    it(`normalizes the final chunk of ${name}`, async () => {
      const { chunks, eventCount } = await sseEvents(name);
      const meta = await readJson(name.replace(/\.sse$/, '.meta.json'));
      // The recorder counted the same events the parser saw.
      expect(eventCount).toBe(meta.sse_event_count);
      // Without timings_per_token only the final chunk carries timings.
      const withTimings = chunks.filter((c) => isObj(c.timings));
      expect(withTimings).toHaveLength(1);
      const final = withTimings[0]!;
      // Only the terminator may follow it.
      expect(chunks.at(-1)).toBe(final);
      expectMatchesRaw(parseLlamaTimings(final), final);
    });
  }

  it('reads a partial chunk without timings as nothing', async () => {
    const { chunks } = await sseEvents('01_chat_stream_usage.sse');
    const partial = chunks.find((c) => !isObj(c.timings) && !isObj(c.usage))!;
    expect(parseLlamaTimings(partial)).toEqual({ source: 'none' });
  });

  it('pins 01_chat_stream_usage: 35 prompt tokens, none cached, 32 generated', async () => {
    const out = parseLlamaTimings(await finalChunk('01_chat_stream_usage.sse'));
    expect(out).toMatchObject({
      promptTokens: 35,
      promptEvaluatedTokens: 35,
      cachedTokens: 0,
      generatedTokens: 32,
      promptMs: 5.567,
      generationMs: 36.099,
    });
    expect(out.genTps).toBeCloseTo(858.7495, 3);
  });

  it('reads timings from the finish_reason chunk when no usage chunk was asked for (01b)', async () => {
    const { chunks, done } = await sseEvents('01b_chat_stream_no_stream_options.sse');
    expect(done).toBe(true);
    expect(chunks.some((c) => isObj(c.usage))).toBe(false);
    const final = await finalChunk('01b_chat_stream_no_stream_options.sse');
    expect((final.choices as { finish_reason: string }[])[0]?.finish_reason).toBe('length');
    // Same prompt as 01, sent right after it: all but one token came from the cache.
    expect(parseLlamaTimings(final)).toMatchObject({
      source: 'llama',
      promptTokens: 35,
      promptEvaluatedTokens: 1,
      cachedTokens: 34,
      generatedTokens: 32,
    });
  });

  it('reads the native /completion stream, which ends without [DONE] (03)', async () => {
    const { done } = await sseEvents('03_completion_stream.sse');
    expect(done).toBe(false);
    const final = await finalChunk('03_completion_stream.sse');
    expect(parseLlamaTimings(final)).toMatchObject({ promptTokens: 5, generatedTokens: 32 });
  });
});

describe('parseLlamaTimings on recorded non-streaming bodies', () => {
  it('finds the recordings it is meant to check', () => {
    expect(bodies.map((b) => b.name)).toEqual(
      expect.arrayContaining([
        '02_chat_nonstream.json',
        '03b_completion_nonstream.json',
        '04c_v1_completions_nonstream.json',
        '06a_cache_default_first.json',
      ]),
    );
  });

  for (const { name, body } of bodies) {
    it(`normalizes ${name}`, () => {
      expectMatchesRaw(parseLlamaTimings(body), body);
    });
  }

  it('reads the bare timings object the same as the whole body', () => {
    for (const { body } of bodies) {
      const bare = parseLlamaTimings(body.timings);
      const whole = parseLlamaTimings(body);
      expect(bare).toEqual(whole);
    }
  });

  it('finds nothing in error bodies', async () => {
    // index.tsv: name, method, path, port, status, ...
    const rows = (await readText('index.tsv'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'));
    const errors = rows.filter((r) => Number(r[4]) >= 400 && names.includes(`${r[0]}.json`)).map((r) => `${r[0]}.json`);
    expect(errors.length).toBeGreaterThan(3);
    for (const name of errors) {
      const body = await readJson(name);
      expect(body.error, name).toBeDefined();
      expect(parseLlamaTimings(body), name).toEqual({ source: 'none' });
    }
  });

  it('pins 08j: a generation that ran to the end of the context', async () => {
    const body = await readJson('08j_no_n_predict_completion.json');
    expect(body.truncated).toBe(true);
    expect(parseLlamaTimings(body)).toMatchObject({ promptTokens: 5, promptEvaluatedTokens: 4, cachedTokens: 1, generatedTokens: 2043 });
  });
});

describe('cache_n semantics (06a–06d)', () => {
  const load = async () => {
    const [a, b, c, d] = await Promise.all(
      ['06a_cache_default_first', '06b_cache_default_second', '06c_cache_false_first', '06d_cache_false_second'].map((n) =>
        readJson(`${n}.json`),
      ),
    );
    return { a: a!, b: b!, c: c!, d: d! };
  };

  it('checks the recordings asked for what the tests assume', async () => {
    const bodyOf = async (n: string) => JSON.parse(((await readJson(`${n}.meta.json`)).request as { body: string }).body) as Obj;
    expect((await bodyOf('06a_cache_default_first')).cache_prompt).toBeUndefined();
    expect((await bodyOf('06b_cache_default_second')).messages).toEqual((await bodyOf('06a_cache_default_first')).messages);
    expect((await bodyOf('06c_cache_false_first')).cache_prompt).toBe(false);
    expect((await bodyOf('06d_cache_false_second')).cache_prompt).toBe(false);
  });

  it('counts cached tokens in the prompt total, not in the evaluated tokens', async () => {
    const { a, b } = await load();
    const first = parseLlamaTimings(a);
    const second = parseLlamaTimings(b);
    // The same prompt twice: the total stays, the evaluated part shrinks to the one token always re-run.
    expect(second.promptTokens).toBe(first.promptTokens);
    expect(first).toMatchObject({ promptTokens: 131, promptEvaluatedTokens: 127, cachedTokens: 4 });
    expect(second).toMatchObject({ promptTokens: 131, promptEvaluatedTokens: 1, cachedTokens: 130 });
    expect(second.cachedTokens! + second.promptEvaluatedTokens!).toBe((b.usage as RawUsage).prompt_tokens);
    // A cache hit's prompt speed covers one token: far below a cold prompt's.
    expect(second.promptTps!).toBeLessThan(first.promptTps! / 5);
  });

  it('evaluates the whole prompt both times with cache_prompt: false', async () => {
    const { c, d } = await load();
    for (const body of [c, d]) {
      const out = parseLlamaTimings(body);
      expect(out.cachedTokens).toBe(0);
      expect(out.promptEvaluatedTokens).toBe(out.promptTokens);
      expect(out.promptTokens).toBe((body.usage as RawUsage).prompt_tokens);
    }
    expect(parseLlamaTimings(d).promptEvaluatedTokens).toBe(133);
  });

  it('falls back to usage for the total when an older build sends no cache_n', async () => {
    const { b } = await load();
    const { cache_n: _dropped, ...oldTimings } = b.timings as RawTimings;
    const out = parseLlamaTimings({ ...b, timings: oldTimings });
    expect(out).toMatchObject({ source: 'llama', promptTokens: 131, promptEvaluatedTokens: 1, cachedTokens: 130 });
  });
});

describe('parseLlamaTimings on OpenAI usage only (vLLM, Ollama /v1)', () => {
  it('reads totals and cached tokens', () => {
    expect(
      parseLlamaTimings({
        usage: { prompt_tokens: 512, completion_tokens: 128, total_tokens: 640, prompt_tokens_details: { cached_tokens: 12 } },
      }),
    ).toEqual({
      source: 'openai',
      promptTokens: 512,
      cachedTokens: 12,
      promptEvaluatedTokens: 500,
      generatedTokens: 128,
    });
  });

  it('leaves the evaluated and cached counts unknown without prompt_tokens_details', () => {
    for (const details of [undefined, null]) {
      const out = parseLlamaTimings({
        usage: { prompt_tokens: 512, completion_tokens: 128, total_tokens: 640, prompt_tokens_details: details },
      });
      expect(out).toEqual({
        source: 'openai',
        promptTokens: 512,
        generatedTokens: 128,
        cachedTokens: undefined,
        promptEvaluatedTokens: undefined,
      });
    }
  });

  it('has no speeds or durations, since usage carries none', () => {
    const out = parseLlamaTimings({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 128, total_tokens: 140 } });
    expect(out.promptTps).toBeUndefined();
    expect(out.genTps).toBeUndefined();
    expect(out.promptMs).toBeUndefined();
    expect(out.generationMs).toBeUndefined();
  });

  it('never reports a negative evaluated count when cached exceeds the total', () => {
    const out = parseLlamaTimings({ usage: { prompt_tokens: 5, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 9 } } });
    expect(out.promptEvaluatedTokens).toBeUndefined();
  });

  it('reads usage from a recorded llama-server response with its timings taken away', async () => {
    const body = await readJson('02_chat_nonstream.json');
    const usage = body.usage as RawUsage;
    const { timings: _dropped, ...usageOnly } = body;
    expect(parseLlamaTimings(usageOnly)).toMatchObject({
      source: 'openai',
      promptTokens: usage.prompt_tokens,
      generatedTokens: usage.completion_tokens,
    });
  });
});

describe('parseLlamaTimings on Ollama native durations (nanoseconds)', () => {
  // The final NDJSON object of /api/generate, as in wire-formats.md §3.
  const done = {
    model: 'qwen3:8b',
    created_at: '2026-08-20T10:11:12.3Z',
    response: '',
    done: true,
    done_reason: 'length',
    total_duration: 2350000000,
    load_duration: 812000000,
    prompt_eval_count: 512,
    prompt_eval_duration: 211000000,
    eval_count: 128,
    eval_duration: 1504000000,
  };

  it('converts nanoseconds to milliseconds and computes speeds', () => {
    const out = parseLlamaTimings(done);
    expect(out).toMatchObject({
      source: 'ollama',
      promptTokens: 512,
      promptMs: 211,
      generatedTokens: 128,
      generationMs: 1504,
      loadMs: 812,
      totalMs: 2350,
    });
    expect(out.genTps).toBeCloseTo((done.eval_count / done.eval_duration) * 1e9, 9);
    expect(out.promptTps).toBeCloseTo((done.prompt_eval_count / done.prompt_eval_duration) * 1e9, 9);
  });

  it('leaves speeds undefined when a duration is omitted (Go omitempty) or zero', () => {
    const { eval_duration: _e, prompt_eval_duration: _p, ...omitted } = done;
    const a = parseLlamaTimings(omitted);
    expect(a.genTps).toBeUndefined();
    expect(a.promptTps).toBeUndefined();
    expect(a.generatedTokens).toBe(128);
    const b = parseLlamaTimings({ ...done, eval_duration: 0, prompt_eval_duration: 0 });
    expect(b.genTps).toBeUndefined();
    expect(b.promptTps).toBeUndefined();
    expect(b.generationMs).toBe(0);
  });

  it('reports a warm model load as a small load time, not a missing one', () => {
    expect(parseLlamaTimings({ ...done, load_duration: 52000 }).loadMs).toBeCloseTo(0.052, 9);
    const { load_duration: _l, ...noLoad } = done;
    expect(parseLlamaTimings(noLoad).loadMs).toBeUndefined();
  });
});

describe('parseLlamaTimings on missing and garbage fields', () => {
  const FIELDS = ['cache_n', 'prompt_n', 'prompt_ms', 'prompt_per_second', 'predicted_n', 'predicted_ms', 'predicted_per_second'] as const;
  const GARBAGE: unknown[] = [null, undefined, 'x', '12', Number.NaN, Infinity, -Infinity, -1, {}, [], true];
  const good: RawTimings = {
    cache_n: 2,
    prompt_n: 100,
    prompt_ms: 50,
    prompt_per_second: 2000,
    predicted_n: 10,
    predicted_ms: 100,
    predicted_per_second: 100,
  };

  const expectAllFinite = (out: NormalizedTimings) => {
    for (const [key, value] of Object.entries(out)) {
      if (key === 'source') continue;
      if (value !== undefined) expect(Number.isFinite(value), `${key} = ${String(value)}`).toBe(true);
    }
  };

  it('never yields NaN or Infinity, and drops only the field that was bad', () => {
    for (const field of FIELDS) {
      for (const bad of GARBAGE) {
        const out = parseLlamaTimings({ timings: { ...good, [field]: bad } });
        expectAllFinite(out);
        expect(out.source).toBe('llama');
        if (field === 'predicted_n') expect(out.generatedTokens).toBeUndefined();
        if (field === 'prompt_ms') expect(out.promptMs).toBeUndefined();
        if (field === 'predicted_ms') expect(out.generationMs).toBeUndefined();
        if (field !== 'predicted_n' && field !== 'predicted_ms' && field !== 'predicted_per_second') expect(out.genTps).toBe(100);
      }
    }
  });

  it('recomputes a speed the server left out, or sent as null (its division by zero)', () => {
    // Generation: 11 tokens over 100 ms are 10 intervals, 100 tokens/s (as llama-server computes it).
    expect(parseLlamaTimings({ timings: { prompt_n: 100, prompt_ms: 50, predicted_n: 11, predicted_ms: 100 } })).toMatchObject({
      promptTps: 2000,
      genTps: 100,
    });
    expect(
      parseLlamaTimings({ timings: { ...good, predicted_n: 11, prompt_per_second: null, predicted_per_second: 'NaN' } }),
    ).toMatchObject({ promptTps: 2000, genTps: 100 });
    // One token has no interval to divide by.
    expect(parseLlamaTimings({ timings: { predicted_n: 1, predicted_ms: 0.5, predicted_per_second: null } }).genTps).toBeUndefined();
  });

  it('leaves speeds undefined for a zero duration, whatever the server claimed', () => {
    const out = parseLlamaTimings({
      timings: { cache_n: 0, prompt_n: 0, prompt_ms: 0, prompt_per_second: 0, predicted_n: 4, predicted_ms: 0, predicted_per_second: 1e9 },
    });
    expect(out.promptTps).toBeUndefined();
    expect(out.genTps).toBeUndefined();
    expect(out.promptMs).toBe(0);
    expect(out.generatedTokens).toBe(4);
  });

  it('treats -1 (unknown, as llama-swap writes it) as missing', () => {
    const out = parseLlamaTimings({
      timings: {
        cache_n: -1,
        prompt_n: 10,
        prompt_ms: -1,
        prompt_per_second: -1,
        predicted_n: -1,
        predicted_ms: 20,
        predicted_per_second: -1,
      },
    });
    expect(out).toMatchObject({
      cachedTokens: undefined,
      promptMs: undefined,
      promptTps: undefined,
      generatedTokens: undefined,
      generationMs: 20,
      genTps: undefined,
    });
    // Unknown cache_n leaves prompt_n as the only total there is.
    expect(out.promptTokens).toBe(10);
  });

  it('keeps speculative-decoding counts when present', () => {
    expect(parseLlamaTimings({ timings: { ...good, draft_n: 40, draft_n_accepted: 31 } })).toMatchObject({
      draftTokens: 40,
      draftAcceptedTokens: 31,
    });
  });

  it('says `none` for input with nothing in it', () => {
    for (const input of [
      undefined,
      null,
      'timings',
      42,
      [],
      [{ timings: good }],
      {},
      { choices: [] },
      { timings: null },
      { timings: 'x', usage: [] },
    ]) {
      expect(parseLlamaTimings(input)).toEqual({ source: 'none' });
    }
  });
});
