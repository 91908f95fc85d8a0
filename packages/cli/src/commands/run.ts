import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';

interface RunFlags {
  host?: string;
  json?: boolean;
  kind: 'auto' | 'llama-swap' | 'llama-server' | 'openai';
  apiKey?: string;
}

/** `swapbench run <suite>`: run a suite file against the server at `--host`. */
export function makeRunCommand(ctx: CliContext): Command {
  return new Command('run')
    .description('run a suite file (YAML or JSON) against a server')
    .argument('<suite>', 'suite file: .yaml, .yml or .json')
    .addOption(new Option('--host <url>', 'server base URL, e.g. http://127.0.0.1:8080').env('SWAPBENCH_HOST'))
    .addOption(new Option('--kind <kind>', 'server kind').choices(['auto', 'llama-swap', 'llama-server', 'openai']).default('auto'))
    .addOption(new Option('--api-key <key>', 'API key sent as a Bearer token').env('SWAPBENCH_API_KEY'))
    .option('--json', 'print the result as JSON on stdout')
    .action(async (file: string, opts: RunFlags, command: Command) => {
      const { ConfigError } = await import('@swapbench/core/errors');
      // A value from the environment is named as such: the fix is there, not on the command line.
      const named = (flag: string, key: string, env: string) =>
        command.getOptionValueSource(key) === 'env' ? `${flag} (from ${env})` : flag;
      if (!opts.host) throw new ConfigError([{ path: '--host', message: 'is required (or set SWAPBENCH_HOST)' }]);
      const { checkApiKey, checkHostUrl, tlsProblem } = await import('../connection-flags.js');
      const hostFlag = named('--host', 'host', 'SWAPBENCH_HOST');
      const baseUrl = checkHostUrl(opts.host, hostFlag);
      // An empty key (SWAPBENCH_API_KEY= to unset it) sends none.
      if (opts.apiKey) checkApiKey(opts.apiKey, named('--api-key', 'apiKey', 'SWAPBENCH_API_KEY'));
      const { loadSuiteFile } = await import('@swapbench/core');
      const suite = await loadSuiteFile(file);
      const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
      const { executeSuite } = await import('../execute.js');
      const maxConcurrency = Math.max(...suite.concurrency);
      // `auto` asks the server what it is (llama-swap, llama-server, or OpenAI-compatible) before running.
      const transport = await connectLlamaTransport({
        baseUrl,
        kind: opts.kind,
        connections: maxConcurrency,
        ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
      }).catch(async (err: unknown) => {
        throw (await tlsProblem(err, baseUrl, hostFlag)) ?? err;
      });
      ctx.exitCode = await executeSuite(ctx, { suite, transport, json: Boolean(opts.json) });
    });
}
