import { resolve } from 'node:path';
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { storeOption, withCliStore } from '../history/store-flag.js';

interface ReportFlags {
  baseline?: string;
  out: string;
}

/**
 * `swapbench report <run> --out report.html`: one self-contained HTML page (charts, data and styles inline)
 * that opens offline, drawn by the same code as the dashboard of `swapbench serve`.
 */
export function makeReportCommand(ctx: CliContext): Command {
  return new Command('report')
    .description('write a self-contained HTML report of a stored run (charts and verdicts; opens offline)')
    .argument('<run>', 'run id, or a prefix of it that only one run has')
    .option('--baseline <run>', 'compare with this baseline name or run id (default: the baseline <suite>@<host>, when set)')
    .requiredOption('--out <file>', 'the HTML file to write')
    .addOption(storeOption())
    .action(async (given: string, opts: ReportFlags, command: Command) => {
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const { resolveRun } = await import('../history/resolve-run.js');
        const { loadCompared, resolveComparedRun } = await import('../compare/load.js');
        const { ConfigError, SwapbenchError } = await import('@swapbench/core/errors');
        if (opts.out.trim() === '') throw new ConfigError([{ path: '--out', message: 'is empty: give the HTML file to write' }]);
        const { runId, run } = await resolveRun(store, uri, given);
        let baseline: { name: string; runId: string } | null = null;
        if (opts.baseline !== undefined) {
          const named = opts.baseline;
          const id = await resolveComparedRun(store, uri, named).catch((err: unknown) => {
            // `--baseline` takes a baseline name too: "run nope not found" would hide that none is named so either.
            if (SwapbenchError.is(err) && err.code === 'RUN_NOT_FOUND')
              throw new ConfigError(
                [
                  {
                    path: '--baseline',
                    message: `no baseline or run named "${named.trim()}" in ${uri} (swapbench baseline list, swapbench runs)`,
                  },
                ],
                { cause: err },
              );
            throw err;
          });
          baseline = { name: (await store.baselines.get(opts.baseline.trim())) ? opts.baseline.trim() : id, runId: id };
        } else {
          // The baseline of the run's server and suite, under whichever of the server's names it was set.
          const { findAutoBaseline } = await import('@swapbench/core');
          const stored = (await findAutoBaseline(store, run)).record;
          if (stored && (await store.runs.get(stored.runId))) baseline = { name: stored.name, runId: stored.runId };
        }
        let comparison = null;
        // A run compared with itself says nothing; a running one has no cells to compare yet.
        if (baseline && baseline.runId !== runId && run.status !== 'running') {
          const { compareRuns } = await import('@swapbench/core');
          comparison = compareRuns(await loadCompared(store, baseline.runId), await loadCompared(store, runId));
        }
        const { renderReportHtml } = await import('@swapbench/http/report');
        const html = await renderReportHtml({ run, comparison, baseline });
        const path = resolve(opts.out);
        const { writeFile } = await import('node:fs/promises');
        await writeFile(path, html).catch((err: NodeJS.ErrnoException) => {
          throw new ConfigError([{ path: '--out', message: `cannot write ${path} (${err.code ?? err.message})` }], { cause: err });
        });
        const against = comparison ? `, ${comparison.verdict} against ${baseline?.name}` : '';
        ctx.stderr.write(`report of run ${runId} written to ${path} (${Math.ceil(html.length / 1024)} KB${against})\n`);
      });
    });
}
