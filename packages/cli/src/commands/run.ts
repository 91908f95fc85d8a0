import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { storeOption, withCliStore } from '../history/store-flag.js';

interface RunFlags {
  host?: string;
  json?: boolean;
  kind: 'auto' | 'llama-swap' | 'llama-server' | 'openai';
  apiKey?: string;
  baseline?: string;
  failOnRegression?: boolean;
  wait?: true | string;
  takeover?: boolean;
}

const KINDS = ['auto', 'llama-swap', 'llama-server', 'openai'] as const;

/** `swapbench run <suite>`: run a suite file against the server at `--host`, and keep it in the store. */
export function makeRunCommand(ctx: CliContext): Command {
  return new Command('run')
    .description('run a suite file (YAML or JSON) against a server; the run is kept in the store')
    .argument('<suite>', 'suite file: .yaml, .yml or .json')
    .addOption(
      new Option('--host <url|name>', 'server base URL, e.g. http://127.0.0.1:8080, or a host registered with `hosts add`').env(
        'SWAPBENCH_HOST',
      ),
    )
    .addOption(new Option('--kind <kind>', 'server kind (default: the registered host’s, else auto)').choices(KINDS).default('auto'))
    .addOption(new Option('--api-key <key>', 'API key sent as a Bearer token').env('SWAPBENCH_API_KEY'))
    .addOption(storeOption())
    .option('--json', 'print the result as JSON on stdout')
    .option('--baseline <auto|run|name>', 'after the run, compare it with this baseline (auto: the one of this host and suite)')
    .option('--fail-on-regression', 'exit 1 when the comparison with --baseline finds a regression')
    .option('--wait [seconds]', 'if another run holds the host (or it is busy), wait for it: up to this long, or as long as it takes')
    .option('--takeover', 'run even though the host is busy with requests that are not ours (they disturb the figures, and ours theirs)')
    .action(async (file: string, opts: RunFlags, command: Command) => {
      const { ConfigError } = await import('@swapbench/core/errors');
      // A value from the environment is named as such: the fix is there, not on the command line.
      const named = (flag: string, key: string, env: string) =>
        command.getOptionValueSource(key) === 'env' ? `${flag} (from ${env})` : flag;
      if (!opts.host) throw new ConfigError([{ path: '--host', message: 'is required (or set SWAPBENCH_HOST)' }]);
      const { checkApiKey, checkHostUrl, tlsProblem } = await import('../connection-flags.js');
      const { isHostName, resolveHostFlag } = await import('../history/hosts.js');
      const hostFlag = named('--host', 'host', 'SWAPBENCH_HOST');
      // A URL is checked before anything is opened; a name needs the store.
      if (!isHostName(opts.host)) checkHostUrl(opts.host, hostFlag);
      // An empty key (SWAPBENCH_API_KEY= to unset it) sends none.
      if (opts.apiKey) checkApiKey(opts.apiKey, named('--api-key', 'apiKey', 'SWAPBENCH_API_KEY'));
      const waitMs = waitFlag(opts.wait, ConfigError);
      if (opts.failOnRegression && opts.baseline === undefined)
        throw new ConfigError([{ path: '--fail-on-regression', message: 'needs --baseline (auto, a run id or a baseline name)' }]);
      const { loadSuiteFile } = await import('@swapbench/core');
      const suite = await loadSuiteFile(file);
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const target = await resolveHostFlag(store, uri, opts.host!, hostFlag);
        const kindGiven = command.getOptionValueSource('kind') !== 'default';
        const kind = kindGiven ? opts.kind : (KINDS.find((k) => k === target.kind) ?? 'auto');
        const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
        const { executeSuite } = await import('../execute.js');
        // `auto` asks the server what it is (llama-swap, llama-server, or OpenAI-compatible) before running.
        const transport = await connectLlamaTransport({
          baseUrl: target.baseUrl,
          kind,
          connections: Math.max(...suite.concurrency),
          ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
        }).catch(async (err: unknown) => {
          throw (await tlsProblem(err, target.baseUrl, hostFlag)) ?? err;
        });
        ctx.exitCode = await executeSuite(ctx, {
          suite,
          transport,
          json: Boolean(opts.json),
          store,
          storeUri: uri,
          hostId: target.hostId,
          baseline: opts.baseline,
          failOnRegression: Boolean(opts.failOnRegression),
          access: { waitMs, takeover: Boolean(opts.takeover) },
        });
      });
    });
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
