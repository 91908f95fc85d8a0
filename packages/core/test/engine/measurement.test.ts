import { describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import type { TransportEvent } from '../../src/transport/transport.js';
import { suite } from './helpers.js';

describe('per-request measurement', () => {
  it('measures TTFB, TTFT, e2e, inter-token gaps and TPOT exactly on the injected clock', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: () => ({ ttfbMs: 3, ttftMs: 20, interTokenMs: 5 }) });
    const result = await runBenchSuite(suite({ maxTokens: [8], repetitions: 1 }), { transport, clock: clock.now });
    const cell = result.cells[0]!;
    expect(cell.n).toBe(1);
    expect(cell.ttftMs.p50).toBe(20);
    // 8 tokens: first at 20 ms, then 7 gaps of 5 ms; the final event comes with the last token.
    expect(cell.e2eMs.p50).toBe(55);
    expect(cell.itlMs.min).toBe(5);
    expect(cell.itlMs.max).toBe(5);
    expect(cell.tpotMs.p50).toBe(5);
    expect(cell.genTps.p50).toBe(200);
  });

  it('counts a chunk of several tokens as several, with zero gaps inside the chunk', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: () => ({ ttftMs: 10, interTokenMs: 6, tokensPerChunk: 3 }), tokenizer: true });
    const store = (await import('../../src/store/memory/index.js')).createMemoryStore();
    const result = await runBenchSuite(suite({ maxTokens: [6], repetitions: 1 }), { transport, clock: clock.now, store });
    const samples = [];
    for await (const s of store.runs.samples(result.runId)) samples.push(s);
    expect(samples[0]!.outputTokens).toBe(6);
    // Chunks of 3 at 10 and 16 ms: gaps 0, 0, 6, 0, 0.
    expect(samples[0]!.itlMs).toEqual([0, 0, 6, 0, 0]);
    expect(samples[0]!.tpotMs).toBeCloseTo(6 / 5);
    expect(samples[0]!.flags).toEqual([]);
  });

  it('drains a stream that can push its events, and measures it as it would iterate it', async () => {
    const clock = createVirtualClock();
    const base = createFakeTransport({ clock, script: () => ({ ttfbMs: 3, ttftMs: 20, interTokenMs: 5 }) });
    let drained = 0;
    const transport = {
      ...base,
      stream(req: Parameters<typeof base.stream>[0], opts?: { signal?: AbortSignal }) {
        const inner = base.stream(req, opts);
        return {
          [Symbol.asyncIterator]: () => {
            throw new Error('a pushable stream must not be iterated');
          },
          async drain(onEvent: (e: TransportEvent) => void) {
            drained++;
            for await (const e of inner) onEvent(e);
          },
        };
      },
    };
    const result = await runBenchSuite(suite({ maxTokens: [8], repetitions: 1 }), { transport, clock: clock.now });
    const cell = result.cells[0]!;
    expect(drained).toBeGreaterThanOrEqual(1);
    expect(cell.errors).toBe(0);
    expect(cell.ttftMs.p50).toBe(20);
    expect(cell.e2eMs.p50).toBe(55);
    expect(cell.itlMs.max).toBe(5);
  });

  it('ignores empty deltas when stopping the TTFT clock', async () => {
    const clock = createVirtualClock();
    const base = createFakeTransport({ clock, script: () => ({ ttftMs: 10, interTokenMs: 1 }) });
    const transport = {
      ...base,
      async *stream(req: Parameters<typeof base.stream>[0], opts?: { signal?: AbortSignal }) {
        yield { type: 'response-start' as const, at: clock.now(), status: 200 };
        // A role-only chunk arrives first, as llama-server sends it: no text, no tokens.
        yield { type: 'delta' as const, at: clock.now(), text: '', tokens: 0, channel: 'content' as const };
        for await (const e of base.stream(req, opts)) if (e.type !== 'response-start') yield e;
      },
    };
    const result = await runBenchSuite(suite({ repetitions: 1 }), { transport, clock: clock.now });
    expect(result.cells[0]!.ttftMs.p50).toBe(10);
  });

  it('flags warm cache, wrong output length and wrong prompt size', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({
      clock,
      script: () => ({ ttftMs: 10, interTokenMs: 1, tokens: 5, promptTokens: 40, cachedTokens: 12 }),
    });
    const result = await runBenchSuite(suite({ maxTokens: [8], repetitions: 1 }), { transport, clock: clock.now });
    expect(result.cells[0]!.flags).toEqual({ 'warm-cache': 1, 'length-mismatch': 1, 'prompt-size-mismatch': 1 });
    expect(result.notes.join('\n')).toMatch(/warm-cache/);
  });

  it('takes server-side speeds from the normalized timings', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({
      clock,
      script: () => ({
        ttftMs: 10,
        interTokenMs: 1,
        timings: {
          prompt_n: 32,
          cache_n: 0,
          prompt_ms: 16,
          prompt_per_second: 2000,
          predicted_n: 8,
          predicted_ms: 80,
          predicted_per_second: 100,
        },
      }),
    });
    const result = await runBenchSuite(suite({ repetitions: 1 }), { transport, clock: clock.now });
    expect(result.cells[0]!.serverGenTps.p50).toBe(100);
    expect(result.cells[0]!.serverPromptTps.p50).toBe(2000);
  });
});
