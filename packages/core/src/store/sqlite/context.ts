/** What the parts of the SQLite store share: the connection, the clock, and the wrapper every call runs in. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { CorruptRecordError, StoreClosedError } from '../../errors/errors.js';
import type { StoreCallOptions } from '../store.js';
import { type Checkpointer, createCheckpointer } from './checkpointer.js';
import { storeError } from './database.js';
import { inWriteTransaction } from './transaction.js';

export interface SqliteContext {
  readonly db: DatabaseSync;
  /** The database file, absolute: named in every error. */
  readonly file: string;
  /** Wall clock for timestamps, lease expiry and staleness. */
  readonly now: () => Date;
  /**
   * Run one store call: an aborted signal rejects with its reason and a closed store refuses, both before
   * any effect; a SQLite failure comes out as a StoreUnavailableError naming the file.
   */
  call<T>(options: StoreCallOptions | undefined, fn: () => T): T;
  /** `call`, with `fn` in one write transaction. */
  write<T>(options: StoreCallOptions | undefined, fn: () => T): T;
  /** A prepared statement, made once per SQL text. */
  statement(sql: string): StatementSync;
  /** Checkpoints off this thread; started by the first run created or appended to. */
  readonly checkpointer: Checkpointer;
  /** Refuse further calls, close the connection and stop the checkpointer. */
  close(): Promise<void>;
}

export function createContext(db: DatabaseSync, file: string, now: () => Date): SqliteContext {
  const statements = new Map<string, StatementSync>();
  const checkpointer = createCheckpointer(db, file);
  let closed = false;
  const call = <T>(options: StoreCallOptions | undefined, fn: () => T): T => {
    options?.signal?.throwIfAborted();
    if (closed) throw new StoreClosedError(`SQLite store ${file}`);
    try {
      return fn();
    } catch (err) {
      throw storeError(file, err);
    }
  };
  return {
    db,
    file,
    now,
    call,
    write: (options, fn) => call(options, () => inWriteTransaction(db, fn)),
    statement(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    checkpointer,
    async close() {
      if (closed) return;
      closed = true;
      statements.clear();
      db.close();
      // After this connection: the worker's is then the last, which checkpoints and removes the log.
      await checkpointer.stop();
    },
  };
}

/** A stored JSON column, or a CorruptRecordError naming the file and the record. */
export function parseJson<T>(ctx: SqliteContext, what: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new CorruptRecordError(ctx.file, undefined, `${what} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}
