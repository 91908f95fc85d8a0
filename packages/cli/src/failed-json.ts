/**
 * `--json` promises a result object whatever happens: when a run cannot start, a failed one with the error's
 * code and message (README, "Report flags"). The error itself still goes to stderr.
 */
import { Command, CommanderError, Option } from 'commander';
import type { CliContext } from './context.js';
import type { ReportFlags } from './output/report-output.js';
import { onUsageError } from './usage-errors.js';

/** Whether the report flags ask for JSON: `--json` or `--format json`, even beside a `--format` that contradicts it. */
export function wantsJson(flags: ReportFlags): boolean {
  return flags.json === true || flags.format === 'json';
}

/** The failed result object for `err`, where the report would have gone: `--out`, else (or if that fails) stdout. */
export async function writeFailedJson(ctx: CliContext, err: unknown, out: string | undefined): Promise<void> {
  const { SwapbenchError } = await import('@swapbench/core/errors');
  const { jsonText } = await import('./output/json.js');
  const { emitReport } = await import('./output/report-output.js');
  const error =
    // A command line commander refused is bad usage, as an invalid flag value caught later (exit 2 both).
    err instanceof CommanderError
      ? { code: 'CONFIG_INVALID', message: err.message.replace(/^error: /, '') }
      : { code: SwapbenchError.is(err) ? err.code : 'UNKNOWN', message: err instanceof Error ? err.message : String(err) };
  const text = jsonText({ runId: null, status: 'failed', error, cells: [] });
  await emitReport(ctx, text, out).catch(() => ctx.stdout.write(text));
}

/** Run `action`; when it fails and the flags ask for JSON, the failed result object goes out before the error does. */
export async function orFailedJson(ctx: CliContext, flags: ReportFlags, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (wantsJson(flags)) await writeFailedJson(ctx, err, flags.out);
    throw err;
  }
}

/** Have `command` write the failed result object also when commander refuses its command line with `--json` in it. */
export function failedJsonOnUsageError(ctx: CliContext, command: Command): Command {
  return onUsageError(command, async (args, err) => {
    const flags = reportFlagsIn(command, args);
    if (wantsJson(flags)) await writeFailedJson(ctx, err, flags.out);
  });
}

/**
 * The report flags in `args`, read as `command` reads its options but without checking any value: the
 * refusal may come from a flag before `--json`, which commander then never reached.
 */
function reportFlagsIn(command: Command, args: readonly string[]): ReportFlags {
  const lenient = new Command()
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  // The same flags (so the same values are taken as values), without their parsers, choices or environment.
  for (const option of command.options) lenient.addOption(new Option(option.flags));
  try {
    lenient.parseOptions([...args]);
  } catch {
    // An option without its value: the last argument, so every flag before it was read.
  }
  return lenient.opts<ReportFlags>();
}
