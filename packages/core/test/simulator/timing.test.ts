import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { chatBody, events, post, sleep, useSimulator } from './helpers.js';

const start = useSimulator();
const ms = (ns: bigint) => Number(ns) / 1e6;

interface Timings {
  cache_n: number;
  prompt_n: number;
  prompt_ms: number;
  predicted_n: number;
  predicted_ms: number;
  predicted_per_second: number;
}
type ChatResult = {
  timings: Timings;
  usage: { prompt_tokens: number; completion_tokens: number };
  choices: { finish_reason: string; message: { content: string } }[];
};

const chat = async (url: string, body: Record<string, unknown>) =>
  (await (await post(`${url}/v1/chat/completions`, body)).json()) as ChatResult;

describe('timing follows the profile, and timings report the plan the simulator followed', () => {
  it('prompt time is ttftMs + evaluated/promptTps; generation runs at genTps; writes follow the plan', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'm', genTps: 200, promptTps: 1000, ttftMs: 10, jitter: 0 }] });
    const { prompt } = (await (await post(`${s.url}/apply-template`, { messages: [{ role: 'user', content: 'hi' }] })).json()) as {
      prompt: string;
    };
    const { tokens } = (await (await post(`${s.url}/tokenize`, { content: prompt, add_special: true })).json()) as { tokens: number[] };
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const body = events(
      await (
        await post(`${s.url}/v1/chat/completions`, chatBody('m', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 21 }))
      ).text(),
    );
    loop.disable();
    const t = body.chunks.at(-1)!.timings as Timings;
    expect(t.prompt_n + t.cache_n).toBe(tokens.length);
    expect(t.prompt_ms).toBeCloseTo(10 + tokens.length, 3);
    // 21 tokens, 20 gaps of 5 ms: exactly the plan.
    expect(t.predicted_n).toBe(21);
    expect(t.predicted_ms).toBeCloseTo(100, 3);
    expect(t.predicted_per_second).toBeCloseTo(200, 6);
    const truth = s.groundTruth[0]!;
    expect(truth.tokenWrites).toHaveLength(21);
    // No token goes out before the plan (the scheduler serves a timer up to 0.05 ms early). None goes out later
    // than the event loop allowed: a busy or descheduled process delays the loop-delay monitor's timer as much
    // as the simulator's, and 5 ms covers timer granularity. A plan that slipped would add up past that.
    const slack = loop.max / 1e6 + 5;
    truth.tokenWrites.forEach((at, k) => {
      const late = ms(at - truth.receivedAt) - (t.prompt_ms + 5 * k);
      expect(late).toBeGreaterThanOrEqual(-0.1);
      expect(late).toBeLessThanOrEqual(slack);
    });
    expect(truth).toMatchObject({ promptTokens: tokens.length, cachedTokens: 0, predictedTokens: 21, swapped: false, loadMs: 0 });
    expect(truth.finishedAt! >= truth.tokenWrites[20]!).toBe(true);
  });

  it('a natural stop (no ignore_eos) ends with "stop"; the EOS token counts but is not written', async () => {
    const s = await start({ mode: 'llama-server', seed: 3, models: [{ name: 'm', genTps: Number.POSITIVE_INFINITY, ttftMs: 0 }] });
    const r = events(
      await (
        await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 5000, stream: true })
      ).text(),
    );
    const final = r.chunks.at(-1)!;
    expect(final.choices![0]!.finish_reason).toBe('stop');
    const predicted = (final.timings as Timings).predicted_n;
    expect(predicted).toBeLessThan(5000);
    const contentChunks = r.chunks.filter((c) => typeof (c.choices![0]?.delta as { content?: unknown } | undefined)?.content === 'string');
    expect(contentChunks).toHaveLength(predicted - 1);
    expect(s.groundTruth[0]).toMatchObject({ predictedTokens: predicted });
    expect(s.groundTruth[0]!.tokenWrites).toHaveLength(predicted - 1);
  });

  it('cache_prompt reuses the longest common prefix held by the slot; false evaluates everything', async () => {
    const s = await start({
      mode: 'llama-server',
      models: [{ name: 'm', genTps: 5000, ttftMs: 0, promptTps: 10_000, slots: 1, jitter: 0 }],
    });
    const a = [{ role: 'user', content: 'Cache test: lorem ipsum dolor sit amet, twice over.' }];
    const b = [{ role: 'user', content: 'Cache test: lorem ipsum dolor, something else.' }];
    const count = async (messages: unknown) => {
      const { prompt } = (await (await post(`${s.url}/apply-template`, { messages })).json()) as { prompt: string };
      return ((await (await post(`${s.url}/tokenize`, { content: prompt, add_special: true })).json()) as { tokens: number[] }).tokens;
    };
    const [ta, tb] = [await count(a), await count(b)];
    let common = 0;
    while (ta[common] === tb[common]) common++;
    const first = await chat(s.url, { messages: a, max_tokens: 2, cache_prompt: false });
    expect([first.timings.cache_n, first.timings.prompt_n]).toEqual([0, ta.length]);
    const again = await chat(s.url, { messages: a, max_tokens: 2 });
    // At least one token is always evaluated, as llama-server does.
    expect([again.timings.cache_n, again.timings.prompt_n]).toEqual([ta.length - 1, 1]);
    expect(again.timings.prompt_ms).toBeLessThan(first.timings.prompt_ms);
    const other = await chat(s.url, { messages: b, max_tokens: 2 });
    expect([other.timings.cache_n, other.timings.prompt_n]).toEqual([common, tb.length - common]);
    expect((await chat(s.url, { messages: b, max_tokens: 2, cache_prompt: false })).timings.cache_n).toBe(0);
    expect(s.groundTruth.map((g) => g.cachedTokens)).toEqual([0, ta.length - 1, common, 0]);
  });

  it('queues FIFO beyond the slot count and never runs more than the slots', async () => {
    // 8 tokens at 100 tok/s hold a slot ~80 ms: the queue stays long enough for the poll to see it.
    const s = await start({ mode: 'llama-server', models: [{ name: 'm', genTps: 100, ttftMs: 1, slots: 2 }] });
    const all = Array.from({ length: 6 }, async (_, i) => {
      await sleep(i * 3);
      return (await post(`${s.url}/v1/chat/completions`, chatBody('m', { max_tokens: 8 }))).text();
    });
    await expect.poll(() => s.stats().queued).toBeGreaterThan(0);
    await Promise.all(all);
    expect(s.stats()).toMatchObject({ requests: 6, peakActive: 2, active: 0, queued: 0 });
    const byArrival = [...s.groundTruth].sort((x, y) => (x.receivedAt < y.receivedAt ? -1 : 1));
    // With 2 slots, the request that arrived i-th starts only once i − 1 earlier ones have finished (whichever
    // they are: jitter decides which of two running requests ends first, and so which slot frees first).
    const starts = byArrival.map((g) => g.tokenWrites[0]!);
    for (let i = 2; i < 6; i++) {
      const finishedBefore = byArrival.slice(0, i).filter((g) => g.finishedAt! < starts[i]!).length;
      expect(finishedBefore).toBeGreaterThanOrEqual(i - 1);
    }
  });

  it('concurrent streams slow each other by batchSlowdown per extra busy slot', async () => {
    const m = { name: 'm', genTps: 500, ttftMs: 1, jitter: 0, slots: 4, batchSlowdown: 0.5, loadMs: 0 };
    const s = await start({ mode: 'llama-swap', models: [m, { name: 'hold', genTps: 1, ttftMs: 0, loadMs: 0 }] });
    const ask = { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 20, ignore_eos: true, cache_prompt: false };
    const alone = await chat(s.url, ask);
    expect(alone.timings.predicted_per_second).toBeCloseTo(500, 3);
    // Four requests wait in llama-swap while another model streams; when it is gone, llama-swap loads `m` and
    // starts all four at once, so every gap of every stream sees four busy slots whatever the machine's load.
    const controller = new AbortController();
    const hold = await post(
      `${s.url}/v1/chat/completions`,
      { model: 'hold', messages: [{ role: 'user', content: 'x' }], max_tokens: 100, stream: true },
      { signal: controller.signal },
    );
    await hold.body!.getReader().read();
    const four = Array.from({ length: 4 }, () => chat(s.url, ask));
    await expect.poll(() => s.stats().queued).toBe(4);
    controller.abort();
    // Every gap is 1 + 0.5 × 3 = 2.5 times longer: 200 tok/s, exactly as planned.
    for (const r of await Promise.all(four)) expect(r.timings.predicted_per_second).toBeCloseTo(200, 3);
  });

  it('same seed, same requests: same text and the same timings plan; another seed differs', async () => {
    const run = async (seed: number) => {
      const options: SimulatorOptions = { mode: 'llama-server', seed, models: [{ name: 'm', genTps: 4000, ttftMs: 1, jitter: 0.5 }] };
      const s = await startSimulator(options);
      try {
        const out = [];
        for (let i = 0; i < 3; i++) {
          const r = await chat(s.url, { messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 12, ignore_eos: true });
          out.push({ text: r.choices[0]!.message.content, prompt: r.timings.prompt_ms, predicted: r.timings.predicted_ms });
        }
        return out;
      } finally {
        await s.close();
      }
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    const b = await run(43);
    expect(b.map((x) => x.text)).not.toEqual(a.map((x) => x.text));
    expect(b.map((x) => x.predicted)).not.toEqual(a.map((x) => x.predicted));
  });

  it('greedy requests repeat their text for the same prompt, whatever came before', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'm', genTps: 5000, ttftMs: 0 }] });
    const ask = async (content: string) =>
      (await chat(s.url, { messages: [{ role: 'user', content }], max_tokens: 10, temperature: 0, ignore_eos: true })).choices[0]!.message
        .content;
    const first = await ask('same prompt');
    await ask('something else');
    expect(await ask('same prompt')).toBe(first);
  });
});

