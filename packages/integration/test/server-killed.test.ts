import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResult, startCli, tempDir } from './support/cli.js';
import { haveRealServer, type LlamaServer, startLlamaServer } from './support/llama-server.js';

// The server dies (kill -9) while the second cell runs: the CLI says the run failed (exit 4) and still
// prints what it measured before, the first cell whole.
describe.runIf(haveRealServer)('swapbench run: the server is killed mid-run', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let suiteFile: string;
  const servers: LlamaServer[] = [];
  beforeAll(async () => {
    dir = await tempDir();
    suiteFile = await dir.writeSuite('killed', {
      name: 'real-server-killed',
      models: ['tiny-llama'],
      promptTokens: [37],
      // Cells run in this order: 2 quick requests, then 2 of about a second each, during which the server dies.
      maxTokens: [8, 1000],
      concurrency: [1],
      repetitions: 2,
    });
  });
  afterAll(async () => {
    await Promise.all([...servers.map((s) => s.stop()), dir?.remove()]);
  });

  /** Run the suite and `kill -9` the server as soon as the first cell's progress line is out. */
  async function runAndKill(flags: string[]) {
    const server = await startLlamaServer();
    servers.push(server);
    const cli = startCli(['run', suiteFile, '--host', server.url, ...flags]);
    await cli.waitForStderr(/^cell 1\/2 /);
    await server.stop('SIGKILL');
    return cli.done;
  }

  it('--json: exit 4, status failed, the cell measured before the kill kept', async () => {
    const outcome = await runAndKill(['--json']);
    const result = parseResult(outcome);
    expect(result.status).toBe('failed');
    expect(['HOST_UNREACHABLE', 'RUN_FAILED']).toContain(result.error?.code);
    expect(result.cells[0]).toMatchObject({ promptTokens: 37, maxTokens: 8, concurrency: 1, n: 2, errors: 0 });
    expect(result.cells[0]?.ttftMs.p50).toBeGreaterThan(0);
    expect(outcome.code, outcome.stderr).toBe(4);
  });

  it('report: exit 4, the report printed with the cell measured before the kill, the failure on stderr', async () => {
    const outcome = await runAndKill([]);
    const firstCellRow = outcome.stdout.split('\n').find((line) => /^tiny-llama\s+37\s+8\s+1\s/.test(line));
    expect(firstCellRow, outcome.stdout).toBeDefined();
    expect(outcome.stdout).toMatch(/\bfailed\b/);
    expect(outcome.stderr).toMatch(/run failed/);
    expect(outcome.code, outcome.stderr).toBe(4);
  });
});
