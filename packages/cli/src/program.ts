import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { makeDemoCommand } from './commands/demo.js';
import { makeRunCommand } from './commands/run.js';
import { makeSimulateCommand } from './commands/simulate.js';
import { VERSION } from './version.js';

/** Build the swapbench program. Each command does its heavy imports inside its action. */
export function makeProgram(): Command {
  const program = new Command('swapbench')
    .description('Benchmark llama-server, llama-swap and OpenAI-compatible LLM servers: prompt speed, generation speed, TTFT, concurrency, swap time.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(makeDemoCommand());
  program.addCommand(makeRunCommand());
  program.addCommand(makeSimulateCommand());
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Run the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await makeProgram().parseAsync(argv);
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander's usage errors exit 1, our contract says 2.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const code = (err as { code?: unknown }).code;
    const isOurs = typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[Symbol.for('swapbench.error')] === true;
    process.stderr.write(`swapbench: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!isOurs && err instanceof Error && process.env.SWAPBENCH_DEBUG) process.stderr.write(`${err.stack}\n`);
    return isOurs ? exitCodeFor(String(code)) : EXIT.internal;
  }
}
