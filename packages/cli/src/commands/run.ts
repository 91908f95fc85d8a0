import { Command, Option } from 'commander';
import type { SuiteInput, WorkerTransportOptions } from '@swapbench/core';
import type { ReportFormat } from '../output/format.js';
import type { CliContext } from '../context.js';
import { failedJsonOnUsageError, orFailedJson } from '../failed-json.js';
import { storeOption, withCliStore } from '../history/store-flag.js';
import { addConnectionOptions, type ConnectionFlags, SERVER_KINDS } from '../connection-options.js';
import { addReportOptions, type ReportFlags } from '../output/report-output.js';
import { addSuiteOptions, type SuiteFlags } from '../suite-flags.js';

interface RunFlags extends SuiteFlags, ReportFlags, ConnectionFlags {
  host?: string;
  baseline?: string;
  failOnRegression?: boolean;
  wait?: true | string;
  takeover?: boolean;
}

/** `swapbench run <suite>`: run a suite file against the server at `--host`, and keep it in the store. */
export function makeRunCommand(ctx: CliContext): Command {
  const command = new Command('run')
    .description('run a suite (a file, flags, or both: flags override the file) against a server; the run is kept in the store')
    .argument('[suite]', 'suite file: .yaml, .yml or .json (swapbench init writes one); without it, the flags describe the suite')
    .addOption(
      new Option('--host <url|name>', 'server base URL, e.g. http://127.0.0.1:8080, or a host registered with `hosts add`').env(
        'SWAPBENCH_HOST',
      ),
    )
    .addOption(storeOption());
  addConnectionOptions(command, 'server kind (default: the registered host’s, else auto)');
  addSuiteOptions(command);
  addReportOptions(command);
  command
    .option('--baseline <auto|run|name>', 'after the run, compare it with this baseline (auto: the one of this host and suite)')
    .option('--fail-on-regression', 'exit 1 when the comparison with --baseline finds a regression')
    .option('--wait [seconds]', 'if another run holds the host (or it is busy), wait for it: up to this long, or as long as it takes')
    .option('--takeover', 'run even though the host is busy with requests that are not ours (they disturb the figures, and ours theirs)')
    .action(async (file: string | undefined, opts: RunFlags, command: Command) => {
      await orFailedJson(ctx, opts, async () => {
        const { reportFormat } = await import('../output/report-output.js');
        await runAction(ctx, file, opts, command, reportFormat(opts, opts.llamaBench ? 'llama-bench' : 'table'));
      });
    });
  // `--json` promises a result object whatever happens, a command line commander refuses included.
  return failedJsonOnUsageError(ctx, command);
}

