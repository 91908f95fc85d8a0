import { Command, InvalidArgumentError, Option } from 'commander';

const number = (name: string, min: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number >= ${min}, got "${value}"`);
  return n;
};
const integer = (name: string, min: number) => (value: string): number => {
  const n = number(name, min)(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
  return n;
};

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

export function makeSimulateCommand(): Command {
  return new Command('simulate')
    .description('run the llama-server / llama-swap simulator as a server until stopped (Ctrl-C)')
    .option('--port <n>', 'port to listen on (0 = any free port)', integer('--port', 0), 8080)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .addOption(new Option('--mode <mode>', 'what to imitate').choices(['llama-swap', 'llama-server']).default('llama-swap'))
    .option('--model <name...>', 'model name(s) to serve', ['sim-llama'])
    .option('--gen-tps <x>', 'generation speed, tokens/s per stream', number('--gen-tps', 0.001), 50)
    .option('--prompt-tps <x>', 'prompt processing speed, tokens/s', number('--prompt-tps', 0.001), 2000)
    .option('--ttft-ms <x>', 'base time to first token, ms', number('--ttft-ms', 0), 20)
    .option('--slots <n>', 'parallel slots per model', integer('--slots', 1), 4)
    .option('--load-ms <x>', 'model load (swap) time, ms', number('--load-ms', 0), 500)
    .option('--seed <n>', 'seed for jitter and generated text', integer('--seed', 0), 1)
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
      process.stdout.write(`${sim.url}\n`);
      process.stderr.write(`simulated ${opts.mode} serving ${opts.model.join(', ')}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sim.close();
    });
}
