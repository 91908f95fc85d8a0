import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { integerFlag } from '../flag-parsers.js';

interface RunnerFlags {
  store?: string;
  name?: string;
  concurrencyLimit?: number;
}

/** Signals that stop the runner; SIGHUP: the terminal that started it closed. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `swapbench runner --store postgres://…` (issue #21): works shares of cells that `run --runners N` posts to
 * the shared PostgreSQL store, until SIGINT / SIGTERM. pg-boss is loaded inside the action.
 */
export function makeRunnerCommand(ctx: CliContext): Command {
  return new Command('runner')
    .description('work shares of cells that `run --runners N` posts to a shared PostgreSQL store, until stopped (Ctrl-C)')
    .addOption(new Option('--store <uri>', 'the shared store: postgres://user:pass@host:port/db[?schema=name]').env('SWAPBENCH_STORE'))
    .option('--name <name>', 'this runner’s name in notes and errors (default: <hostname>-<pid>)')
    .option(
      '--concurrency-limit <n>',
      'most streams this runner keeps in flight; a larger share fails with a message',
      integerFlag('--concurrency-limit', 1),
    )
    .action(async (opts: RunnerFlags) => {
      const { ConfigError } = await import('@swapbench/core/errors');
      const given = opts.store?.trim();
      if (!given) throw new ConfigError([{ path: '--store', message: 'is required: the postgres:// store the coordinator runs with' }]);
      if (!/^postgres(ql)?:\/\//i.test(given))
        throw new ConfigError([
          { path: '--store', message: 'must be a postgres:// URI: runners meet the coordinator in a PostgreSQL store' },
        ]);
      const { resolveStoreUri } = await import('@swapbench/core/stores');
      const { connectionString } = await resolveStoreUri(given);
      const { startRunner } = await import('@swapbench/core/runners');
      const runner = await startRunner({
        store: connectionString ?? given,
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.concurrencyLimit === undefined ? {} : { concurrencyLimit: opts.concurrencyLimit }),
        onLog: (line) => ctx.stderr.write(`swapbench: ${line}\n`),
      });
      await new Promise<void>((resolve) => {
        const stop = () => {
          for (const signal of STOP_SIGNALS) process.off(signal, stop);
          resolve();
        };
        for (const signal of STOP_SIGNALS) process.on(signal, stop);
      });
      ctx.stderr.write(`swapbench: runner ${runner.name} stopping\n`);
      await runner.stop();
    });
}
