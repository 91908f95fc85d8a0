import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { integerFlag, MAX_TIMER_MS, numberFlag } from '../flag-parsers.js';

interface SimulateFlags {
  port: number;
  host: string;
  mode: 'llama-swap' | 'llama-server' | 'ollama';
  model: string[];
  genTps: number;
  promptTps: number;
  ttftMs: number;
  slots: number;
  loadMs: number;
  seed: number;
}

/** Signals that stop the simulator; SIGHUP: the terminal that started it closed. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** `swapbench simulate`: serve the simulator until SIGINT / SIGTERM; prints its URL on stdout. */
export function makeSimulateCommand(ctx: CliContext): Command {
  return new Command('simulate')
    .description('run the llama-server / llama-swap simulator as a server until stopped (Ctrl-C)')
    .option('--port <n>', 'port to listen on (0 = any free port)', integerFlag('--port', 0, 65535), 8080)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .addOption(new Option('--mode <mode>', 'what to imitate').choices(['llama-swap', 'llama-server', 'ollama']).default('llama-swap'))
    .option('--model <name...>', 'model name(s) to serve', ['sim-llama'])
    .option('--gen-tps <x>', 'generation speed, tokens/s per stream', numberFlag('--gen-tps', 0.001), 50)
    .option('--prompt-tps <x>', 'prompt processing speed, tokens/s', numberFlag('--prompt-tps', 0.001), 2000)
    .option('--ttft-ms <x>', 'base time to first token, ms', numberFlag('--ttft-ms', 0, MAX_TIMER_MS), 20)
    .option('--slots <n>', 'parallel slots per model', integerFlag('--slots', 1, 4096), 4)
    .option('--load-ms <x>', 'model load (swap) time, ms', numberFlag('--load-ms', 0, MAX_TIMER_MS), 500)
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
      }).catch(async (err: unknown) => {
        throw await listenError(err, opts);
      });
      ctx.stdout.write(`${sim.url}\n`);
      ctx.stderr.write(`simulated ${opts.mode} serving ${opts.model.join(', ')}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          for (const signal of STOP_SIGNALS) process.off(signal, stop);
          resolve();
        };
        for (const signal of STOP_SIGNALS) process.on(signal, stop);
      });
      await sim.close();
    });
}

/**
 * A bind that failed because of the flags (port taken, address not on this machine) is bad usage (exit 2)
 * naming the flag; anything else stays as it was.
 */
async function listenError(err: unknown, opts: SimulateFlags): Promise<unknown> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const { ConfigError } = await import('@swapbench/core/errors');
  const at = `${opts.host}:${opts.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(
        [{ path: '--port', message: `${opts.port} is in use on ${opts.host}; pick another, or 0 for any free port` }],
        { cause: err },
      );
    case 'EACCES':
      return new ConfigError(
        [{ path: '--port', message: `${opts.port} needs privileges to bind on ${opts.host}; use a port above 1023` }],
        { cause: err },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError([{ path: '--host', message: `cannot listen on ${at}: ${opts.host} is not an address of this machine` }], {
        cause: err,
      });
    default:
      return err;
  }
}
