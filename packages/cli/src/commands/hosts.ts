import { Command, Option } from 'commander';
import { SERVER_KINDS } from '../connection-options.js';
import type { CliContext } from '../context.js';
import { storeOption, withCliStore } from '../history/store-flag.js';

const KINDS = SERVER_KINDS;

/** `swapbench hosts add|list|remove`: servers known by name, usable wherever `--host` is taken. */
export function makeHostsCommand(ctx: CliContext): Command {
  const add = new Command('add')
    .description('register a server under a name (replaces one of the same name)')
    .argument('<name>', 'a letter first, then letters, digits, ".", "_" or "-"')
    .argument('<url>', 'its base URL, e.g. http://127.0.0.1:8080')
    .addOption(new Option('--kind <kind>', 'server kind used when running against it').choices(KINDS).default('auto'))
    .addOption(storeOption())
    .action(async (name: string, url: string, opts: { kind: (typeof KINDS)[number] }, command: Command) => {
      const { checkHostName, normalizeBaseUrl } = await import('../history/hosts.js');
      const { checkHostUrl } = await import('../connection-flags.js');
      const id = checkHostName(name);
      const baseUrl = normalizeBaseUrl(checkHostUrl(url, '<url>'));
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const before = await store.hosts.get(id);
        await store.hosts.put({ id, baseUrl, ...(opts.kind === 'auto' ? {} : { kind: opts.kind }) });
        ctx.stdout.write(`host ${id} ${before ? 'updated' : 'added'}: ${baseUrl} (${opts.kind}) in ${uri}\n`);
      });
    });

  const list = new Command('list')
    .description('list the registered hosts')
    .addOption(storeOption())
    .option('--json', 'print the hosts as a JSON array on stdout')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withCliStore(ctx, command, async ({ store, uri }) => {
        const hosts = await store.hosts.list();
        if (opts.json) {
          const { jsonText } = await import('../output/json.js');
          ctx.stdout.write(jsonText(hosts));
        } else if (hosts.length === 0) {
          ctx.stderr.write(`no hosts registered in ${uri} (swapbench hosts add <name> <url>)\n`);
        } else {
          const { renderHostsTable } = await import('../output/runs-table.js');
          ctx.stdout.write(renderHostsTable(hosts));
        }
      });
    });

  const remove = new Command('remove')
    .description('forget a registered host (its runs stay stored, under its name)')
    .argument('<name>', 'the host to forget')
    .addOption(storeOption())
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withCliStore(ctx, command, async ({ store, uri }) => {
        if (!(await store.hosts.remove(name.trim()))) {
          const { ConfigError } = await import('@swapbench/core/errors');
          throw new ConfigError([
            { path: '<name>', message: `no host ${JSON.stringify(name)} is registered in ${uri} (swapbench hosts list)` },
          ]);
        }
        ctx.stdout.write(`host ${name.trim()} removed from ${uri}\n`);
      });
    });

  return new Command('hosts')
    .description('register servers by name, so --host <name> works: hosts add <name> <url> | list | remove <name>')
    .addCommand(add)
    .addCommand(list)
    .addCommand(remove);
}
