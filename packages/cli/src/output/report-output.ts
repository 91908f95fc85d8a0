import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { CompareResult, RunResult } from '@swapbench/core';
import { ConfigError } from '@swapbench/core/errors';
import type { CliContext, OutputStream } from '../context.js';
import { REPORT_FORMATS, type ReportFormat } from './format.js';

/** `--json`, `--format`, `--out` as commands that print a run report take them. */
export interface ReportFlags {
  json?: boolean;
  format?: ReportFormat;
  out?: string;
}

/** Add the report flags to `command`. */
export function addReportOptions(command: Command): Command {
  return command
    .option('--json', 'print the result as JSON on stdout (the same as --format json)')
    .addOption(
      new Option(
        '--format <format>',
        'table (default), json, md (Markdown to paste into an issue), csv (one row per cell), llama-bench (llama-bench’s table)',
      ).choices(REPORT_FORMATS),
    )
    .option('--out <file>', 'write the report to this file instead of stdout');
}

/** The format the flags ask for; `--json` with another `--format` is a usage error. */
export function reportFormat(flags: ReportFlags, fallback: ReportFormat = 'table'): ReportFormat {
  if (flags.json && flags.format !== undefined && flags.format !== 'json')
    throw new ConfigError([{ path: '--json', message: `does not go with --format ${flags.format}: pick one` }]);
  return flags.json ? 'json' : (flags.format ?? fallback);
}

/** The width the terminal table is fitted to: the terminal's when stdout is one, else 120 columns. */
export function reportWidth(stream: OutputStream): number {
  return stream.isTTY && stream.columns ? Math.max(60, stream.columns) : 120;
}

/** The report of `result` in `format`; `comparison` (with --baseline) joins the JSON and the table. */
export async function renderRun(
  result: RunResult,
  format: ReportFormat,
  options: { width: number; comparison?: CompareResult | null | undefined },
): Promise<string> {
  switch (format) {
    case 'json': {
      const { jsonText } = await import('./json.js');
      // `comparison`: the CompareResult against --baseline (null when there was none to compare with).
      return jsonText(options.comparison === undefined ? result : { ...result, comparison: options.comparison });
    }
    case 'md': {
      const { renderMarkdown } = await import('./formats.js');
      const { renderCompareMarkdown } = await import('../compare/render.js');
      return renderMarkdown(result) + (options.comparison ? `\n${renderCompareMarkdown(options.comparison)}` : '');
    }
    case 'csv':
      return (await import('./formats.js')).renderCsv(result);
    case 'llama-bench':
      return (await import('./formats.js')).renderLlamaBench(result);
    default: {
      const { renderReport } = await import('./table.js');
      const { renderCompareTable } = await import('../compare/render.js');
      const text = renderReport(result, options.width);
      return options.comparison ? `${text}\nCompared with the baseline\n${renderCompareTable(options.comparison)}` : text;
    }
  }
}

/** Write a rendered report to `--out` (saying so on stderr) or stdout. */
export async function emitReport(ctx: CliContext, text: string, out: string | undefined): Promise<void> {
  if (out === undefined) {
    ctx.stdout.write(text);
    return;
  }
  try {
    await writeFile(out, text);
  } catch (err) {
    throw new ConfigError([{ path: '--out', message: `cannot write ${JSON.stringify(out)}: ${(err as Error).message}` }], { cause: err });
  }
  ctx.stderr.write(`report written to ${out}\n`);
}

/** Refuse an `--out` file that cannot be written before anything is measured, not after. */
export async function checkOutFile(out: string): Promise<void> {
  const { access, stat } = await import('node:fs/promises');
  const { constants } = await import('node:fs');
  const { dirname } = await import('node:path');
  const problem = await stat(out).then(
    (s) =>
      s.isDirectory()
        ? 'is a folder'
        : access(out, constants.W_OK).then(
            () => undefined,
            () => 'is not writable',
          ),
    () =>
      access(dirname(out), constants.W_OK).then(
        () => undefined,
        () => `cannot be created: ${dirname(out)} is missing or not writable`,
      ),
  );
  if (problem) throw new ConfigError([{ path: '--out', message: `${JSON.stringify(out)} ${problem}` }]);
}
