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
    .action(async (file: string, opts: RunFlags) => {
      if (!opts.host) {
        const { ConfigError } = await import('@swapbench/core/errors');
        throw new ConfigError([{ path: '--host', message: 'is required (or set SWAPBENCH_HOST)' }]);
      }
      const { loadSuiteFile } = await import('@swapbench/core');
      const suite = await loadSuiteFile(file);
      const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
      const { executeSuite } = await import('../execute.js');
      const maxConcurrency = Math.max(...suite.concurrency);
      // `auto` asks the server what it is (llama-swap, llama-server, or OpenAI-compatible) before running.
      const transport = await connectLlamaTransport({
        baseUrl: opts.host,
        kind: opts.kind,
        connections: maxConcurrency,
        ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
      });
      ctx.exitCode = await executeSuite(ctx, { suite, transport, json: Boolean(opts.json) });
    });
}
