import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryStore, runBenchSuite, type Sample } from '@swapbench/core';
import { connectLlamaTransport } from '@swapbench/core/transports/llama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRealServer, realServer } from './support/llama-server.js';

/**
 * The real llama-server in router mode (started without `-m`, its two models found in `--models-dir`):
 * detected as `llama-router`, each model loaded on its first request and unloaded between swaps through
 * the router's own `/models` routes, prompt sizes exact through each model's tokenizer.
 */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe.runIf(haveRealServer)('a real llama-server in router mode', () => {
  let child: ChildProcess | undefined;
  let url = '';
  beforeAll(async () => {
    if (realServer.status !== 'ready') return;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const args = ['--models-dir', `${realServer.dir}/models`, '--host', '127.0.0.1', '--port', String(port)];
    args.push('-c', '2048', '-np', '1', '-t', '1', '--metrics', '--no-ui', '--cache-ram', '0');
    child = spawn(realServer.binary, args, { stdio: 'ignore' });
    const deadline = performance.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() > deadline) throw new Error(`llama-server router did not answer /health on port ${port}`);
      await sleep(50);
    }
  });
  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    // Its children (one llama-server per loaded model) stop with it.
    await once(child, 'exit');
  });

  it('runs a two-model suite: exact sizes, a cold start per model and swap times', async () => {
    const transport = await connectLlamaTransport({ baseUrl: url, connections: 1 });
    const store = createMemoryStore();
    try {
      expect(transport.kind).toBe('llama-router');
      const models = ['tiny-llama-spm-f16', 'tiny-llama-spm-eos-f16'];
      const result = await runBenchSuite(
        { name: 'router', models, promptTokens: [37, 300], maxTokens: [16], concurrency: [1], repetitions: 2, swaps: 1, warmup: 1 },
        { transport, store },
      );
      expect(result.status).toBe('completed');
      expect(result.calibration.map((c) => c.method)).toEqual(['tokenizer', 'tokenizer']);
      // Nothing was loaded before the run: each model's first request started its llama-server.
      expect(result.coldStarts.map((c) => [c.model, c.loadedBefore])).toEqual(models.map((m) => [m, false]));
      for (const c of result.coldStarts) expect(c.coldStartMs).toBeGreaterThan(0);
      for (const swap of result.swaps) expect(swap.swapMs).toHaveLength(1);
      expect(result.environment.server?.models.map((m) => m.build?.slice(0, 6))).toEqual(['b10470', 'b10470']);
      const measured: Sample[] = [];
      for await (const s of store.runs.samples(result.runId)) if (s.phase === 'measured') measured.push(s);
      expect(measured).toHaveLength(8);
      const off = measured.filter((s) => !s.ok || s.promptTokensActual !== s.promptTokens || s.server.generatedTokens !== s.maxTokens);
      expect(off).toEqual([]);
    } finally {
      await transport.close();
    }
  });
});
