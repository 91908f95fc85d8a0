import { describe, expect, it } from 'vitest';
import { chatBody, post, useSimulator } from './helpers.js';

const start = useSimulator();
const models = [
  { name: 'a', genTps: 2000, ttftMs: 1, loadMs: 120 },
  { name: 'b', genTps: 2000, ttftMs: 1, loadMs: 60 },
];
const ms = (ns: bigint) => Number(ns) / 1e6;
const running = async (url: string) =>
  ((await (await fetch(`${url}/running`)).json()) as { running: { model: string; state: string }[] }).running;

describe('llama-swap: loading and swapping', () => {
  it('loads on first use, serves the loaded model directly, swaps to another, and logs it', async () => {
    const s = await start({ mode: 'llama-swap', models });
    expect(await running(s.url)).toEqual([]);
    const t0 = performance.now();
    await (await post(`${s.url}/v1/chat/completions`, chatBody('a'))).text();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(120);
    expect(s.loadedModels()).toEqual(['a']);
    expect(await running(s.url)).toEqual([
      { model: 'a', state: 'ready', cmd: expect.any(String), proxy: expect.any(String), ttl: 0, name: '', description: '' },
    ]);
    await (await post(`${s.url}/v1/chat/completions`, chatBody('a'))).text();
    await (await post(`${s.url}/completion`, { model: 'b', prompt: 'hi', n_predict: 2 })).text();
    expect(s.loadedModels()).toEqual(['b']);
    expect(s.groundTruth.map((g) => [g.model, g.endpoint, g.swapped])).toEqual([
      ['a', '/v1/chat/completions', true],
      ['a', '/v1/chat/completions', false],
      ['b', '/completion', true],
    ]);
    expect(s.groundTruth[0]!.loadMs).toBeGreaterThanOrEqual(119);
    expect(s.groundTruth[1]!.loadMs).toBe(0);
    // The load is part of the time to first token, as the client sees it through llama-swap.
    expect(ms(s.groundTruth[0]!.headersAt! - s.groundTruth[0]!.receivedAt)).toBeGreaterThanOrEqual(119);
    const list = (await (await fetch(`${s.url}/v1/models`)).json()) as {
      object: string;
      data: { id: string; owned_by: string; status: { value: string } }[];
    };
    expect(list.object).toBe('list');
    expect(list.data.map((m) => [m.id, m.owned_by, m.status.value])).toEqual([
      ['a', 'llama-swap', 'unloaded'],
      ['b', 'llama-swap', 'loaded'],
    ]);
  });

  it('requests for a model being loaded join that load: one load, not two', async () => {
    const s = await start({ mode: 'llama-swap', models });
    const both = Promise.all([0, 1].map(() => post(`${s.url}/v1/chat/completions`, chatBody('a')).then((r) => r.text())));
    await expect.poll(async () => running(s.url)).toEqual([expect.objectContaining({ model: 'a', state: 'starting' })]);
    await expect.poll(() => s.stats().queued).toBe(2);
    await both;
    expect(s.groundTruth.map((g) => g.swapped).sort()).toEqual([false, true]);
    const trigger = s.groundTruth.find((g) => g.swapped)!;
    const joiner = s.groundTruth.find((g) => !g.swapped)!;
    expect(trigger.loadMs).toBeGreaterThanOrEqual(119);
    // The joiner waited for that same load: it was granted with the trigger (its wait is no longer, 1 ms for
    // the two clock reads; a second load would add 120 ms) and streamed while the trigger was still streaming.
    expect(joiner.loadMs).toBeGreaterThan(0);
    expect(joiner.loadMs).toBeLessThanOrEqual(trigger.loadMs + 1);
    expect(joiner.tokenWrites[0]! < trigger.finishedAt!).toBe(true);
  });

  it('a swap waits for the loaded model’s in-flight requests to finish', async () => {
    const s = await start({ mode: 'llama-swap', models: [{ ...models[0]!, genTps: 100 }, models[1]!], initiallyLoaded: 'a' });
    const slow = post(`${s.url}/v1/chat/completions`, chatBody('a', { max_tokens: 10 })).then((r) => r.text());
    await expect.poll(() => s.stats().active).toBe(1);
    await (await post(`${s.url}/v1/chat/completions`, chatBody('b', { max_tokens: 1 }))).text();
    await slow;
    const [a, b] = s.groundTruth;
    expect(a!.swapped).toBe(false);
    expect(b!.swapped).toBe(true);
    expect(b!.tokenWrites[0]! > a!.finishedAt!).toBe(true);
    expect(ms(b!.tokenWrites[0]! - a!.finishedAt!)).toBeGreaterThanOrEqual(59);
  });

  it('a client that leaves while its model loads is dropped from the queue', async () => {
    const s = await start({ mode: 'llama-swap', models });
    const controller = new AbortController();
    const gone = post(`${s.url}/v1/chat/completions`, chatBody('a'), { signal: controller.signal }).catch((e: unknown) => e);
    await expect.poll(() => s.stats().queued).toBe(1);
    controller.abort();
    expect(await gone).toBeInstanceOf(Error);
    await expect.poll(() => s.stats().queued).toBe(0);
    // The load it started still completes, as llama-swap keeps starting the process.
    await expect.poll(() => s.loadedModels()).toEqual(['a']);
    expect(s.groundTruth[0]!.predictedTokens).toBe(0);
  });
});

