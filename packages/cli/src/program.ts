import { Command, CommanderError } from 'commander';
import type { CliContext, OutputStream } from './context.js';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.js';
import { makeBaselineCommand } from './commands/baseline.js';
import { makeCompareCommand } from './commands/compare.js';
import { makeDemoCommand } from './commands/demo.js';
import { makeExportCommand } from './commands/export.js';
import { makeHostsCommand } from './commands/hosts.js';
import { makeInitCommand } from './commands/init.js';
import { makeModelsCommand } from './commands/models.js';
import { makeReportCommand } from './commands/report.js';
import { makeRunCommand } from './commands/run.js';
import { makeRunnerCommand } from './commands/runner.js';
import { makeRunsCommand } from './commands/runs.js';
import { makeShowCommand } from './commands/show.js';
import { makeServeCommand } from './commands/serve.js';
import { makeSimulateCommand } from './commands/simulate.js';
import { reportUsageError, throwUsageErrors } from './usage-errors.js';
import { VERSION } from './version.js';

/** Where `main()` writes; each stream defaults to the process's own. */
export interface MainIo {
  /** The report, `--json`, help and version. */
  stdout?: OutputStream;
  /** Progress, warnings and error messages. */
  stderr?: OutputStream;
}

/** Build the swapbench program around `ctx`. Each command does its heavy imports inside its action. */
export function makeProgram(ctx: CliContext): Command {
  const program = new Command('swapbench')
    .description(
      'Benchmark llama-server, llama-swap and OpenAI-compatible LLM servers: prompt speed, generation speed, TTFT, concurrency, swap time.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (str) => ctx.stdout.write(str),
      writeErr: (str) => ctx.stderr.write(str),
      getOutHelpWidth: () => helpWidth(ctx.stdout),
      getErrHelpWidth: () => helpWidth(ctx.stderr),
    })
    .exitOverride();
  program.addCommand(makeDemoCommand(ctx));
  program.addCommand(makeRunCommand(ctx));
  program.addCommand(makeInitCommand(ctx));
  program.addCommand(makeModelsCommand(ctx));
  program.addCommand(makeSimulateCommand(ctx));
  program.addCommand(makeRunsCommand(ctx));
  program.addCommand(makeShowCommand(ctx));
  program.addCommand(makeExportCommand(ctx));
  program.addCommand(makeHostsCommand(ctx));
  program.addCommand(makeBaselineCommand(ctx));
  program.addCommand(makeCompareCommand(ctx));
  program.addCommand(makeReportCommand(ctx));
  program.addCommand(makeServeCommand(ctx));
  program.addCommand(makeRunnerCommand(ctx)); // issue #21: runners on several machines
  // addCommand() does not pass settings down as command() does: output streams, exitOverride, help after
  // error; to subcommands (`hosts add`) too. Each gets an exit callback of its own, which knows the command:
  // `run --json` writes its result object also for a command line commander refuses.
  const inherit = (parent: Command) => {
    for (const command of parent.commands) {
      command.copyInheritedSettings(parent).exitOverride(throwUsageErrors(command));
      inherit(command);
    }
  };
  inherit(program);
  return program;
}

/** Run the CLI with `argv` (as `process.argv`: node, script, args...); resolves with the exit code. */
export async function main(argv: string[], io: MainIo = {}): Promise<ExitCode> {
  const ctx: CliContext = { stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, exitCode: EXIT.ok };
  try {
    await makeProgram(ctx).parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander's usage errors (and help shown for a missing command) exit 1, our contract says 2.
      if (err.exitCode === 0) return EXIT.ok;
      await reportUsageError(err);
      return EXIT.usage;
    }
    // Loaded only on this path: `--help` and a clean run never need it.
    const { SwapbenchError } = await import('@swapbench/core/errors');
    // A message may quote a URL the user gave; its credentials stay out of the terminal and of CI logs.
    const { redactUrlsIn } = await import('@swapbench/core');
    ctx.stderr.write(`swapbench: ${redactUrlsIn(err instanceof Error ? err.message : String(err))}\n`);
    if (SwapbenchError.is(err)) return exitCodeFor(err.code);
    if (err instanceof Error && process.env.SWAPBENCH_DEBUG) ctx.stderr.write(`${redactUrlsIn(err.stack ?? '')}\n`);
    return EXIT.internal;
  }
}

/** Wrap help at the terminal's width; 80 (commander's default) when writing elsewhere. */
function helpWidth(stream: OutputStream): number {
  return (stream.isTTY && stream.columns) || 80;
}
