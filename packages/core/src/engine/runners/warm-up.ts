/**
 * A runner's warm-up before it takes any share: one small run against a simulator in its own process, on
 * loopback, through the same engine and transport code a share uses. A fresh runner's first share otherwise
 * runs that code cold: sending its lanes' first requests took 11–13 ms of one loop turn, and at 32 streams a
 * third of them were flagged `client-wait` (the cell then judged saturated), where a coordinator's own
 * cells, warmed by its calibration and warm-up requests, showed none. No request reaches the benchmarked server.
 */
import { startSimulator } from '../../simulator/index.js';
import { createMemoryStore } from '../../store/memory/index.js';
import { createLlamaTransport } from '../../transport/llama/index.js';
import { runBenchSuite } from '../run-bench-suite.js';

/** Streams and rounds of the warm-up: enough calls for V8 to optimize the send and read paths. */
const WARM_STREAMS = 16;
const WARM_ROUNDS = 4;

/** Run the warm-up; returns how long it took, ms. Never throws: a runner that could not warm up still works. */
export async function warmUp(): Promise<{ ms: number; error?: string }> {
  const t0 = performance.now();
  let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
  try {
    sim = await startSimulator({
      mode: 'llama-swap',
      models: [{ name: 'warm-up', ttftMs: 1, genTps: 2000, promptTps: 1e6, slots: WARM_STREAMS, loadMs: 0 }],
      groundTruth: false,
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: WARM_STREAMS });
    try {
      await runBenchSuite(
        {
          name: 'runner-warm-up',
          models: ['warm-up'],
          promptTokens: [16],
          maxTokens: [8],
          concurrency: [WARM_STREAMS],
          repetitions: WARM_ROUNDS,
          warmup: 0,
          calibrate: false,
        },
        { transport, store: createMemoryStore(), foreignProbeMs: 0 },
      );
    } finally {
      await transport.close();
    }
    return { ms: performance.now() - t0 };
  } catch (err) {
    return { ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await sim?.close();
  }
}
