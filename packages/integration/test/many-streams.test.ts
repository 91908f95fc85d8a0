import { describe, expect, it } from 'vitest';
import { parseResult, runCli } from './support/cli.js';
import { realServerAndTempDir } from './support/fixtures.js';
import { haveRealServer } from './support/llama-server.js';

// llama-server closes the connection right after each streamed response while announcing keep-alive: a
// client that sends its next request on that socket at once gets "other side closed". Hundreds of short
// streams back to back, at each concurrency, must still all succeed.
describe.runIf(haveRealServer)('swapbench run: hundreds of streams on a real llama-server', () => {
  const env = realServerAndTempDir();

  it('315 measured streams at concurrency 1, 2 and 4 with no failed request', async () => {
    const file = await env.dir.writeSuite('many-streams', {
      name: 'real-many-streams',
      models: ['tiny-llama'],
      promptTokens: [37],
      maxTokens: [16],
      concurrency: [1, 2, 4],
      // repetitions × concurrency requests per cell: 45 + 90 + 180.
      repetitions: 45,
      warmup: 1,
    });
    const before = await env.server.generationRequests();
    const outcome = await runCli(['run', file, '--host', env.server.url, '--json']);
    const result = parseResult(outcome);
    const cells = result.cells.map((c) => ({ concurrency: c.concurrency, n: c.n, errors: c.errors, errorCodes: c.errorCodes }));
    expect(cells).toEqual([
      { concurrency: 1, n: 45, errors: 0, errorCodes: {} },
      { concurrency: 2, n: 90, errors: 0, errorCodes: {} },
      { concurrency: 4, n: 180, errors: 0, errorCodes: {} },
    ]);
    expect(result.status).toBe('completed');
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(result.environment.server?.kind).toBe('llama-server');
    // Each request reached the server once: none lost, none sent twice (the warmup is the 316th).
    expect((await env.server.generationRequests()) - before).toBe(316);
  });
});
