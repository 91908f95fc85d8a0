/**
 * Prompt sizing and cache honesty on servers without llama.cpp's tokenizer and `cache_prompt` (vLLM,
 * Ollama, any OpenAI-compatible server): one-token probes read the server's own prompt count, and the head
 * the server reuses whatever the nonce is measured, so only reuse beyond it is flagged `warm-cache`.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/errors/index.js';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createFakeTransport, type FakeResponse, type FakeTransportOptions, fakeTokenCount } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import type { StreamRequest } from '../../src/transport/transport.js';
import { storedSamples, suite } from './helpers.js';

const reply =
  (extra: Partial<FakeResponse> = {}) =>
  (): FakeResponse => ({ ttftMs: 1, interTokenMs: 1, ...extra });
/**
 * A fake OpenAI-compatible server listing `m1`, with these traits (the fake itself keeps only the two
 * original ones, so the rest are set on it here).
 */
function fakeOpenAi(options: Omit<FakeTransportOptions, 'kind' | 'models'>) {
  const transport = createFakeTransport({ ...options, kind: 'openai', models: ['m1'] });
  Object.assign(transport.traits, options.traits);
  return transport;
}

/** `n` tokens reused from the cache, never more than the prompt has (as no server reports). */
const reused = (r: StreamRequest, n: number) => Math.min(n, fakeTokenCount(r));

/** The calibration's probes ask for one token; measured requests for the suite's maxTokens (8). */
const isProbe = (r: StreamRequest) => r.maxTokens === 1;

describe('calibration by usage probes', () => {
  it('sizes every prompt exactly by the server’s reported count, and records the probes as no samples', async () => {
    const clock = createVirtualClock();
    const transport = fakeOpenAi({ clock, traits: { reportsPromptTokens: true }, script: reply() });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ promptTokens: [40, 300] }), { transport, store, clock: clock.now });
    expect(result.calibration).toEqual([{ model: 'm1', method: 'tokenizer', countedBy: 'usage' }]);
    const samples = await storedSamples(store, result.runId);
    expect(samples).toHaveLength(4);
    for (const s of samples) expect([s.promptTokensActual, s.flags]).toEqual([s.promptTokens, []]);
    // The probes went to the server, one token each, and none of them is a sample.
    const probes = transport.calls.filter((c) => isProbe(c.request));
    expect(probes.length).toBeGreaterThanOrEqual(2);
    expect(transport.calls.length - probes.length).toBe(4);
  });

  it('falls back to probes when the tokenizer route fails, and says so', async () => {
    const clock = createVirtualClock();
    const transport = fakeOpenAi({ clock, traits: { reportsPromptTokens: true }, script: reply() });
    transport.tokenize = async () => {
      throw new UnsupportedError('/tokenize is not vLLM’s tokenizer (no count)');
    };
    const result = await runBenchSuite(suite({ promptTokens: [40] }), { transport, clock: clock.now });
    expect(result.calibration).toEqual([{ model: 'm1', method: 'tokenizer', countedBy: 'usage' }]);
    expect(result.notes.join('\n')).toMatch(/one-token probes instead/);
    expect(result.cells[0]!.flags).toEqual({});
  });

  it('without reportsPromptTokens, a server with no tokenizer is still estimated (no probes sent)', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: reply() });
    const result = await runBenchSuite(suite(), { transport, clock: clock.now });
    expect(result.calibration[0]!.method).toBe('estimate');
    expect(transport.calls.some((c) => isProbe(c.request))).toBe(false);
  });
});

describe('cache honesty without cache_prompt', () => {
  const traits = { reportsPromptTokens: true, obeysCachePrompt: false };

  it('measures the head every prompt shares and flags no sample that reused only that', async () => {
    const clock = createVirtualClock();
    // A chat template's head of 5 tokens comes from the cache on every request after the first.
    const transport = fakeOpenAi({
      clock,
      traits,
      script: (r, i) => ({ ttftMs: 1, interTokenMs: 1, cachedTokens: i === 0 ? 0 : reused(r, 5) }),
    });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ repetitions: 3 }), { transport, store, clock: clock.now });
    expect(result.calibration).toEqual([{ model: 'm1', method: 'tokenizer', countedBy: 'usage', sharedPrefixTokens: 5 }]);
    const measured = await storedSamples(store, result.runId);
    expect(measured.map((s) => [s.server.cachedTokens, s.flags])).toEqual([
      [5, []],
      [5, []],
      [5, []],
    ]);
  });

  it('flags warm-cache when a request reused more than that head', async () => {
    const clock = createVirtualClock();
    const transport = fakeOpenAi({
      clock,
      traits,
      // Probes reuse the 5-token head; the second measured request reuses 20 (its filler came from a cache).
      script: (r, i) => ({
        ttftMs: 1,
        interTokenMs: 1,
        cachedTokens: i === 0 ? 0 : reused(r, isProbe(r) || r === firstMeasured(r) ? 5 : 20),
      }),
    });
    let first: StreamRequest | undefined;
    const firstMeasured = (r: StreamRequest) => (first ??= r);
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ repetitions: 2 }), { transport, store, clock: clock.now });
    const measured = await storedSamples(store, result.runId);
    expect(measured.map((s) => s.flags)).toEqual([[], ['warm-cache']]);
  });

  it('a server that obeys cache_prompt gets no probes for it (llama-server, llama-swap)', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, tokenizer: true, script: reply({ cachedTokens: 3 }) });
    const result = await runBenchSuite(suite(), { transport, clock: clock.now });
    expect(result.calibration).toEqual([{ model: 'm1', method: 'tokenizer' }]);
    expect(transport.calls.some((c) => isProbe(c.request))).toBe(false);
    // There, any reuse at all means the cache was not busted.
    expect(result.cells[0]!.flags['warm-cache']).toBe(2);
  });
});
