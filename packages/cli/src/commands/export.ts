import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { storeOption, withCliStore } from '../history/store-flag.js';

interface ExportFlags {
  format?: 'json' | 'csv' | 'jsonl';
  out?: string;
}

/** `swapbench export <run>`: a stored run as JSON, or its requests as CSV or JSON Lines, for pandas or a spreadsheet. */
export function makeExportCommand(ctx: CliContext): Command {
  return new Command('export')
    .description('write a stored run: its record (json), or one row per request with every per-request field (csv, jsonl)')
    .argument('<run>', 'run id, or a prefix of it that only one run has')
    .addOption(
      new Option('--format <format>', 'json: the run record; csv, jsonl: one row per request (default: from --out, else json)').choices([
        'json',
        'csv',
        'jsonl',
      ]),
    )
    .option('--out <file>', 'write to this file (replaced whole when done) instead of stdout')
    .addOption(storeOption())
    .action(async (given: string, opts: ExportFlags, command: Command) => {
      const { exportToFile, formatOfFile, writeExport } = await import('../export/write-export.js');
      const format = opts.format ?? (opts.out === undefined ? undefined : formatOfFile(opts.out)) ?? 'json';
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const { resolveRun } = await import('../history/resolve-run.js');
        const { runId, run } = await resolveRun(store, uri, given);
        const write = (out: typeof ctx.stdout) => writeExport(out, format, run, store.runs.samples(runId));
        const { rows, complete } = opts.out === undefined ? await write(ctx.stdout) : await exportToFile(opts.out, write);
        // Stopped early: the reader went away (`| head`), and nothing more is worth saying.
        if (!complete) return;
        const what = format === 'json' ? 'the record' : `${rows} requests`;
        ctx.stderr.write(`exported ${what} of run ${runId} as ${format}${opts.out === undefined ? '' : ` to ${opts.out}`}\n`);
      });
    });
}
