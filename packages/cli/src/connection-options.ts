import { type Command, Option } from 'commander';

/** The server kinds `--kind` accepts: `auto` detects; `llama-router` is llama-server's router mode; `ollama` speaks Ollama's native API. */
export const SERVER_KINDS = ['auto', 'llama-swap', 'llama-server', 'llama-router', 'openai', 'ollama'] as const;

/** One of SERVER_KINDS. */
export type ServerKindFlag = (typeof SERVER_KINDS)[number];

/** What `addConnectionOptions` adds, as commander hands it to an action. */
export interface ConnectionFlags {
  kind: ServerKindFlag;
  apiKey?: string;
  /** Raw `--header` values; checked inside the action (`parseHeaders`), where a bad one names the flag. */
  header?: string[];
}

/**
 * `--kind`, `--api-key`, `--header` for every command that talks to a server. Light on purpose (no core
 * import): commands are built for `--help` too.
 */
export function addConnectionOptions(command: Command, kindHelp = 'server kind'): Command {
  return command
    .addOption(new Option('--kind <kind>', kindHelp).choices(SERVER_KINDS).default('auto'))
    .addOption(new Option('--api-key <key>', 'API key sent as a Bearer token').env('SWAPBENCH_API_KEY'))
    .option(
      '--header <Name: value>',
      'header sent with every request, for proxies that need one (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    );
}
