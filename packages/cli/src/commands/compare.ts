import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { storeOption, withCliStore } from '../history/store-flag.js';

interface CompareFlags {
  json?: boolean;
  format: 'table' | 'md';
  all?: boolean;
  seed?: number;
}

/** `swapbench compare <baseline> <candidate>`: per cell and metric, did the candidate get slower? */
export function makeCompareCommand(ctx: CliContext): Command {
  return new Command('compare')
    .description('compare a run with a baseline, cell by cell; exits 1 when a regression is found')
    .argument('<baseline>', 'a baseline name (swapbench baseline list), a run id, or a unique prefix of one')
    .argument('<candidate>', 'a baseline name, a run id, or a unique prefix of one')
    .addOption(
      new Option('--format <format>', 'table, or md: a Markdown table to paste into an issue').choices(['table', 'md']).default('table'),
    )
    .option('--all', 'show every metric, not only those that are not unchanged')
    .option('--json', 'print the whole comparison as JSON on stdout (see "Comparing runs" in the README)')
    .addOption(storeOption())
    .action(async (baselineArg: string, candidateArg: string, opts: CompareFlags, command: Command) => {
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const { loadCompared, resolveComparedRun } = await import('../compare/load.js');
        const baseId = await resolveComparedRun(store, uri, baselineArg);
        const candId = await resolveComparedRun(store, uri, candidateArg);
        const { compareRuns } = await import('@swapbench/core');
        const result = compareRuns(await loadCompared(store, baseId), await loadCompared(store, candId));
        const { writeComparison } = await import('../compare/write.js');
        await writeComparison(ctx, result, { json: Boolean(opts.json), format: opts.format, all: Boolean(opts.all) });
        if (result.verdict === 'regression') {
          const { EXIT_REGRESSION } = await import('../compare/exit.js');
          ctx.exitCode = EXIT_REGRESSION;
        }
      });
    });
}
