import { describe, expect, it } from 'vitest';
import { startSimulator, type Fault } from '../../src/simulator/index.js';
import { chatBody, events, post, rawRequest, useSimulator } from './helpers.js';

const start = useSimulator();
const model = { name: 'm', genTps: 2000, ttftMs: 1, loadMs: 0 };
const server = (faults: Fault[], extra = {}) => start({ mode: 'llama-server', models: [model], faults, ...extra });
const stream = (url: string, extra: Record<string, unknown> = {}) =>
  post(`${url}/v1/chat/completions`, chatBody('m', { max_tokens: 6, ...extra }));

describe('faults', () => {
  it('http-500 and http-503 answer with llama.cpp error bodies, only for the chosen requests', async () => {
    const s = await server([
      { kind: 'http-500', requests: [1] },
      { kind: 'http-503', requests: [2] },
    ]);
    const first = await stream(s.url);
    expect([first.status, ((await first.json()) as { error: { type: string } }).error.type]).toEqual([500, 'server_error']);
    const second = await stream(s.url);
    expect([second.status, await second.json()]).toEqual([
      503,
      { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } },
    ]);
    expect((await stream(s.url)).status).toBe(200);
    expect(s.groundTruth.map((g) => g.fault)).toEqual(['http-500', 'http-503', undefined]);
  });

  it('unknown-model: llama-swap answers 404 without loading anything; llama-server mode answers 404 too', async () => {
    const swap = await start({ mode: 'llama-swap', models: [model], faults: [{ kind: 'unknown-model' }] });
    const r = await stream(swap.url);
    expect([r.status, await r.json()]).toEqual([404, { src: 'llama-swap', error: 'no router for requested model' }]);
    expect(swap.loadedModels()).toEqual([]);
    expect(swap.groundTruth[0]!.fault).toBe('unknown-model');
    const single = await server([{ kind: 'unknown-model' }]);
    expect((await stream(single.url)).status).toBe(404);
  });

  it('reset cuts the connection after the given tokens, and before any byte with afterTokens 0', async () => {
    const s = await server([
      { kind: 'reset', requests: [1], afterTokens: 2 },
      { kind: 'reset', requests: [2], afterTokens: 0 },
    ]);
    const r = await stream(s.url);
    expect(r.status).toBe(200);
    await expect(r.text()).rejects.toThrow();
    expect(s.groundTruth[0]).toMatchObject({ fault: 'reset', tokenWrites: { length: 2 }, predictedTokens: 2 });
    await expect(stream(s.url)).rejects.toThrow();
    expect(s.groundTruth[1]!.headersAt).toBeUndefined();
    await expect.poll(() => s.stats().active).toBe(0);
  });

  it('malformed-chunk writes an event cut mid-JSON and ends the response, streamed or not', async () => {
    const s = await server([{ kind: 'malformed-chunk', afterTokens: 1 }]);
    const text = await (await stream(s.url)).text();
    expect(text).not.toContain('[DONE]');
    expect(() => events(text)).toThrow(SyntaxError);
    const body = await (await stream(s.url, { stream: false })).text();
    expect(() => JSON.parse(body) as unknown).toThrow(SyntaxError);
    expect(s.groundTruth.map((g) => g.fault)).toEqual(['malformed-chunk', 'malformed-chunk']);
  });

  it('missing-timings leaves timings out; no-done leaves [DONE] (or the native final event) out', async () => {
    const s = await server([
      { kind: 'missing-timings', requests: [1, 2] },
      { kind: 'no-done', requests: [3, 4] },
    ]);
    const a = events(await (await stream(s.url)).text());
    expect(a.done).toBe(true);
    expect(a.chunks.some((c) => 'timings' in c)).toBe(false);
    expect(a.chunks.at(-1)).toHaveProperty('usage');
    expect(await (await stream(s.url, { stream: false })).json()).not.toHaveProperty('timings');
    const b = events(await (await stream(s.url)).text());
    expect(b.done).toBe(false);
    expect(b.chunks.at(-1)).toHaveProperty('timings');
    const native = events(await (await post(`${s.url}/completion`, { prompt: 'x', n_predict: 3, stream: true })).text());
    expect(native.chunks.map((c) => c.stop)).toEqual([false, false, false]);
  });

  it('stall pauses mid-stream, and its pause shows in predicted_ms', async () => {
    const s = await server([{ kind: 'stall', afterTokens: 2, stallMs: 150 }]);
    const raw = await rawRequest(s.port, '/v1/chat/completions', chatBody('m', { max_tokens: 4 }));
    const timings = events(raw.chunks.at(-1)!).chunks.at(-1)!.timings as { predicted_ms: number };
    expect(timings.predicted_ms).toBeGreaterThanOrEqual(150);
    const w = s.groundTruth[0]!.tokenWrites;
    expect(Number(w[2]! - w[1]!) / 1e6).toBeGreaterThanOrEqual(149);
  });

  it('a client that leaves during a stall frees the slot at once', async () => {
    const s = await server([{ kind: 'stall', afterTokens: 2, stallMs: 60_000 }]);
    // Both requests stall; one stays connected, the other leaves.
    const kept = await stream(s.url);
    const controller = new AbortController();
    const left = await post(`${s.url}/v1/chat/completions`, chatBody('m'), { signal: controller.signal });
    await left.body!.getReader().read();
    await expect.poll(() => s.groundTruth[1]?.tokenWrites.length).toBe(2);
    expect(s.stats().active).toBe(2);
    controller.abort();
    await expect.poll(() => s.stats().active).toBe(1);
    expect(s.groundTruth[1]!.finishedAt).toBeDefined();
    expect(s.groundTruth[0]!.finishedAt).toBeUndefined();
    void kept.body?.cancel();
  });

  it('probability draws depend only on the seed and the ordinal; model limits the fault to one model', async () => {
    const run = async () => {
      const s = await startSimulator({
        mode: 'llama-swap',
        seed: 9,
        models: [model, { ...model, name: 'other' }],
        initiallyLoaded: 'm',
        faults: [{ kind: 'http-500', probability: 0.5, model: 'm' }],
      });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) statuses.push((await stream(s.url, { stream: false, max_tokens: 1 })).status);
        return statuses;
      } finally {
        await s.close();
      }
    };
    const a = await run();
    expect(a.filter((x) => x === 500).length).toBeGreaterThan(5);
    expect(a.filter((x) => x === 200).length).toBeGreaterThan(5);
    expect(await run()).toEqual(a);
    const s = await start({ mode: 'llama-swap', models: [model, { ...model, name: 'other' }], faults: [{ kind: 'http-500', model: 'm' }] });
    expect((await post(`${s.url}/v1/chat/completions`, chatBody('other', { stream: false }))).status).toBe(200);
    expect((await stream(s.url, { stream: false })).status).toBe(500);
  });

  it('setFaults replaces the list at run time, and an unknown kind is refused', async () => {
    const s = await server([]);
    expect((await stream(s.url)).status).toBe(200);
    s.setFaults([{ kind: 'http-503' }]);
    expect((await stream(s.url)).status).toBe(503);
    s.setFaults([]);
    expect((await stream(s.url)).status).toBe(200);
    expect(() => s.setFaults([{ kind: 'boom' as Fault['kind'] }])).toThrow(/unknown fault kind/);
  });
});
