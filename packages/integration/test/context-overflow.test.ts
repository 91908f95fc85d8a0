import type { PromptInput, Transport } from '@swapbench/core';
import { SwapbenchError } from '@swapbench/core/errors';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResult, runCli } from './support/cli.js';
import { realServerAndTempDir } from './support/fixtures.js';
import { haveRealServer } from './support/llama-server.js';

// The server has 2048 tokens of context per slot (-c 4096 -np 2).
describe.runIf(haveRealServer)('a prompt and output that do not fit the context of a real llama-server', () => {
  const env = realServerAndTempDir();

  it('swapbench run refuses promptTokens 2000 + maxTokens 128 before sending any generation request (exit 2)', async () => {
    const file = await env.dir.writeSuite('overflow', {
      name: 'real-overflow',
      models: ['tiny-llama'],
      promptTokens: [37, 2000],
      maxTokens: [128],
      concurrency: [1],
    });
    const before = await env.server.generationRequests();

    const report = await runCli(['run', file, '--host', env.server.url]);
    // The progress line names the run by a hex id: leave it out, so only the message is matched.
    const message = report.stderr
      .split('\n')
      .filter((line) => !line.startsWith('run '))
      .join('\n');
    // It names the cell that does not fit, the server's context, and what to change.
    expect(message).toMatch(/pp2000\D{0,3}tg128/);
    expect(message).toMatch(/\b2048\b/);
    expect(message).toMatch(/n_ctx|context/i);
    expect(message).toMatch(/promptTokens|maxTokens|-c\b|--ctx-size/);
    expect(message).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
    expect(report.code, report.stderr).toBe(2);

    const json = await runCli(['run', file, '--host', env.server.url, '--json']);
    const result = parseResult(json);
    expect(result).toMatchObject({ status: 'failed', cells: [], error: { code: 'CONFIG_INVALID' } });
    expect(result.error?.message).toMatch(/pp2000\D{0,3}tg128/);
    expect(json.code, json.stderr).toBe(2);

    // The server's log has a line per generation request it takes: neither run sent one.
    expect(await env.server.generationRequests()).toBe(before);
  });

  describe('a request past the preflight, straight through the transport', () => {
    let transport: Transport;
    beforeAll(() => {
      transport = createLlamaTransport({ baseUrl: env.server.url, kind: 'llama-server', connections: 1 });
    });
    afterAll(async () => {
      await transport?.close();
    });

    // "a " is one token to this tokenizer: 3000 of them, with the chat template or BOS around them.
    const filler = 'a '.repeat(3000).trim();
    const inputs: PromptInput[] = [
      { endpoint: 'chat', messages: [{ role: 'user', content: filler }] },
      { endpoint: 'completion', prompt: filler },
    ];

    it.each(inputs)('$endpoint: a 3000-token prompt fails with the server’s own message', async (input) => {
      const tokens = await transport.tokenize!('tiny-llama', input);
      expect(tokens).toBeGreaterThanOrEqual(3000);
      const before = await env.server.generationRequests();
      const stream = transport.stream({
        ...input,
        model: 'tiny-llama',
        maxTokens: 16,
        sampling: { temperature: 0 },
        ignoreEos: true,
        cachePrompt: false,
      });
      // Nothing may arrive: the server refuses the request before it streams.
      const error = await drain(stream).catch((err: unknown) => err);
      expect(SwapbenchError.is(error)).toBe(true);
      expect(error).toMatchObject({ code: 'HTTP_STATUS', status: 400 });
      expect((error as Error).message).toContain('exceeds the available context size');
      // It did reach the server (which refused it): the error is the server's, not the client's.
      expect(await env.server.generationRequests()).toBe(before + 1);
    });
  });
});

/** Read a stream to its end. */
async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // Only the end (or the error) matters.
  }
}
