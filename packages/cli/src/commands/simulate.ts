import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { integerFlag, numberFlag } from '../flag-parsers.js';

interface SimulateFlags {
  port: number;
  host: string;
  mode: 'llama-swap' | 'llama-server';
  model: string[];
  genTps: number;
  promptTps: number;
  ttftMs: number;
  slots: number;
  loadMs: number;
  seed: number;
}

/** `swapbench simulate`: serve the simulator until SIGINT / SIGTERM; prints its URL on stdout. */
export function makeSimulateCommand(ctx: CliContext): Command {
  return new Command('simulate')
    .description('run the llama-server / llama-swap simulator as a server until stopped (Ctrl-C)')
    .option('--port <n>', 'port to listen on (0 = any free port)', integerFlag('--port', 0), 8080)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .addOption(new Option('--mode <mode>', 'what to imitate').choices(['llama-swap', 'llama-server']).default('llama-swap'))
    .option('--model <name...>', 'model name(s) to serve', ['sim-llama'])
    .option('--gen-tps <x>', 'generation speed, tokens/s per stream', numberFlag('--gen-tps', 0.001), 50)
    .option('--prompt-tps <x>', 'prompt processing speed, tokens/s', numberFlag('--prompt-tps', 0.001), 2000)
    .option('--ttft-ms <x>', 'base time to first token, ms', numberFlag('--ttft-ms', 0), 20)
    .option('--slots <n>', 'parallel slots per model', integerFlag('--slots', 1), 4)
    .option('--load-ms <x>', 'model load (swap) time, ms', numberFlag('--load-ms', 0), 500)
    .option('--seed <n>', 'seed for jitter and generated text', integerFlag('--seed', 0), 1)
    .action(async (opts: SimulateFlags) => {
      const { startSimulator } = await import('@swapbench/core/simulator');
      const sim = await startSimulator({
        host: opts.host,
        port: opts.port,
        mode: opts.mode,
        seed: opts.seed,
        groundTruth: false,
        models: opts.model.map((name) => ({
          name,
          genTps: opts.genTps,
          promptTps: opts.promptTps,
          ttftMs: opts.ttftMs,
          slots: opts.slots,
          loadMs: opts.loadMs,
        })),
      });
      ctx.stdout.write(`${sim.url}\n`);
      ctx.stderr.write(`simulated ${opts.mode} serving ${opts.model.join(', ')}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await sim.close();
    });
}
