import { Command } from 'commander';

/** The built-in demo: two simulated models behind a simulated llama-swap, a few cells, under ~20 s. */
export const DEMO_SUITE = {
  name: 'demo',
  models: ['sim-qwen3-8b', 'sim-llama3-3b'],
  promptTokens: [256, 1024],
  maxTokens: [64],
  concurrency: [1, 4],
  repetitions: 2,
  warmup: 1,
  swaps: 1,
  sampling: { temperature: 0, seed: 42 },
};

export function makeDemoCommand(): Command {
  return new Command('demo')
    .description('start a simulated llama-swap with two models in-process and benchmark it (no GPU needed)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--seed <n>', 'simulator seed', '1')
    .action(async (opts: { json?: boolean; seed: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) {
        const { ConfigError } = await import('@swapbench/core');
        throw new ConfigError([{ path: '--seed', message: `must be an integer, got "${opts.seed}"` }]);
      }
      const { startSimulator } = await import('@swapbench/core/simulator');
      const { createLlamaTransport } = await import('@swapbench/core/transports/llama');
      const { executeSuite } = await import('../execute.js');
      const sim = await startSimulator({
        mode: 'llama-swap',
        seed,
        models: [
          { name: 'sim-qwen3-8b', promptTps: 4000, genTps: 180, ttftMs: 15, slots: 4, loadMs: 400 },
          { name: 'sim-llama3-3b', promptTps: 9000, genTps: 320, ttftMs: 8, slots: 4, loadMs: 250 },
        ],
      });
      try {
        if (!opts.json) process.stderr.write(`simulated llama-swap at ${sim.url}\n`);
        const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: 8 });
        process.exitCode = await executeSuite({ suite: DEMO_SUITE, transport, json: Boolean(opts.json) });
      } finally {
        await sim.close();
      }
    });
}
