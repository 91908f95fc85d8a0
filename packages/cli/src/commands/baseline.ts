import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { storeOption, withCliStore } from '../history/store-flag.js';

/** `swapbench baseline set|list|clear`: the named reference runs later runs are compared with. */
export function makeBaselineCommand(ctx: CliContext): Command {
  const baseline = new Command('baseline').description('set, list and clear baselines (reference runs for compare and run --baseline)');
  baseline
    .command('set')
    .description('make a stored run the current baseline of its host and suite (or of --name)')
    .argument('<run>', 'run id, or a unique prefix of it')
    .option('--name <name>', 'baseline name (default: <suite>@<host> of the run)')
    .option('--force', 'accept a run whose client was saturated, or that foreign traffic polluted')
    .addOption(storeOption())
    .action(async (given: string, opts: { name?: string; force?: boolean }, command: Command) => {
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const { resolveRun } = await import('../history/resolve-run.js');
        const { baselineObjection, defaultBaselineName } = await import('../compare/load.js');
        const { ConfigError } = await import('@swapbench/core/errors');
        const { runId, run } = await resolveRun(store, uri, given);
        const objection = baselineObjection(run);
        if (objection && !opts.force)
          throw new ConfigError([
            { path: '<run>', message: `run ${runId} is not a trustworthy baseline: ${objection} (--force sets it anyway)` },
          ]);
        const name = opts.name?.trim() || defaultBaselineName(run);
        const record = await store.baselines.set(name, runId);
        ctx.stdout.write(`baseline ${record.name} → run ${record.runId}${objection ? ` (forced: ${objection})` : ''}\n`);
      });
    });
  baseline
    .command('list')
    .description('list the baselines')
    .option('--json', 'print them as a JSON array')
    .addOption(storeOption())
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const records = await store.baselines.list();
        if (opts.json) {
          const { jsonText } = await import('../output/json.js');
          ctx.stdout.write(jsonText(records));
          return;
        }
        if (records.length === 0) {
          ctx.stderr.write(`no baselines in ${uri} (swapbench baseline set <run> makes one)\n`);
          return;
        }
        const { localTime } = await import('../output/runs-table.js');
        for (const r of records) ctx.stdout.write(`${r.name}  ${r.runId}  set ${localTime(r.setAt)}\n`);
      });
    });
  baseline
    .command('clear')
    .description('remove a baseline (the run stays)')
    .argument('<name>', 'baseline name')
    .addOption(storeOption())
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withCliStore(ctx, command, async ({ store, uri }) => {
        if (!(await store.baselines.clear(name))) {
          const { ConfigError } = await import('@swapbench/core/errors');
          throw new ConfigError([{ path: '<name>', message: `no baseline named "${name}" in ${uri} (swapbench baseline list)` }]);
        }
        ctx.stdout.write(`baseline ${name} cleared\n`);
      });
    });
  return baseline;
}
