import { Command, Option } from 'commander';
import type { RunQuery, RunStatus, RunSummary } from '@swapbench/core';
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
      const { hostQuery } = await import('../history/hosts.js');
      const query: RunQuery = {
        ...(opts.host === undefined ? {} : hostQuery(opts.host)),
        ...(opts.model === undefined ? {} : { model: opts.model }),
        ...(opts.suite === undefined ? {} : { suiteName: opts.suite }),
        ...(opts.status === undefined ? {} : { status: opts.status }),
      };
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const items: RunSummary[] = [];
        let cursor: string | undefined;
        // Page until the limit: a store may return shorter pages than asked.
        do {
          const page = await store.runs.list({ ...query, limit: opts.limit - items.length, ...(cursor ? { cursor } : {}) });
          items.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor !== undefined && items.length < opts.limit);
        if (opts.json) {
          const { jsonText } = await import('../output/json.js');
          ctx.stdout.write(jsonText(items));
          return;
        }
        if (items.length === 0) {
          ctx.stderr.write(`no runs${Object.keys(query).length > 0 ? ' match' : ''} in ${uri}\n`);
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
        if (cursor !== undefined) ctx.stderr.write(`the ${items.length} newest runs in ${uri}; --limit N shows more\n`);
      });
    });
}
