/** What the parts of the Postgres store share: the pool, the clock, and the wrapper every call runs in. */
import type { Pool, PoolClient } from 'pg';
import { CorruptRecordError, StoreClosedError } from '../../errors/errors.js';
import type { StoreCallOptions } from '../store.js';
import { storeError } from './errors.js';

/** The part of `pg`'s Pool and PoolClient the store uses. */
export type Queryable = Pick<PoolClient, 'query'>;

export interface PostgresContext {
  /** The server as shown in errors: its URI with credentials and query values redacted. */
  readonly name: string;
  /** Wall clock for record timestamps (suites, baselines, hosts); leases and staleness use the server's. */
  readonly now: () => Date;
  /**
   * Run one store call: an aborted signal rejects with its reason and a closed store refuses, both before
   * any effect; an abort during the call rejects at once with its reason (the statement still finishes on
   * the server); a Postgres failure comes out as a StoreUnavailableError naming the server.
   */
  call<T>(options: StoreCallOptions | undefined, fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** `call`, with `fn` in one transaction on one connection (rolled back if it throws). */
  transaction<T>(options: StoreCallOptions | undefined, fn: (db: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createContext(pool: Pool, name: string, now: () => Date): PostgresContext {
  let closed = false;
  const call = async <T>(options: StoreCallOptions | undefined, fn: (db: Queryable) => Promise<T>): Promise<T> => {
    const signal = options?.signal;
    signal?.throwIfAborted();
    if (closed) throw new StoreClosedError(`Postgres store ${name}`);
    const work = fn(pool).catch((err: unknown) => {
      throw storeError(name, err);
    });
    if (!signal) return work;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    // The work's own rejection must not go unhandled when the abort won the race.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  };
  return {
    name,
    now,
    call,
    transaction: (options, fn) => call(options, () => inTransaction(pool, fn)),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** Run `fn` between BEGIN and COMMIT on one pooled connection. */
export async function inTransaction<T>(pool: Pool, fn: (db: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      // The connection is unusable (it dropped): the pool must not hand it out again.
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

/** A stored JSON column, or a CorruptRecordError naming the server and the record. */
export function parseJson<T>(ctx: PostgresContext, what: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new CorruptRecordError(ctx.name, undefined, `${what} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}
