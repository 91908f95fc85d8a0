import { Command, Option } from 'commander';
import type { RunQuery, RunStatus } from '@swapbench/core';
import type { CliContext } from '../context.js';
import { integerFlag } from '../flag-parsers.js';
import { storeOption, withCliStore } from '../history/store-flag.js';

interface RunsFlags {
  host?: string;
  model?: string;
  suite?: string;
  status?: RunStatus;
  limit: number;
  json?: boolean;
}

const STATUSES: RunStatus[] = ['running', 'completed', 'cancelled', 'failed', 'interrupted'];

/** `swapbench runs`: the stored runs, newest first, filtered. */
export function makeRunsCommand(ctx: CliContext): Command {
  return new Command('runs')
    .description('list stored runs, newest first')
    .option('--host <url|name>', 'runs against this base URL, or started through this registered host')
    .option('--model <name>', 'runs whose suite has this model')
    .option('--suite <name>', 'runs of this suite')
    .addOption(new Option('--status <status>', 'runs that ended so (or are still running)').choices(STATUSES))
    .option('--limit <n>', 'at most this many runs', integerFlag('--limit', 1, 100_000), 20)
    .addOption(storeOption())
    .option('--json', 'print the runs as a JSON array on stdout')
    .action(async (opts: RunsFlags, command: Command) => {
      const { hostQueries } = await import('../history/hosts.js');
      const { listRuns } = await import('../history/list-runs.js');
      const query: RunQuery = {
        ...(opts.model === undefined ? {} : { model: opts.model }),
        ...(opts.suite === undefined ? {} : { suiteName: opts.suite }),
        ...(opts.status === undefined ? {} : { status: opts.status }),
      };
      const hosts = opts.host === undefined ? undefined : hostQueries(opts.host);
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const { items, more } = await listRuns(store, query, opts.limit, hosts);
        if (opts.json) {
          const { jsonText } = await import('../output/json.js');
          ctx.stdout.write(jsonText(items));
          return;
        }
        if (items.length === 0) {
          ctx.stderr.write(`no runs${hosts || Object.keys(query).length > 0 ? ' match' : ''} in ${uri}\n`);
          return;
        }
        // The listing row has no cell count: read each run's record (aggregates only, never its samples).
        const { runSize } = await import('@swapbench/core');
        const rows = await Promise.all(
          items.map(async (summary) => {
            const run = await store.runs.get(summary.runId);
            const s = run?.suite;
            // Sweeps count every step: one that stopped early shows fewer done than planned.
            const planned = s ? runSize(s).cells : 0;
            return { summary, run, cells: run ? { done: run.cells.length, planned } : undefined };
          }),
        );
        const { runVerdicts } = await import('../compare/run-verdicts.js');
        const verdicts = await runVerdicts(
          store,
          rows.map((r) => r.run),
        );
        const { renderRunsTable } = await import('../output/runs-table.js');
        ctx.stdout.write(renderRunsTable(rows.map((r, i) => ({ summary: r.summary, cells: r.cells, verdict: verdicts[i] }))));
        if (more) ctx.stderr.write(`the ${items.length} newest runs in ${uri}; --limit N shows more\n`);
      });
    });
}
