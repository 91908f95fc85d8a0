import { describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { HttpStatusError, HostUnreachableError } from '../../src/errors/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import type { ServerInfo } from '../../src/transport/transport.js';
import { storedSamples, suite } from './helpers.js';

const overflow = (i: number) =>
  new HttpStatusError(400, 'fake://x/v1/chat/completions', '', {
    message: `HTTP 400 from fake://x/v1/chat/completions: request (${3000 + i} tokens) exceeds the available context size (2048 tokens)`,
  });

describe('run outcome', () => {
  it('fails the run when more measured requests fail than maxErrorRate allows, naming the cells', async () => {
    const clock = createVirtualClock();
    // 1 failure in each cell of 4 requests: 25%.
    const script = (_r: unknown, i: number) => ({ ttftMs: 1, interTokenMs: 1, ...(i % 4 === 1 ? { error: overflow(0) } : {}) });
    const strict = await runBenchSuite(suite({ repetitions: 4, concurrency: [1], maxTokens: [8, 16] }), {
      transport: createFakeTransport({ clock, tokenizer: true, script }),
      clock: clock.now,
    });
    expect(strict.status).toBe('failed');
    expect(strict.error?.code).toBe('RUN_FAILED');
    expect(strict.error?.message).toMatch(/^2 of 8 measured requests failed \(25\.0%, maxErrorRate 5\.0%\)/);
    expect(strict.notes.join('\n')).toMatch(/failing cells: m1 pp32 tg8 c1 1\/4 \(HTTP_STATUS\); m1 pp32 tg16 c1 1\/4 \(HTTP_STATUS\)/);

    const lenient = await runBenchSuite(suite({ repetitions: 4, concurrency: [1], maxTokens: [8, 16], maxErrorRate: 0.25 }), {
      transport: createFakeTransport({ clock, tokenizer: true, script }),
      clock: clock.now,
    });
    expect(lenient.status).toBe('completed');
  });

  it("keeps each failure's HTTP status and the server's words, and lists each distinct error once with its cells", async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({
      clock,
      tokenizer: true,
      script: (_r, i) => ({ ttftMs: 1, interTokenMs: 1, ...(i % 2 === 0 ? { error: overflow(0) } : {}) }),
    });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ repetitions: 2, concurrency: [1, 2], maxErrorRate: 1 }), {
      transport,
      clock: clock.now,
      store,
    });
    const failed = (await storedSamples(store, result.runId)).filter((s) => !s.ok);
    expect(failed).toHaveLength(3);
    for (const s of failed)
      expect(s.error).toEqual({ code: 'HTTP_STATUS', status: 400, message: expect.stringMatching(/exceeds the available context size/) });
    expect(result.errors).toEqual([
      {
        code: 'HTTP_STATUS',
        status: 400,
        message: expect.stringMatching(/request \(3000 tokens\) exceeds the available context size \(2048 tokens\)/),
        count: 3,
        cells: [
          { model: 'm1', promptTokens: 32, maxTokens: 8, concurrency: 1 },
          { model: 'm1', promptTokens: 32, maxTokens: 8, concurrency: 2 },
        ],
      },
    ]);
  });

  it('stops starting requests when the host is gone, ends failed with HOST_UNREACHABLE, and keeps what it measured', async () => {
    const clock = createVirtualClock();
    // The server dies after 5 requests: every later one cannot connect.
    const transport = createFakeTransport({
      clock,
      tokenizer: true,
      script: (_r, i) =>
        i < 5
          ? { ttftMs: 1, interTokenMs: 1 }
          : { ttftMs: 0, interTokenMs: 0, error: new HostUnreachableError('fake://x', { cause: new Error('ECONNREFUSED') }) },
    });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ repetitions: 10, concurrency: [2, 4] }), { transport, clock: clock.now, store });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HOST_UNREACHABLE');
    expect(result.error?.message).toMatch(/3 requests in a row could not connect \(ECONNREFUSED\); the run stopped early/);
    // Far fewer than the 60 planned requests were sent, and every one sent was stored.
    expect(transport.calls.length).toBeLessThan(12);
    const samples = await storedSamples(store, result.runId);
    expect(samples).toHaveLength(transport.calls.length);
    expect(samples.filter((s) => s.ok)).toHaveLength(5);
    expect(result.cells[0]!.n).toBeGreaterThan(0);
    expect(result.notes.join('\n')).toMatch(/run stopped early/);
  });

  it('refuses cells that cannot fit the context per slot before sending anything, naming cell, n_ctx and the fix', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, tokenizer: true, script: () => ({ ttftMs: 1, interTokenMs: 1 }) });
    transport.describe = async (models): Promise<ServerInfo> => ({
      kind: 'llama-server',
      baseUrl: 'fake://x',
      models: models.map((id) => ({ id, contextPerSlot: 2048, slots: 2 })),
      raw: {},
    });
    const refused = await runBenchSuite(suite({ promptTokens: [500, 2000], maxTokens: [32, 128] }), { transport, clock: clock.now });
    expect(transport.calls).toHaveLength(0);
    expect(refused.status).toBe('failed');
    expect(refused.error?.code).toBe('CONFIG_INVALID');
    expect(refused.error?.message).toMatch(/pp2000\+tg128 cannot fit the server's context of 2048 tokens per slot \(n_ctx\)/);
    expect(refused.error?.message).not.toMatch(/pp2000\+tg32|pp500/);
    expect(refused.error?.message).toMatch(/Lower promptTokens or maxTokens.*allowContextOverflow: true/);

    const allowed = await runBenchSuite(suite({ promptTokens: [2000], maxTokens: [128], allowContextOverflow: true }), {
      transport,
      clock: clock.now,
    });
    expect(allowed.status).toBe('completed');
    expect(allowed.notes[0]).toMatch(/pp2000\+tg128 cannot fit .*running them anyway/);
  });

  it('refuses a concurrency above the connections the transport has, before sending anything', async () => {
    const clock = createVirtualClock();
    const transport = Object.assign(createFakeTransport({ clock, tokenizer: true, script: () => ({ ttftMs: 1, interTokenMs: 1 }) }), {
      connections: 2,
    });
    const refused = await runBenchSuite(suite({ concurrency: [1, 4] }), { transport, clock: clock.now });
    expect(refused.status).toBe('failed');
    expect(refused.error?.code).toBe('CONFIG_INVALID');
    expect(refused.error?.message).toMatch(/4 requests in flight need 4 connections, but the transport allows 2.*connections: 4/);
    expect(transport.calls).toHaveLength(0);
    const fits = await runBenchSuite(suite({ concurrency: [1, 2] }), { transport, clock: clock.now });
    expect(fits.status).toBe('completed');
  });

  it('in cache reuse mode primes every concurrency slot with the prompt first, so measured samples are warm', async () => {
    const clock = createVirtualClock();
    const seen = new Set<string>();
    // A fake prompt cache: a prompt it has seen before comes back with its tokens cached.
    const transport = createFakeTransport({
      clock,
      tokenizer: true,
      script: (r) => {
        const prompt = r.endpoint === 'chat' ? r.messages[0]!.content : r.prompt;
        const cached = seen.has(prompt) ? 30 : 0;
        seen.add(prompt);
        return { ttftMs: 1, interTokenMs: 1, cachedTokens: cached };
      },
    });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ cache: 'reuse', concurrency: [1, 3], repetitions: 2 }), {
      transport,
      clock: clock.now,
      store,
    });
    const samples = await storedSamples(store, result.runId);
    // 1 + 3 primes, stored as warmups; every measured sample found its prompt cached.
    expect(samples.filter((s) => s.phase === 'warmup')).toHaveLength(4);
    const measured = samples.filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(8);
    for (const s of measured) expect(s.server.cachedTokens).toBe(30);
    expect(transport.calls.every((c) => c.request.cachePrompt)).toBe(true);
  });
});