describe('llama-swap: its own routes', () => {
  it('unloads everything with GET /unload or POST /api/models/unload, one model with /api/models/unload/<model>', async () => {
    const s = await start({ mode: 'llama-swap', models, initiallyLoaded: 'a' });
    expect(s.loadedModels()).toEqual(['a']);
    const unload = await fetch(`${s.url}/unload`);
    expect([unload.status, await unload.text()]).toEqual([200, 'OK']);
    expect(s.loadedModels()).toEqual([]);
    await (await post(`${s.url}/v1/chat/completions`, chatBody('b'))).text();
    expect(await (await post(`${s.url}/api/models/unload/a`, {})).text()).toBe('OK');
    expect(s.loadedModels()).toEqual(['b']);
    expect(await (await post(`${s.url}/api/models/unload/b`, {})).text()).toBe('OK');
    expect(s.loadedModels()).toEqual([]);
    expect((await post(`${s.url}/api/models/unload/zzz`, {})).status).toBe(404);
    await (await post(`${s.url}/v1/chat/completions`, chatBody('b'))).text();
    expect(await (await post(`${s.url}/api/models/unload`, {})).json()).toEqual({ msg: 'ok' });
    expect(s.loadedModels()).toEqual([]);
  });

  it('a reloaded model starts with an empty prompt cache', async () => {
    const s = await start({ mode: 'llama-swap', models, initiallyLoaded: 'a' });
    const ask = async () =>
      ((await (await post(`${s.url}/v1/chat/completions`, chatBody('a', { stream: false }))).json()) as { timings: { cache_n: number } })
        .timings.cache_n;
    expect(await ask()).toBe(0);
    expect(await ask()).toBeGreaterThan(0);
    await (await fetch(`${s.url}/unload`)).text();
    expect(await ask()).toBe(0);
  });

  it('routes /upstream/<model>/... and /props?model= to that model, loading it', async () => {
    const s = await start({ mode: 'llama-swap', models });
    const t0 = performance.now();
    const health = await fetch(`${s.url}/upstream/b/health`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(s.loadedModels()).toEqual(['b']);
    expect(((await (await fetch(`${s.url}/upstream/b/props`)).json()) as { model_alias: string }).model_alias).toBe('b');
    expect(((await (await fetch(`${s.url}/props?model=b`)).json()) as { total_slots: number }).total_slots).toBe(4);
    expect(await (await fetch(`${s.url}/upstream/b/slots`)).json()).toHaveLength(4);
    const messages = [{ role: 'user', content: 'hello world' }];
    const { prompt } = (await (await post(`${s.url}/upstream/b/apply-template`, { messages })).json()) as { prompt: string };
    const { tokens } = (await (await post(`${s.url}/upstream/b/tokenize`, { content: prompt, add_special: true })).json()) as {
      tokens: number[];
    };
    await (await post(`${s.url}/upstream/b/v1/chat/completions`, { messages, max_tokens: 1 })).text();
    expect(s.groundTruth.at(-1)!.promptTokens).toBe(tokens.length);
    expect((await fetch(`${s.url}/upstream/zzz/health`)).status).toBe(404);
  });

  it('answers llama-swap errors for a missing or unknown model, and passes upstream errors through', async () => {
    const s = await start({ mode: 'llama-swap', models: [{ ...models[0]!, ctxSize: 32 }] });
    const unknown = await post(`${s.url}/v1/chat/completions`, chatBody('nope'));
    expect([unknown.status, await unknown.json()]).toEqual([404, { src: 'llama-swap', error: 'no router for requested model' }]);
    const missing = await post(`${s.url}/v1/chat/completions`, { messages: [] });
    expect([missing.status, await missing.json()]).toEqual([404, { src: 'llama-swap', error: 'no model id could be identified' }]);
    // llama-swap reads the model from JSON bodies only.
    const form = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(chatBody('a')) });
    expect(form.status).toBe(404);
    expect(await (await fetch(`${s.url}/health`)).text()).toBe('OK');
    expect(await (await fetch(`${s.url}/nowhere`)).text()).toBe('404 page not found');
    const tooLong = await post(
      `${s.url}/v1/chat/completions`,
      chatBody('a', { messages: [{ role: 'user', content: 'word '.repeat(50) }] }),
    );
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { type: string } }).error.type).toBe('exceed_context_size_error');
    expect(s.stats().requests).toBe(1);
  });

  it('llama-server mode ignores `model` and always has its one model loaded', async () => {
    const s = await start({ mode: 'llama-server', models });
    expect(s.loadedModels()).toEqual(['a']);
    const r = (await (await post(`${s.url}/v1/chat/completions`, chatBody('whatever', { stream: false }))).json()) as { model: string };
    expect(r.model).toBe('a');
    expect((await fetch(`${s.url}/running`)).status).toBe(404);
    expect(s.groundTruth[0]).toMatchObject({ swapped: false, loadMs: 0 });
  });
});
