/**
 * Benchmark a simulated llama-swap from your own program: start the simulator, run a small suite,
 * print one line per cell. Swap the simulator URL for your server's to measure the real thing.
 *
 *   npx -y pnpm@12 build && npx -y pnpm@12 --filter @swapbench/example-library start
 *
 * (pnpm runs it on the Node 24 the repository pins; plain `node main.ts` needs Node >= 22.18 for type stripping.)
 */
import { createMemoryStore, runBenchSuite, type SuiteInput } from '@swapbench/core';
import { startSimulator } from '@swapbench/core/simulator';
import { createLlamaTransport } from '@swapbench/core/transports/llama';

const suite: SuiteInput = {
  name: 'library-example',
  models: ['sim-small'],
  promptTokens: [128, 512],
  maxTokens: [32],
  concurrency: [1, 4],
  repetitions: 2,
};

const sim = await startSimulator({
  mode: 'llama-swap',
  seed: 7,
  models: [{ name: 'sim-small', genTps: 200, promptTps: 5000, slots: 4, loadMs: 100 }],
});
const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: 4 });
const store = createMemoryStore();
try {
  const result = await runBenchSuite(suite, {
    transport,
    store,
    onEvent: (event) => {
      if (event.type === 'cell-done') {
        const c = event.cell;
        console.log(
          `${c.model} pp${c.promptTokens} tg${c.maxTokens} c${c.concurrency}: ` +
            `TTFT p50 ${c.ttftMs.p50?.toFixed(1)} ms, gen ${c.genTps.mean?.toFixed(1)} tok/s, ` +
            `throughput ${c.throughputTps?.toFixed(1)} tok/s, errors ${c.errors}/${c.n}`,
        );
      }
    },
  });
  let samples = 0;
  for await (const _ of store.runs.samples(result.runId)) samples += 1;
  console.log(`run ${result.runId}: ${result.status}, ${result.cells.length} cells, ${samples} samples stored`);
  if (result.status !== 'completed') process.exitCode = 1;
} finally {
  await transport.close();
  await store.close();
  await sim.close();
}
