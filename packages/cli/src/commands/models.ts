import { Command, Option } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import type { CliContext } from '../context.js';

interface ModelsFlags extends ConnectionFlags {
  host?: string;
  json?: boolean;
}

/** `swapbench models --host URL`: what the server offers, and (llama-swap) what is loaded now. */
export function makeModelsCommand(ctx: CliContext): Command {
  const command = new Command('models')
    .description('list the models a server offers (llama-swap: and which are loaded now)')
    .addOption(new Option('--host <url>', 'server base URL, e.g. http://127.0.0.1:8080').env('SWAPBENCH_HOST'));
  return addConnectionOptions(command)
    .option('--json', 'print the list as JSON on stdout')
    .action(async (opts: ModelsFlags) => {
      const { ConfigError } = await import('@swapbench/core/errors');
      if (!opts.host) throw new ConfigError([{ path: '--host', message: 'is required (or set SWAPBENCH_HOST)' }]);
      const { checkHostUrl, connectionSettings, tlsProblem } = await import('../connection-flags.js');
      const baseUrl = checkHostUrl(opts.host);
      const connection = connectionSettings(opts);
      const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
      const transport = await connectLlamaTransport({ baseUrl, kind: opts.kind, ...connection }).catch(async (err: unknown) => {
        throw (await tlsProblem(err, baseUrl)) ?? err;
      });
      try {
        const models = await transport.listModels();
        // Only llama-swap knows which of its models are loaded; others serve what they list.
        const running = transport.runningModels ? new Set(await transport.runningModels()) : undefined;
        const rows = models.map((m) => ({ id: m.id, loaded: running ? running.has(m.id) : (m.loaded ?? null) }));
        if (opts.json) {
          const { jsonText } = await import('../output/json.js');
          ctx.stdout.write(jsonText({ kind: transport.kind, baseUrl: transport.baseUrl, models: rows }));
          return;
        }
        const { redactUrl } = await import('@swapbench/core');
        ctx.stdout.write(`${transport.kind} at ${redactUrl(transport.baseUrl)}: ${rows.length} model(s)\n`);
        for (const row of rows) ctx.stdout.write(`  ${row.id}${row.loaded === true ? '  (loaded)' : ''}\n`);
      } finally {
        await transport.close();
      }
    });
}
