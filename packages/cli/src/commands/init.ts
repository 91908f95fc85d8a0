import { Command, Option } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import type { CliContext } from '../context.js';
import type { InitGrid } from '../init/server-grid.js';

interface InitFlags extends ConnectionFlags {
  host?: string;
  force?: boolean;
}

/** `swapbench init [file]`: write a commented suite to start from. */
export function makeInitCommand(ctx: CliContext): Command {
  const command = new Command('init')
    .description('write a commented suite file to start from (with --host, the server’s models, sized for its context and slots)')
    .argument('[file]', 'where to write it', 'suite.yaml')
    .addOption(new Option('--host <url>', 'fill in the models this server lists; fit prompt sizes and concurrency to it'));
  return addConnectionOptions(command)
    .option('--force', 'overwrite the file if it exists')
    .action(async (file: string, opts: InitFlags) => {
      const { writeFile } = await import('node:fs/promises');
      const { ConfigError } = await import('@swapbench/core/errors');
      const { suiteTemplate } = await import('../init/suite-template.js');
      const server = opts.host === undefined ? undefined : await askServer(opts);
      const models = server?.models ?? [];
      try {
        // `wx`: never overwrite a suite someone wrote, unless asked to.
        await writeFile(file, suiteTemplate(models, server?.grid), { flag: opts.force ? 'w' : 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'EEXIST' ? 'exists already (--force overwrites it)' : `cannot be written: ${(err as Error).message}`;
        throw new ConfigError([{ path: '[file]', message: `${JSON.stringify(file)} ${why}` }], { cause: err });
      }
      const listed = models.length > 0 ? ` with the ${models.length} model(s) the server lists` : '';
      ctx.stderr.write(`wrote ${file}${listed}${server ? sizedFor(server.grid) : ''}; edit it, then: swapbench run ${file} --host URL\n`);
    });
}

/** The server's models, and the grid sized for what it says of them (context per slot, slots). */
async function askServer(opts: InitFlags): Promise<{ models: string[]; grid: InitGrid }> {
  const { checkHostUrl, connectionSettings } = await import('../connection-flags.js');
  const baseUrl = checkHostUrl(opts.host!);
  const connection = connectionSettings(opts);
  const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
  const { serverGrid } = await import('../init/server-grid.js');
  const transport = await connectLlamaTransport({ baseUrl, kind: opts.kind, ...connection });
  try {
    const models = (await transport.listModels()).map((m) => m.id);
    // Each of describe's routes is best effort already; a server that says nothing leaves the defaults.
    const info = models.length > 0 ? await transport.describe?.(models) : undefined;
    return { models, grid: serverGrid(info?.models ?? [], models.length) };
  } finally {
    await transport.close();
  }
}

/** `, sized for its context of 2048 tokens per slot and its 2 slots`; '' when the server said neither. */
function sizedFor(grid: InitGrid): string {
  return grid.fittedTo.length > 0 ? `, sized for ${grid.fittedTo.join(' and ')}` : '';
}