describe('measurement details', () => {
  it('does not count the end-of-sequence token the server counts but never streams', async () => {
    const clock = createVirtualClock();
    // 8 tokens streamed, then EOS: llama.cpp reports predicted_n 9.
    const eos = (streamed: number) => ({
      ttftMs: 1,
      interTokenMs: 1,
      tokens: streamed,
      finishReason: 'stop',
      timings: { prompt_n: 32, cache_n: 0, prompt_ms: 1, predicted_n: streamed + 1, predicted_ms: streamed },
    });
    const store = createMemoryStore();
    const exact = await runBenchSuite(suite({ maxTokens: [8], repetitions: 1 }), {
      transport: createFakeTransport({ clock, tokenizer: true, script: () => eos(8) }),
      clock: clock.now,
      store,
    });
    expect(exact.cells[0]!.flags).toEqual({});
    const [sample] = await storedSamples(store, exact.runId);
    expect([sample!.outputTokens, sample!.server.generatedTokens]).toEqual([8, 9]);

    const short = await runBenchSuite(suite({ maxTokens: [8], repetitions: 1 }), {
      transport: createFakeTransport({ clock, tokenizer: true, script: () => eos(6) }),
      clock: clock.now,
    });
    expect(short.cells[0]!.flags).toEqual({ 'length-mismatch': 1 });
  });
});
