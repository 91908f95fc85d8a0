/**
 * An OpenAI-compatible server (`kind: 'openai'`): exact prompt sizes through vLLM's `/tokenize` where it
 * answers, else through one-token probes of the server's own usage; the prompt cache it keeps on is
 * measured, not flagged.
 */
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { storedSamples, suite } from '../engine/helpers.js';
import { closeAfterEach } from './helpers.js';
import { startMswServer } from './msw-loopback.js';

const keep = closeAfterEach();
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('the openai kind', () => {
  it('against a llama-server it does not know as one: probes size every prompt exactly, the cached head is allowed', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 4, models: [{ name: 'm1', genTps: 3000, ttftMs: 1, slots: 2 }] });
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'openai', connections: 2 }));
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ promptTokens: [24, 200], maxTokens: [4], concurrency: [1, 2], repetitions: 2 }), {
      transport,
      store,
    });
    expect(result.status).toBe('completed');
    const calibration = result.calibration[0]!;
    expect(calibration).toMatchObject({ method: 'tokenizer', countedBy: 'usage' });
    // The simulator's template head is reused by every request: measured, so not flagged.
    expect(calibration.sharedPrefixTokens).toBeGreaterThan(0);
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(12);
    for (const s of measured) {
      const truth = sim.groundTruth.find((g) => g.requestId === s.requestId)!;
      // `client-wait` says the client was busy (a loaded test machine), not that a size was off: not ours here.
      const sizeFlags = s.flags.filter((f) => f !== 'client-wait');
      expect([truth.promptTokens, s.promptTokensActual, sizeFlags]).toEqual([s.promptTokens, s.promptTokens, []]);
    }
    expect(measured.some((s) => (s.server.cachedTokens ?? 0) > 0)).toBe(true);
  });

  it('uses vLLM’s /tokenize, sending the chat messages or the prompt as vLLM reads them', async () => {
    const bodies: unknown[] = [];
    const s = keep(
      await startMswServer([
        http.post('*/tokenize', async ({ request }) => {
          const body = (await request.json()) as { messages?: { content: string }[]; prompt?: string };
          bodies.push(body);
          const text = body.messages ? body.messages.map((m) => m.content).join(' ') : body.prompt!;
          // A fixed template cost of 7 tokens for chat, one BOS for a prompt, one per word.
          const count = text.split(/\s+/).filter(Boolean).length + (body.messages ? 7 : 1);
          return HttpResponse.json({ count, max_model_len: 32768, tokens: Array.from({ length: count }, (_, i) => i) });
        }),
      ]),
    );
    const t = keep(createLlamaTransport({ baseUrl: s.url, kind: 'openai' }));
    expect(await t.tokenize!('Qwen/Qwen3-8B', { endpoint: 'chat', messages: [{ role: 'user', content: 'a b c' }] })).toBe(10);
    expect(await t.tokenize!('Qwen/Qwen3-8B', { endpoint: 'completion', prompt: 'a b' })).toBe(3);
    expect(bodies).toEqual([
      { model: 'Qwen/Qwen3-8B', messages: [{ role: 'user', content: 'a b c' }] },
      { model: 'Qwen/Qwen3-8B', prompt: 'a b' },
    ]);
  });

  it('refuses a /tokenize answer without vLLM’s count (llama-server’s own shape) as unsupported', async () => {
    const s = keep(await startMswServer([http.post('*/tokenize', () => HttpResponse.json({ tokens: [] }))]));
    const t = keep(createLlamaTransport({ baseUrl: s.url, kind: 'openai' }));
    await expect(t.tokenize!('m', { endpoint: 'completion', prompt: 'a' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