async function runAction(ctx: CliContext, file: string | undefined, opts: RunFlags, command: Command, format: ReportFormat): Promise<void> {
  const { ConfigError } = await import('@swapbench/core/errors');
  // A value from the environment is named as such: the fix is there, not on the command line.
  const named = (flag: string, key: string, env: string) => (command.getOptionValueSource(key) === 'env' ? `${flag} (from ${env})` : flag);
  if (!opts.host) throw new ConfigError([{ path: '--host', message: 'is required (or set SWAPBENCH_HOST)' }]);
  const { checkHostUrl, connectionSettings, tlsProblem } = await import('../connection-flags.js');
  const { isHostName, resolveHostFlag } = await import('../history/hosts.js');
  const hostFlag = named('--host', 'host', 'SWAPBENCH_HOST');
  // A URL is checked before anything is opened; a name needs the store.
  if (!isHostName(opts.host)) checkHostUrl(opts.host, hostFlag);
  // An empty key (SWAPBENCH_API_KEY= to unset it) sends none.
  const connection = connectionSettings(opts, named('--api-key', 'apiKey', 'SWAPBENCH_API_KEY'));
  const waitMs = waitFlag(opts.wait, ConfigError);
  if (opts.failOnRegression && opts.baseline === undefined)
    throw new ConfigError([{ path: '--fail-on-regression', message: 'needs --baseline (auto, a run id or a baseline name)' }]);
  if (opts.out !== undefined) await (await import('../output/report-output.js')).checkOutFile(opts.out);
  const { nameFlagsIn, suiteOverrides } = await import('../suite-flags.js');
  const overrides = suiteOverrides(opts);
  const { loadSuiteFile } = await import('@swapbench/core');
  // The flags fill what the file leaves out (a suite without `models`, run with --models); they win anyway.
  // A problem in what they filled in names the flag; one in the file names the file.
  const base =
    file === undefined
      ? undefined
      : await loadSuiteFile(file, overrides).catch((err: unknown) => {
          throw err instanceof Error && (err as { source?: string }).source === undefined ? nameFlagsIn(err, overrides) : err;
        });
  await withCliStore(ctx, command, async ({ store, uri }) => {
    const target = await resolveHostFlag(store, uri, opts.host!, hostFlag);
    const kindGiven = command.getOptionValueSource('kind') !== 'default';
    const kind = kindGiven ? opts.kind : (SERVER_KINDS.find((k) => k === target.kind) ?? 'auto');
    const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
    const { executeSuite } = await import('../execute.js');
    // `auto` asks the server what it is (llama-swap, llama-server, or OpenAI-compatible) before running.
    const transport = await connectLlamaTransport({
      baseUrl: target.baseUrl,
      kind,
      ...connection,
    }).catch(async (err: unknown) => {
      throw (await tlsProblem(err, target.baseUrl, hostFlag)) ?? err;
    });
    let suite: SuiteInput;
    try {
      const { quickSuite } = await import('../quick-suite.js');
      suite = await quickSuite(base, overrides, transport);
    } catch (err) {
      await transport.close();
      throw err;
    }
    // Issue #21: `runners` needs the shared Postgres store the runners work from.
    const runners = (suite.runners ?? 0) > 0 ? await connectCliRunners(command, uri, transport) : undefined;
    ctx.exitCode = await executeSuite(ctx, {
      suite,
      transport,
      format,
      out: opts.out,
      store,
      storeUri: uri,
      hostId: target.hostId,
      baseline: opts.baseline,
      failOnRegression: Boolean(opts.failOnRegression),
      access: { waitMs, takeover: Boolean(opts.takeover) },
      // Issue #21: worker threads connect as this transport did, to the kind it found (no detection again).
      workerTransport: { baseUrl: target.baseUrl, kind: transport.kind as NonNullable<WorkerTransportOptions['kind']>, ...connection },
      ...(runners ? { runners } : {}), // issue #21
    }).finally(() => runners?.close());
  });
}

/** Issue #21: the runners of the postgres:// store the run is kept in; anything else is refused naming --runners. */
async function connectCliRunners(command: Command, uri: string, transport: { close(): Promise<void> }) {
  const { ConfigError } = await import('@swapbench/core/errors');
  const given = command.opts<{ store?: string }>().store?.trim();
  try {
    // Named as the user gave it: the flag, or the suite file's field.
    const path = command.getOptionValue('runners') === undefined ? 'runners' : '--runners';
    if (!given || !/^postgres(ql)?:\/\//i.test(given))
      throw new ConfigError([
        { path, message: `needs a postgres:// --store (the runners take their shares from it); the store is ${uri}` },
      ]);
    const { resolveStoreUri } = await import('@swapbench/core/stores');
    const { connectionString } = await resolveStoreUri(given);
    const { connectRunners } = await import('@swapbench/core/runners');
    return await connectRunners(connectionString ?? given);
  } catch (err) {
    await transport.close();
    throw err;
  }
}

/** `--wait [seconds]` in ms: absent 0, bare (no number) as long as it takes. */
function waitFlag(value: true | string | undefined, ConfigError: typeof import('@swapbench/core/errors').ConfigError): number {
  if (value === undefined) return 0;
  if (value === true) return Number.POSITIVE_INFINITY;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0)
    throw new ConfigError([{ path: '--wait', message: `must be a number of seconds ≥ 0, got "${value}"` }]);
  return seconds * 1000;
}
