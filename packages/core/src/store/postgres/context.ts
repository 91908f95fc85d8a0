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

/**
 * Errors of transactions that failed before their COMMIT was sent (or before a connection was had at all):
 * nothing of them can have been written, so they are safe to try again (see `retryUncommitted`).
 */
const uncommitted = new WeakSet<object>();

/** Run `fn` between BEGIN and COMMIT on one pooled connection. */
export async function inTransaction<T>(pool: Pool, fn: (db: Queryable) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    if (err instanceof Error) uncommitted.add(err);
    throw err;
  }
  let broken: Error | undefined;
  let committing = false;
  // A checked-out client whose connection drops emits 'error'; with no listener that is an uncaught
  // exception that kills the process (the query itself rejects too). Kept, so the pool discards the client.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    committing = true;
    await client.query('COMMIT');
    return out;
  } catch (err) {
    if (!committing && err instanceof Error) uncommitted.add(err);
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      // The connection is unusable (it dropped): the pool must not hand it out again.
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.off('error', onError);
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

/** How long a write is tried again when the server cannot be reached (a restart, a failover), at most. */
const RETRY_FOR_MS = 10_000;

/**
 * `attempt` (a `ctx.transaction`), tried again while it fails for want of a connection before its COMMIT
 * was sent (server restarting or shutting down, connection refused or dropped), for up to 10 s or until
 * `signal` aborts. So a brief outage in the middle of a run loses no samples; a statement that failed for
 * any other reason, or one whose COMMIT may have landed, is not repeated (that could store a batch twice).
 */
export async function retryUncommitted<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const start = performance.now();
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await attempt();
    } catch (err) {
      if (!connectionLost(err) || signal?.aborted || performance.now() - start + wait > RETRY_FOR_MS) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** A transaction that failed before its COMMIT because the server or the connection went away. */
function connectionLost(err: unknown): boolean {
  const raw = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (!(raw instanceof Error) || !uncommitted.has(raw)) return false;
  const code = (raw as { code?: unknown }).code;
  if (typeof code === 'string' && (/^(08|57P)/.test(code) || /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH)$/.test(code)))
    return true;
  return /^Connection terminated|timeout exceeded when trying to connect/i.test(raw.message);
}
