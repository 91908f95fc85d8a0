/**
 * The SQLite Store: one database file that several processes may share (a CLI run, the HTTP server, a second
 * run on another host). Built on `node:sqlite`, so it needs no native addon and no install script.
 * Every call is synchronous underneath (DatabaseSync) and short: a write holds the file's lock for one
 * transaction, and another process waits up to the busy timeout (5 s) for it.
 */
import { resolve } from 'node:path';
import type { Store } from '../store.js';
import { createContext } from './context.js';
import { openDatabase, storeError, whileBusy } from './database.js';
import { createLeaseStore } from './leases.js';
import { migrate } from './migrations.js';
import { createBaselineStore, createHostStore, createSuiteStore } from './records.js';
import { createRunStore } from './runs.js';
import { openDurableStore } from '../open-durable.js';

export interface SqliteStoreOptions {
  /** Wall clock for record timestamps, lease expiry and run staleness; default `new Date()`. */
  now?: () => Date;
}

/**
 * Open the SQLite store at `path`, creating the file and its folder when missing and bringing its schema up
 * to date, then mark runs whose writer is gone as `interrupted` (see `RunStore.recoverInterrupted`).
 * Fails with StoreUnavailableError (a directory, an unwritable place, a file that is not a SQLite
 * database) or SchemaVersionError (a file from a newer swapbench), each naming the file.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const file = resolve(path);
  const db = openDatabase(file);
  const ctx = createContext(db, file, options.now ?? (() => new Date()));
  try {
    whileBusy(() => migrate(db, file));
  } catch (err) {
    await ctx.close();
    throw storeError(file, err);
  }
  return openDurableStore(
    {
      runs: createRunStore(ctx),
      suites: createSuiteStore(ctx),
      baselines: createBaselineStore(ctx),
      hosts: createHostStore(ctx),
      leases: createLeaseStore(ctx),
    },
    () => ctx.close(),
  );
}
