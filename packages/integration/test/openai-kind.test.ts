import { createMemoryStore, runBenchSuite, type RunResult, type Sample, type SuiteInput } from '@swapbench/core';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRealServer, type LlamaServer, startLlamaServer } from './support/llama-server.js';

/**
 * The real llama-server spoken to as a plain OpenAI-compatible server (`kind: 'openai'`): no llama.cpp
 * tokenizer routes, no `cache_prompt`. Prompt sizes must still be exact (one-token usage probes), and the
 * prompt cache, which stays on, must be flagged only beyond the chat template's head that no nonce busts.
 */
async function runOpenAi(url: string, suite: SuiteInput): Promise<{ result: RunResult; samples: Sample[] }> {
  const transport = createLlamaTransport({ baseUrl: url, kind: 'openai', connections: Math.max(...suite.concurrency) });
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

describe.runIf(haveRealServer)('a real llama-server through --kind openai', () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(['chat', 'completion'] as const)(
    '%s: every cell evaluates exactly promptTokens by the server’s own count, with no false warm-cache',
    async (endpoint) => {
      const { result, samples } = await runOpenAi(server.url, {
        name: `openai-exact-${endpoint}`,
        models: ['tiny-llama'],
        endpoint,
        promptTokens: [37, 100, 1000],
        maxTokens: [16],
        concurrency: [1, 2],
        repetitions: 2,
      });
      expect(result.status).toBe('completed');
      expect(result.environment.server?.kind).toBe('openai');
      const calibration = result.calibration[0]!;
      expect(calibration).toMatchObject({ model: 'tiny-llama', method: 'tokenizer', countedBy: 'usage' });
      const shared = calibration.sharedPrefixTokens ?? 0;
      const measured = samples.filter((s) => s.phase === 'measured');
      // 3 prompt sizes × (1 + 2) requests in flight × 2 repetitions.
      expect(measured).toHaveLength(18);
      const off = measured.flatMap((s) => {
        const cell = `pp${s.promptTokens} c${s.concurrency} #${s.seq}`;
        if (!s.ok) return [`${cell}: failed ${s.error?.code}: ${s.error?.message}`];
        const problems: string[] = [];
        // llama-server's own figures: prompt_n evaluated now plus cache_n reused is the prompt it saw.
        const seen = (s.server.promptEvaluatedTokens ?? Number.NaN) + (s.server.cachedTokens ?? Number.NaN);
        if (seen !== s.promptTokens) problems.push(`server saw ${seen} prompt tokens`);
        // Reuse may run into the nonce's 6 digits (a slot holding a prompt whose number starts alike), never past it.
        if ((s.server.cachedTokens ?? 0) > shared + 6) problems.push(`reused ${s.server.cachedTokens}, past the nonce`);
        const sizeFlags = s.flags.filter((f) => f !== 'client-wait');
        if (sizeFlags.length > 0) problems.push(`flags ${sizeFlags.join(',')}`);
        return problems.length > 0 ? [`${cell}: ${problems.join('; ')}`] : [];
      });
      expect(off).toEqual([]);
      if (endpoint === 'chat') {
        // The cache stayed on: the template's head was reused, so without the measured allowance every
        // sample would have been flagged.
        expect(shared).toBeGreaterThan(0);
        expect(measured.some((s) => (s.server.cachedTokens ?? 0) > 0)).toBe(true);
      }
    },
  );
  it('a promptTokens distribution: every drawn size exact by the server’s own count, with no false warm-cache', async () => {
    // The drawn sizes pad up from the smallest one's prompt, which was once sized apart from the others:
    // estimated (no probes) and without the template's head, so every sample was off and flagged.
    const { result, samples } = await runOpenAi(server.url, {
      name: 'openai-distribution',
      models: ['tiny-llama'],
      promptTokens: [200],
      promptDistribution: { mean: 200, stddev: 100, min: 30, max: 600 },
      maxTokens: [8],
      concurrency: [1],
      requests: 12,
    });
    expect(result.status).toBe('completed');
    expect(result.calibration[0]).toMatchObject({ method: 'tokenizer', countedBy: 'usage' });
    const measured = samples.filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(12);
    expect(new Set(measured.map((s) => s.requestPromptTokens)).size).toBeGreaterThan(6);
    const off = measured.flatMap((s) => {
      const seen = (s.server.promptEvaluatedTokens ?? Number.NaN) + (s.server.cachedTokens ?? Number.NaN);
      const sizeFlags = s.flags.filter((f) => f !== 'client-wait');
      return seen === s.requestPromptTokens && sizeFlags.length === 0
        ? []
        : [`drew ${s.requestPromptTokens}, server saw ${seen}, ${sizeFlags}`];
    });
    expect(off).toEqual([]);
  });
});
