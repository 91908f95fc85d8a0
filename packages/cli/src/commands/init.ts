import { Command, Option } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import type { CliContext } from '../context.js';

interface InitFlags extends ConnectionFlags {
  host?: string;
  force?: boolean;
}

/** `swapbench init [file]`: write a commented suite to start from. */
export function makeInitCommand(ctx: CliContext): Command {
  const command = new Command('init')
    .description('write a commented suite file to start from (with --host, its models are the server’s)')
    .argument('[file]', 'where to write it', 'suite.yaml')
    .addOption(new Option('--host <url>', 'fill in the models this server lists'));
  return addConnectionOptions(command)
    .option('--force', 'overwrite the file if it exists')
    .action(async (file: string, opts: InitFlags) => {
      const { writeFile } = await import('node:fs/promises');
      const { ConfigError } = await import('@swapbench/core/errors');
      const { suiteTemplate } = await import('../init/suite-template.js');
      const models = opts.host === undefined ? [] : await serverModels(opts);
      try {
        // `wx`: never overwrite a suite someone wrote, unless asked to.
        await writeFile(file, suiteTemplate(models), { flag: opts.force ? 'w' : 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'EEXIST' ? 'exists already (--force overwrites it)' : `cannot be written: ${(err as Error).message}`;
        throw new ConfigError([{ path: '[file]', message: `${JSON.stringify(file)} ${why}` }], { cause: err });
      }
      ctx.stderr.write(
        `wrote ${file}${models.length > 0 ? ` with the ${models.length} model(s) the server lists` : ''}; edit it, then: swapbench run ${file} --host URL\n`,
      );
    });
}

async function serverModels(opts: InitFlags): Promise<string[]> {
  const { checkHostUrl, connectionSettings } = await import('../connection-flags.js');
  const baseUrl = checkHostUrl(opts.host!);
  const connection = connectionSettings(opts);
  const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
  const transport = await connectLlamaTransport({ baseUrl, kind: opts.kind, ...connection });
  try {
    return (await transport.listModels()).map((m) => m.id);
  } finally {
    await transport.close();
  }
}