describe('disconnects, close and load', () => {
  it('a client that leaves mid-stream frees its slot at once', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'm', genTps: 20, ttftMs: 1, slots: 1 }] });
    const controller = new AbortController();
    const r = await post(`${s.url}/v1/chat/completions`, chatBody('m', { max_tokens: 100 }), { signal: controller.signal });
    await r.body!.getReader().read();
    controller.abort();
    await expect.poll(() => s.stats().active).toBe(0);
    const freedAt = process.hrtime.bigint();
    const truth = s.groundTruth[0]!;
    // It stopped generating when the client left: fewer tokens than asked, and the slot came back long before
    // the plan would have ended (1 ms + 99 gaps of 50 ms after its prompt).
    expect(truth.predictedTokens).toBeLessThan(100);
    expect(truth.finishedAt).toBeDefined();
    expect(ms(freedAt - truth.receivedAt)).toBeLessThan(1 + 99 * 50);
    // The next request gets the freed slot: served after the abandoned one ended, with nothing queued.
    expect(s.stats().queued).toBe(0);
    await chat(s.url, { messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    expect(s.groundTruth[1]!.tokenWrites[0]! > truth.finishedAt!).toBe(true);
  });

  it('close() ends streams running, queued and stalled at once: nothing is written after the call', async () => {
    const s = await startSimulator({
      mode: 'llama-server',
      models: [{ name: 'm', genTps: 2, ttftMs: 1, slots: 2 }],
      faults: [{ kind: 'stall', requests: [1], afterTokens: 1 }],
    });
    const pending = Array.from({ length: 4 }, () =>
      post(`${s.url}/v1/chat/completions`, chatBody('m', { max_tokens: 100 }))
        .then((r) => r.text())
        .catch((e: unknown) => e),
    );
    await expect.poll(() => s.stats().queued).toBe(2);
    const called = process.hrtime.bigint();
    await s.close();
    const closed = process.hrtime.bigint();
    for (const p of await Promise.all(pending)) expect(p).toBeInstanceOf(Error);
    expect(s.groundTruth).toHaveLength(4);
    // Each one ended while close() ran, none by running its course (100 tokens at 2 tok/s, or a 60 s stall).
    for (const g of s.groundTruth) {
      expect(g.finishedAt! >= called && g.finishedAt! <= closed).toBe(true);
      expect(g.tokenWrites.every((at) => at < called)).toBe(true);
      expect(g.predictedTokens).toBeLessThan(100);
    }
  });

  // The same check at 1000 streams, with lateness figures, is a load test: bench/simulator-load.ts.
  it('serves 20 concurrent streams on one timer, never writing a token before its time', async () => {
    const n = 20;
    const s = await start({ mode: 'llama-server', models: [{ name: 'm', genTps: 50, ttftMs: 0, slots: n, batchSlowdown: 0, jitter: 0 }] });
    const bodies = await Promise.all(
      Array.from({ length: n }, async () =>
        events(await (await post(`${s.url}/v1/chat/completions`, chatBody('m', { max_tokens: 6 }))).text()),
      ),
    );
    expect(s.stats()).toMatchObject({ requests: n, active: 0 });
    // Each holds its slot 100 ms: they overlap even when the machine is slow to connect them.
    expect(s.stats().peakActive).toBeGreaterThan(1);
    for (const body of bodies) {
      expect(body).toMatchObject({ done: true, chunks: { length: 9 } });
      const final = body.chunks.at(-1)!;
      const t = final.timings as Timings;
      const truth = s.groundTruth.find((g) => g.id === final.id)!;
      expect(truth.tokenWrites).toHaveLength(6);
      const gap = t.predicted_ms / (t.predicted_n - 1);
      expect(gap).toBeCloseTo(20, 6);
      // Token k is due prompt_ms + k gaps after the plan started, which is after the request was received.
      for (const [k, at] of truth.tokenWrites.entries())
        expect(ms(at - truth.receivedAt)).toBeGreaterThanOrEqual(t.prompt_ms + k * gap - 0.1);
    }
  });
});
