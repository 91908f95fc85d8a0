import { createMemoryStore, runBenchSuite, type RunResult, type Sample, type SuiteInput } from '@swapbench/core';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRealServer, type LlamaServer, startLlamaServer } from './support/llama-server.js';

/** Run a suite through the library against `url`; the result and every stored sample. */
async function runLibrary(url: string, suite: SuiteInput): Promise<{ result: RunResult; samples: Sample[] }> {
  const transport = createLlamaTransport({ baseUrl: url, kind: 'llama-server', connections: Math.max(...suite.concurrency) });
  const store = createMemoryStore();
  try {
    const result = await runBenchSuite(suite, { transport, store });
    const samples: Sample[] = [];
    for await (const sample of store.runs.samples(result.runId)) samples.push(sample);
    return { result, samples };
  } finally {
    await transport.close();
  }
}

/** What is off in each measured sample: empty when every one is exact. */
function inexact(samples: Sample[]): string[] {
  return samples.flatMap((s) => {
    const cell = `pp${s.promptTokens} tg${s.maxTokens} c${s.concurrency} #${s.seq}`;
    if (!s.ok) return [`${cell}: failed ${s.error?.code}: ${s.error?.message}`];
    const off: string[] = [];
    if (s.promptTokensActual !== s.promptTokens) off.push(`server evaluated ${s.promptTokensActual} prompt tokens`);
    if (s.outputTokens !== s.maxTokens) off.push(`client counted ${s.outputTokens} output tokens`);
    if (s.server.generatedTokens !== s.maxTokens) off.push(`server generated ${s.server.generatedTokens} tokens`);
    if (s.finishReason !== 'length') off.push(`finish reason ${s.finishReason}`);
    // `client-wait` is about the client machine, not the sizes this test checks.
    const sizeFlags = s.flags.filter((f) => f !== 'client-wait');
    if (sizeFlags.length > 0) off.push(`flags ${sizeFlags.join(',')}`);
    return off.length > 0 ? [`${cell}: ${off.join('; ')}`] : [];
  });
}

describe.runIf(haveRealServer)('exact sizes on a real llama-server (library)', () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(['chat', 'completion'] as const)(
    '%s: every measured request evaluates exactly promptTokens and generates exactly maxTokens',
    async (endpoint) => {
      const { result, samples } = await runLibrary(server.url, {
        name: `real-exact-${endpoint}`,
        models: ['tiny-llama'],
        endpoint,
        promptTokens: [37, 500, 1500],
        maxTokens: [16, 64],
        concurrency: [1, 2],
        repetitions: 2,
      });
      const measured = samples.filter((s) => s.phase === 'measured');
      expect(result.calibration).toEqual([{ model: 'tiny-llama', method: 'tokenizer' }]);
      // 3 prompt sizes × 2 output lengths × (1 + 2) requests in flight × 2 repetitions.
      expect(measured).toHaveLength(36);
      expect(inexact(measured)).toEqual([]);
      expect(result.status).toBe('completed');
    },
  );

  it('records what /props says: build, context per slot, slots and model file', async () => {
    const { result } = await runLibrary(server.url, {
      name: 'real-props',
      models: ['tiny-llama'],
      promptTokens: [37],
      maxTokens: [4],
      concurrency: [1],
      repetitions: 1,
      warmup: 0,
    });
    const described = result.environment.server;
    expect(described?.kind).toBe('llama-server');
    expect(described?.models).toHaveLength(1);
    expect(described?.models[0]).toMatchObject({
      build: expect.stringMatching(/^b10470-/),
      contextPerSlot: 2048,
      slots: 2,
      path: expect.stringMatching(/\.gguf$/),
    });
  });
});

// The EOS model stops on its own after 2–130 tokens on most prompts: `ignoreEos` must still give maxTokens.
describe.runIf(haveRealServer)('exact output length on a model with a live end-of-sequence token', () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer({ model: 'eos' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const eosSuite = (endpoint: 'chat' | 'completion', ignoreEos: boolean): SuiteInput => ({
    name: `real-eos-${endpoint}`,
    models: ['tiny-llama'],
    endpoint,
    promptTokens: [37, 300],
    maxTokens: [160],
    concurrency: [1],
    repetitions: 4,
    ignoreEos,
  });

  it.each(['chat', 'completion'] as const)(
    '%s: every measured request generates exactly maxTokens, finish reason length',
    async (endpoint) => {
      const { result, samples } = await runLibrary(server.url, eosSuite(endpoint, true));
      const measured = samples.filter((s) => s.phase === 'measured');
      expect(measured).toHaveLength(8);
      expect(inexact(measured)).toEqual([]);
      expect(result.status).toBe('completed');
    },
  );

  // Without this, the test above could pass on a model that never stops. About 3 in 4 of these prompts stop
  // early (measured: 23 of 32), so 8 that all run to the end would mean the model has no live EOS.
  it('control: without ignoreEos the same prompts stop at EOS before maxTokens', async () => {
    const { samples } = await runLibrary(server.url, eosSuite('chat', false));
    const stopped = samples.filter((s) => s.phase === 'measured' && s.ok && s.finishReason === 'stop' && s.outputTokens < s.maxTokens);
    expect(stopped.length).toBeGreaterThan(0);
  });
});
