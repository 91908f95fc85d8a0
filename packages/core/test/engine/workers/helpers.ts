import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { createLlamaTransport } from '../../../src/transport/llama/index.js';
import type { Transport } from '../../../src/transport/transport.js';

/** The simulated model's time to first token: no sample can report less. */
export const TTFT_MS = 20;

/**
 * A llama-swap simulator with a steady model (no jitter, no batch slowdown), and a transport to it; the
 * worker threads build theirs from `workerTransport`. `genTps` sets how long a stream stays in flight.
 */
export async function setUp(
  genTps = 400,
  clock?: () => number,
): Promise<{
  sim: Simulator;
  transport: Transport;
  workerTransport: { baseUrl: string; kind: 'llama-swap' };
  close(): Promise<void>;
}> {
  const sim = await startSimulator({
    mode: 'llama-swap',
    seed: 3,
    models: [{ name: 'm1', ttftMs: TTFT_MS, genTps, promptTps: 1e9, jitter: 0, slots: 64, batchSlowdown: 0, loadMs: 0 }],
  });
  const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', ...(clock ? { clock } : {}) });
  return {
    sim,
    transport,
    workerTransport: { baseUrl: sim.url, kind: 'llama-swap' },
    async close() {
      await transport.close();
      await sim.close();
    },
  };
}

/**
 * The simulator's clock (`process.hrtime.bigint()`) in ms, as a run clock: `performance.now()` plus a
 * constant (hours, so a thread that failed to add it would be off by that much).
 */
export function hrClock(): () => number {
  const shift = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  return () => performance.now() + shift;
}
