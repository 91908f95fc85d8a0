import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { failedJsonOnUsageError, orFailedJson } from '../failed-json.js';
import { integerFlag } from '../flag-parsers.js';
import { type CliStore, storeOption, withCliStore } from '../history/store-flag.js';
import { addReportOptions, checkOutFile, type ReportFlags, reportFormat } from '../output/report-output.js';

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

/** `swapbench demo`: start the simulator in-process and run `DEMO_SUITE` against it. */
export function makeDemoCommand(ctx: CliContext): Command {
  const command = new Command('demo')
    .description('start a simulated llama-swap with two models in-process and benchmark it (no GPU needed)')
    .option('--seed <n>', 'simulator seed', integerFlag('--seed', 0), 1)
    .addOption(storeOption());
  addReportOptions(command).action(async (opts: DemoFlags, command: Command) => {
    // The store first: one that cannot be opened stops the demo before the simulator starts.
    await orFailedJson(ctx, opts, () => withCliStore(ctx, command, (opened) => runDemo(ctx, opts, opened)));
  });
  // The report flags' promise, as `run` keeps it: with `--json`, a result object whatever happens.
  return failedJsonOnUsageError(ctx, command);
}

interface DemoFlags extends ReportFlags {
  seed: number;
}

/** Run `DEMO_SUITE` against a simulator started for it, keeping the run in `store`. */
async function runDemo(ctx: CliContext, opts: DemoFlags, { store, uri }: CliStore): Promise<void> {
  const format = reportFormat(opts);
  if (opts.out !== undefined) await checkOutFile(opts.out);
  const { startSimulator } = await import('@swapbench/core/simulator');
  const { createLlamaTransport } = await import('@swapbench/core/transports/llama');
  const { executeSuite } = await import('../execute.js');
  const { redactUrl } = await import('@swapbench/core');
  const sim = await startSimulator({
    mode: 'llama-swap',
    seed: opts.seed,
    models: [
      { name: 'sim-qwen3-8b', promptTps: 4000, genTps: 180, ttftMs: 15, slots: 4, loadMs: 400 },
      { name: 'sim-llama3-3b', promptTps: 9000, genTps: 320, ttftMs: 8, slots: 4, loadMs: 250 },
    ],
  });
  try {
    if (format !== 'json') ctx.stderr.write(`simulated llama-swap at ${redactUrl(sim.url)}\n`);
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: 8 });
    ctx.exitCode = await executeSuite(ctx, { suite: DEMO_SUITE, transport, format, out: opts.out, store, storeUri: uri });
  } finally {
    await sim.close();
  }
}
