import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { storeOption, withCliStore } from '../history/store-flag.js';
import { addReportOptions, type ReportFlags, reportFormat } from '../output/report-output.js';

/** `swapbench show <run>`: the report `run` printed, for a stored run. */
export function makeShowCommand(ctx: CliContext): Command {
  const command = new Command('show')
    .description('print the report of a stored run (the same report `run` prints)')
    .argument('<run>', 'run id, or a prefix of it that only one run has')
    .addOption(storeOption());
  return addReportOptions(command).action(async (given: string, opts: ReportFlags, command: Command) => {
    await withCliStore(ctx, command, async ({ store, uri }) => {
      const { resolveRun } = await import('../history/resolve-run.js');
      const { runId, run } = await resolveRun(store, uri, given);
      const format = reportFormat(opts);
      const { emitReport, renderRun, reportWidth } = await import('../output/report-output.js');
      await emitReport(ctx, await renderRun(run, format, { width: reportWidth(ctx.stdout) }), opts.out);
      if (format !== 'table') return;
      if (run.cells.length === 0 && (run.status === 'running' || run.status === 'interrupted')) {
        // Cells are summarized when a run ends; a run that never ended has only its samples.
        let samples = 0;
        for await (const _ of store.runs.samples(runId)) samples += 1;
        const why = run.status === 'running' ? 'it is still measuring' : 'it stopped before its cells were summarized';
        ctx.stdout.write(`\n${samples} samples stored; ${why}: swapbench export ${runId} --format csv reads them\n`);
      }
    });
  });
}
