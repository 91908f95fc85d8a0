import { type Command, Option } from 'commander';
import type { Store } from '@swapbench/core';
import type { SwapbenchError } from '@swapbench/core/errors';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { STORE_CHECK_MS, within } from '../within.js';

/** `--store <uri>` (or SWAPBENCH_STORE): on every command that reads or writes history. */
export function storeOption(): Option {
  return new Option(
    '--store <uri>',
    'where history is kept: sqlite:<file>, file:<dir>, postgres://… or memory: (default: swapbench.db in your data folder)',
  ).env('SWAPBENCH_STORE');
}

/** An open store and the URI it was opened from, written out in full (`sqlite:/abs/path.db`). */
export interface CliStore {
  store: Store;
  uri: string;
  /** Records the store skipped because they could not be read (a corrupt line of a file store). */
  warnings: SwapbenchError[];
}

/**
 * Open the store `--store` names, else SWAPBENCH_STORE, else the default one in the user's data folder. An
 * empty SWAPBENCH_STORE counts as unset. A store that cannot be opened is STORE_UNAVAILABLE (exit 2), its
 * message naming where the URI came from when it was the environment.
 */
export async function openCliStore(command: Command): Promise<CliStore> {
  const { defaultStoreUri, openStore, resolveStoreUri } = await import('@swapbench/core/stores');
  const value = command.opts<{ store?: string }>().store;
  const fromEnv = command.getOptionValueSource('store') === 'env';
  const given = value === undefined || (fromEnv && value.trim() === '') ? undefined : value;
  try {
    // `uri` is what is printed (a Postgres password redacted); the store opens by the full connection string.
    const { uri, connectionString } = await resolveStoreUri(given ?? defaultStoreUri());
    const warnings: SwapbenchError[] = [];
    return { store: await openStore(connectionString ?? uri, { onWarning: (w) => warnings.push(w) }), uri, warnings };
  } catch (err) {
    if (fromEnv && given !== undefined && err instanceof Error) err.message += ' (--store from SWAPBENCH_STORE)';
    throw err;
  }
}

/**
 * Run `use` with the store `command` names open, and close it whatever happens. Records the store had to
 * skip are named on stderr, one line each, and make the exit code 2: the output is missing them.
 */
export async function withCliStore<T>(ctx: CliContext, command: Command, use: (opened: CliStore) => Promise<T>): Promise<T> {
  const opened = await openCliStore(command);
  try {
    return await use(opened);
  } finally {
    // Bounded: a store whose server froze must not hold the process after its work is done.
    await within(STORE_CHECK_MS, opened.store.close());
    for (const w of opened.warnings) ctx.stderr.write(`swapbench: warning: ${w.message}\n`);
    if (opened.warnings.length > 0 && ctx.exitCode === EXIT.ok) ctx.exitCode = EXIT.usage;
  }
}
