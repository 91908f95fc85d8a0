import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const FIXTURES = new URL('../fixtures/llama-server/', import.meta.url);
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions): Promise<Simulator> {
  sim = await startSimulator(options);
  return sim;
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The JSON events of an SSE body, and whether it ended with [DONE]. */
function events(text: string): { chunks: Record<string, unknown>[]; done: boolean } {
  const lines = text.split('\n').filter((l) => l.startsWith('data: '));
  const done = lines.at(-1) === 'data: [DONE]';
  return { chunks: lines.filter((l) => l !== 'data: [DONE]').map((l) => JSON.parse(l.slice(6))), done };
}

async function recorded(name: string) {
  return events(await readFile(new URL(name, FIXTURES), 'utf8'));
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Tell me a story about a fox.' }],
  max_tokens: 8,
  stream: true,
  stream_options: { include_usage: true },
  ignore_eos: true,
  ...extra,
});

describe('simulator: llama-server shapes', () => {
  it('streams chat chunks with the same keys, in the same order, as the recording', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 2000, ttftMs: 1 }] });
    const ours = events(await (await post(`${s.url}/v1/chat/completions`, chat('tiny'))).text());
    const theirs = await recorded('01_chat_stream_usage.sse');
    expect(ours.done).toBe(theirs.done);
    const shape = (c: Record<string, unknown>) => JSON.stringify(Object.keys(c)) + JSON.stringify(Object.keys((c.choices as Record<string, unknown>[])[0] ?? {}));
    expect(shape(ours.chunks[0]!)).toBe(shape(theirs.chunks[0]!));
    expect((ours.chunks[0]!.choices as { delta: unknown }[])[0]!.delta).toEqual({ role: 'assistant', content: null });
    expect(shape(ours.chunks[1]!)).toBe(shape(theirs.chunks[1]!));
    expect(shape(ours.chunks.at(-2)!)).toBe(shape(theirs.chunks.at(-2)!));
    expect(shape(ours.chunks.at(-1)!)).toBe(shape(theirs.chunks.at(-1)!));
    const timingKeys = (c: Record<string, unknown>) => Object.keys(c.timings as object);
    expect(timingKeys(ours.chunks.at(-1)!)).toEqual(timingKeys(theirs.chunks.at(-1)!));
    expect(ours.chunks.length).toBe(1 + 8 + 2);
  });

  it('puts timings on the finish chunk when usage is not asked for', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 2000, ttftMs: 1 }] });
    const ours = events(await (await post(`${s.url}/v1/chat/completions`, chat('tiny', { stream_options: undefined }))).text());
    const theirs = await recorded('01b_chat_stream_no_stream_options.sse');
    expect(Object.keys(ours.chunks.at(-1)!)).toEqual(Object.keys(theirs.chunks.at(-1)!));
    expect(ours.chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it('ends native /completion streams without [DONE], final chunk stop:true with timings', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 2000, ttftMs: 1 }] });
    const ours = events(await (await post(`${s.url}/completion`, { prompt: 'Once upon a time', n_predict: 5, stream: true, ignore_eos: true })).text());
    const theirs = await recorded('03_completion_stream.sse');
    expect(ours.done).toBe(false);
    expect(theirs.done).toBe(false);
    expect(Object.keys(ours.chunks[0]!)).toEqual(Object.keys(theirs.chunks[0]!));
    const last = ours.chunks.at(-1)!;
    expect(last.stop).toBe(true);
    expect((last.timings as { predicted_n: number }).predicted_n).toBe(5);
  });

  it('writes the role-only chunk in the same write as the first token', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 20, ttftMs: 30 }] });
    const body = JSON.stringify(chat('tiny', { max_tokens: 3 }));
    const socket = connect(s.port, '127.0.0.1');
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const [first] = (await new Promise((resolve) => socket.once('data', (d) => resolve([d.toString()])))) as [string];
    socket.destroy();
    expect(first).toContain('"role":"assistant"');
    expect(first).toContain('"delta":{"content":');
  });

  it('counts chat prompts as /apply-template + /tokenize do, and reuses the prompt cache only when allowed', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 5000, ttftMs: 1, slots: 1 }] });
    const messages = [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog, twice.' }];
    const { prompt } = (await (await post(`${s.url}/apply-template`, { messages })).json()) as { prompt: string };
    expect(prompt).toBe('<s>[INST] The quick brown fox jumps over the lazy dog, twice. [/INST]');
    const { tokens } = (await (await post(`${s.url}/tokenize`, { content: prompt, add_special: true, parse_special: true })).json()) as { tokens: number[] };
    const run = async (cache: boolean) => {
      const r = (await (await post(`${s.url}/v1/chat/completions`, { model: 'x', messages, max_tokens: 2, cache_prompt: cache })).json()) as { timings: { prompt_n: number; cache_n: number } };
      return r.timings;
    };
    const first = await run(false);
    expect(first.prompt_n + first.cache_n).toBe(tokens.length);
    expect(first.cache_n).toBe(0);
    const reused = await run(true);
    expect(reused.cache_n).toBe(tokens.length - 1);
    expect(reused.prompt_n).toBe(1);
    expect((await run(false)).cache_n).toBe(0);
  });

  it('answers errors with the recorded bodies and statuses', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', ctxSize: 64 }] });
    const tooLong = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'word '.repeat(100) }], stream: true });
    expect(tooLong.status).toBe(400);
    const body = (await tooLong.json()) as { error: Record<string, unknown> };
    const theirs = JSON.parse(await readFile(new URL('08a_err_prompt_too_long_chat.json', FIXTURES), 'utf8'));
    expect(Object.keys(body.error)).toEqual(Object.keys(theirs.error));
    const malformed = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: '{"messages": [' });
    expect(malformed.status).toBe(500);
    const unknown = await fetch(`${s.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe(await readFile(new URL('08h_err_unknown_endpoint_get.json', FIXTURES), 'utf8'));
    const missing = await post(`${s.url}/v1/chat/completions`, { model: 'tiny' });
    expect(missing.status).toBe(400);
  });

  it('reports /props, /slots, /metrics and /v1/models like llama-server', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', slots: 3, ctxSize: 4096, genTps: 5000, ttftMs: 1 }] });
    await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    const props = (await (await fetch(`${s.url}/props`)).json()) as Record<string, unknown>;
    expect(props.total_slots).toBe(3);
    expect((props.default_generation_settings as { n_ctx: number }).n_ctx).toBe(4096);
    expect(props.build_info).toMatch(/^b\d+/);
    const slots = (await (await fetch(`${s.url}/slots`)).json()) as { is_processing: boolean }[];
    expect(slots).toHaveLength(3);
    expect(slots.every((x) => x.is_processing === false)).toBe(true);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/llamacpp:tokens_predicted_total 4\n/);
    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: { id: string; meta: { n_ctx: number } }[] };
    expect(models.data[0]).toMatchObject({ id: 'tiny', meta: { n_ctx: 4096 } });
  });
});

describe('simulator: timing and concurrency', () => {
  it('generates at roughly the profile speed and logs ground truth per token', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 200, ttftMs: 20, jitter: 0 }] });
    const r = (await (await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 21, ignore_eos: true })).json()) as {
      timings: { predicted_n: number; predicted_per_second: number; prompt_ms: number };
    };
    expect(r.timings.predicted_n).toBe(21);
    // 20 gaps of 5 ms: 100 ms for 21 tokens → ~210 tok/s as llama.cpp counts; timers only run late.
    expect(r.timings.predicted_per_second).toBeGreaterThan(120);
    expect(r.timings.predicted_per_second).toBeLessThan(215);
    expect(r.timings.prompt_ms).toBeGreaterThanOrEqual(19);
    const truth = s.groundTruth[0]!;
    expect(truth.tokenWrites).toHaveLength(21);
    expect(truth.tokenWrites[20]! - truth.tokenWrites[0]!).toBeGreaterThanOrEqual(95_000_000n);
  });

  it('queues requests beyond the slot count', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 500, ttftMs: 1, slots: 2 }] });
    await Promise.all(Array.from({ length: 6 }, () => post(`${s.url}/v1/chat/completions`, chat('tiny', { max_tokens: 10 })).then((r) => r.text())));
    expect(s.stats().peakActive).toBe(2);
    expect(s.stats().requests).toBe(6);
  });

  it('is deterministic under a seed', async () => {
    const text = async () => {
      const s = await startSimulator({ mode: 'llama-server', seed: 42, models: [{ name: 'tiny', genTps: 5000, ttftMs: 1 }] });
      try {
        const r = (await (await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 12, seed: 3 })).json()) as { choices: { message: { content: string } }[] };
        return r.choices[0]!.message.content;
      } finally {
        await s.close();
      }
    };
    const a = await text();
    expect(a.length).toBeGreaterThan(0);
    expect(await text()).toBe(a);
  });

  it('closes promptly with streams open', async () => {
    const s = await startSimulator({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 1, ttftMs: 1 }] });
    const pending = post(`${s.url}/v1/chat/completions`, chat('tiny', { max_tokens: 100 })).then((r) => r.text()).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await s.close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('simulator: llama-swap', () => {
  const models = [
    { name: 'a', genTps: 2000, ttftMs: 1, loadMs: 120 },
    { name: 'b', genTps: 2000, ttftMs: 1, loadMs: 60 },
  ];

  it('loads on first use, swaps between models, and reports /running', async () => {
    const s = await start({ mode: 'llama-swap', models });
    expect(((await (await fetch(`${s.url}/running`)).json()) as { running: unknown[] }).running).toEqual([]);
    const t0 = performance.now();
    await (await post(`${s.url}/v1/chat/completions`, chat('a'))).text();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
    expect(s.loadedModels()).toEqual(['a']);
    const running = (await (await fetch(`${s.url}/running`)).json()) as { running: { model: string; state: string }[] };
    expect(running.running).toMatchObject([{ model: 'a', state: 'ready' }]);
    await (await post(`${s.url}/v1/chat/completions`, chat('b'))).text();
    expect(s.loadedModels()).toEqual(['b']);
    expect(s.groundTruth.map((g) => [g.model, g.swapped])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    expect(s.groundTruth[0]!.loadMs).toBeGreaterThanOrEqual(115);
  });

  it('unloads with /unload and /api/models/unload/<model>', async () => {
    const s = await start({ mode: 'llama-swap', models, initiallyLoaded: 'a' });
    expect(s.loadedModels()).toEqual(['a']);
    expect(await (await fetch(`${s.url}/unload`)).text()).toBe('OK');
    expect(s.loadedModels()).toEqual([]);
    await (await post(`${s.url}/v1/chat/completions`, chat('b'))).text();
    expect((await post(`${s.url}/api/models/unload/b`, {})).status).toBe(200);
    expect(s.loadedModels()).toEqual([]);
    expect((await post(`${s.url}/api/models/unload/zzz`, {})).status).toBe(404);
  });

  it('routes /upstream/<model>/... to that model, loading it', async () => {
    const s = await start({ mode: 'llama-swap', models });
    const props = (await (await fetch(`${s.url}/upstream/b/props`)).json()) as { model_alias: string };
    expect(props.model_alias).toBe('b');
    expect(s.loadedModels()).toEqual(['b']);
    const tok = (await (await post(`${s.url}/upstream/b/tokenize`, { content: 'hello world' })).json()) as { tokens: number[] };
    expect(tok.tokens.length).toBeGreaterThan(0);
  });

  it('answers an unknown or missing model with llama-swap 404s', async () => {
    const s = await start({ mode: 'llama-swap', models });
    const unknown = await post(`${s.url}/v1/chat/completions`, chat('nope'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ src: 'llama-swap', error: 'no router for requested model' });
    const missing = await post(`${s.url}/v1/chat/completions`, { messages: [] });
    expect(missing.status).toBe(404);
    const list = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toEqual(['a', 'b']);
  });
});

describe('simulator: faults', () => {
  const model = [{ name: 'm', genTps: 2000, ttftMs: 1 }];
  const stream = (s: Simulator) => post(`${s.url}/v1/chat/completions`, chat('m', { max_tokens: 6 }));

  it('http-500 and http-503 answer with llama.cpp error bodies', async () => {
    const s = await start({ mode: 'llama-server', models: model, faults: [{ kind: 'http-500', requests: [1] }, { kind: 'http-503', requests: [2] }] });
    expect((await stream(s)).status).toBe(500);
    const r = await stream(s);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('unavailable_error');
    expect((await stream(s)).status).toBe(200);
  });

  it('reset cuts the connection mid-stream', async () => {
    const s = await start({ mode: 'llama-server', models: model, faults: [{ kind: 'reset', afterTokens: 2 }] });
    const r = await stream(s);
    await expect(r.text()).rejects.toThrow();
    expect(s.groundTruth[0]!.tokenWrites).toHaveLength(2);
  });

  it('malformed-chunk writes broken JSON and ends the stream', async () => {
    const s = await start({ mode: 'llama-server', models: model, faults: [{ kind: 'malformed-chunk', afterTokens: 1 }] });
    const text = await (await stream(s)).text();
    expect(() => events(text)).toThrow(SyntaxError);
  });

  it('missing-timings and no-done change the tail', async () => {
    const s = await start({ mode: 'llama-server', models: model, faults: [{ kind: 'missing-timings', requests: [1] }, { kind: 'no-done', requests: [2] }] });
    const a = events(await (await stream(s)).text());
    expect(a.done).toBe(true);
    expect(a.chunks.some((c) => 'timings' in c)).toBe(false);
    const b = events(await (await stream(s)).text());
    expect(b.done).toBe(false);
    expect(b.chunks.at(-1)).toHaveProperty('timings');
  });

  it('stall pauses mid-stream and stops when the client leaves', async () => {
    const s = await start({ mode: 'llama-server', models: model, faults: [{ kind: 'stall', afterTokens: 2, stallMs: 60_000 }] });
    const controller = new AbortController();
    const r = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(chat('m')), signal: controller.signal });
    const reader = r.body!.getReader();
    await reader.read();
    await new Promise((r2) => setTimeout(r2, 100));
    expect(s.stats().active).toBe(1);
    controller.abort();
    await new Promise((r2) => setTimeout(r2, 50));
    // The slot is free again although the stall had a minute to go.
    expect(s.stats().active).toBe(0);
    expect(s.groundTruth[0]!.tokenWrites).toHaveLength(2);
  });

  it('unknown-model answers 404', async () => {
    const s = await start({ mode: 'llama-swap', models: [{ ...model[0]!, loadMs: 0 }], faults: [{ kind: 'unknown-model' }] });
    expect((await stream(s)).status).toBe(404);
  });
});
