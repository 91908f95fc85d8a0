/**
 * The Postgres Store: history and host leases a team shares across machines (nightly CI jobs, laptops, the
 * HTTP server), on the `pg` driver with a connection pool. Same tables as the SQLite store; leases and run
 * staleness read the server's clock, so machines whose clocks disagree still agree (see leases.ts).
 */
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { StoreUnavailableError } from '../../errors/errors.js';
import type { Store } from '../store.js';
import { createContext } from './context.js';
import { storeError } from './errors.js';
import { createLeaseStore } from './leases.js';
import { withPgpassPassword } from './pgpass.js';
import { checkPostgresUri, shownPostgresUri } from './uri.js';
import { migrate, quoteIdent } from './migrations.js';
import { createBaselineStore, createHostStore, createSuiteStore } from './records.js';
import { createRunStore } from './runs.js';
import type { InsertMode } from './samples.js';
import { openDurableStore } from '../open-durable.js';

/**
 * Connection settings, as `pg`'s PoolConfig names them (a PoolConfig can be passed as it is); declared here
 * so the store's types do not need `@types/pg`.
 */
export interface PostgresConnectionConfig {
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  password?: string | (() => string | Promise<string>) | undefined;
  database?: string | undefined;
  ssl?: boolean | ConnectionOptions | undefined;
  application_name?: string | undefined;
  /** Pool size; `maxConnections` wins. */
  max?: number | undefined;
  /** Connect timeout; `connectTimeoutMs` wins. */
  connectionTimeoutMillis?: number | undefined;
  idleTimeoutMillis?: number | undefined;
  statement_timeout?: number | undefined;
}

export interface PostgresStoreOptions {
  /**
   * The schema that holds swapbench's tables, created when missing (default: the URI's `?schema=`, else
   * `public`). Several teams or test suites can share one database, each in its own schema.
   */
  schema?: string;
  /** Connections in the pool (default 4: a run appends from one, listings and leases use the others). */
  maxConnections?: number;
  /** How long to wait for a connection before failing (default 10 s). */
  connectTimeoutMs?: number;
  /** Wall clock for record timestamps (suites, baselines, hosts); default `new Date()`. */
  now?: () => Date;
  /** How sample batches are inserted; `unnest` exists for bench/store-insert-postgres.ts to compare. */
  sampleInsert?: InsertMode;
  /**
   * Appends leave a run's writer (the process that created it) as it is; by default whoever appends becomes
   * the writer. For remote runners, which append to runs another process is measuring.
   */
  keepWriter?: boolean;
}

/**
 * Open the Postgres store at `connection` (a `postgres://user:pass@host:port/db` URI, or `pg` pool settings),
 * bring its schema up to date and mark runs whose writer is gone as `interrupted`. Fails with a
 * StoreUnavailableError naming the server with its credentials redacted (unreachable, login refused, no
 * such database, a schema of another application) or a SchemaVersionError (written by a newer swapbench).
 */
export async function openPostgresStore(connection: string | PostgresConnectionConfig, options: PostgresStoreOptions = {}): Promise<Store> {
  const { config, name, schemaInUri } = poolConfig(connection);
  const schema = options.schema ?? schemaInUri ?? 'public';
  const pool = new pg.Pool({
    ...config,
    max: options.maxConnections ?? config.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? config.connectionTimeoutMillis ?? 10_000,
    keepAlive: true,
    allowExitOnIdle: true,
    // Awaited by the pool before it hands the connection out, so every statement sees the schema's tables.
    // (Not a query fired from the 'connect' event: the caller's first query then queues behind it, which
    // makes pg print a DeprecationWarning on stderr.)
    onConnect: async (client) => {
      await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    },
  });
  // An idle connection that drops (a server restart) must not crash the process: the next query reports it.
  pool.on('error', () => undefined);
  const ctx = createContext(pool, name, options.now ?? (() => new Date()));
  try {
    await migrate(pool, name, schema);
  } catch (err) {
    await ctx.close();
    throw storeError(name, err);
  }
  return openDurableStore(
    {
      runs: createRunStore(ctx, options.sampleInsert, options.keepWriter),
      suites: createSuiteStore(ctx),
      baselines: createBaselineStore(ctx),
      hosts: createHostStore(ctx),
      leases: createLeaseStore(ctx),
    },
    () => ctx.close(),
  );
}

/** libpq's `sslmode` values that pg can honour (`allow`, plain text first, it cannot). */
const SSL_MODES = new Set(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']);

/** The pool's settings, the name errors show (no credentials), and the URI's `schema` parameter. */
function poolConfig(connection: string | PostgresConnectionConfig): {
  config: pg.PoolConfig;
  name: string;
  schemaInUri?: string | undefined;
} {
  if (typeof connection !== 'string') {
    const { host = 'localhost', port = 5432, database = '', user, connectionString } = connection;
    const name = connectionString ? shownPostgresUri(connectionString) : `postgres://${user ? '***@' : ''}${host}:${port}/${database}`;
    return { config: connection, name };
  }
  const name = shownPostgresUri(connection);
  checkPostgresUri(connection);
  if (!URL.canParse(connection)) return { config: { connectionString: connection }, name };
  // `schema` is ours, not libpq's: taken out so the driver does not pass it on as a server setting.
  const url = new URL(connection);
  const schemas = url.searchParams.getAll('schema');
  // An empty or repeated `schema` is a typo, not a request for `public` or for the first one.
  if (schemas.length > 1) throw new StoreUnavailableError(name, '?schema= is given more than once; name one schema');
  if (schemas[0] === '') throw new StoreUnavailableError(name, '?schema= is empty; name a schema or leave it out for public');
  url.searchParams.delete('schema');
  // The URI is libpq's, so is `sslmode` (`require`: encrypted, certificate not checked). Without this pg
  // treats require/prefer/verify-ca as verify-full and prints a multi-line SECURITY WARNING on stderr.
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !url.searchParams.has('uselibpqcompat')) url.searchParams.set('uselibpqcompat', 'true');
  if (sslmode === 'verify-ca' && !url.searchParams.has('sslrootcert'))
    throw new StoreUnavailableError(name, 'sslmode=verify-ca needs sslrootcert=<CA file>; or use sslmode=verify-full');
  if (sslmode !== null && !SSL_MODES.has(sslmode))
    throw new StoreUnavailableError(name, `sslmode must be one of ${[...SSL_MODES].join(', ')}`);
  // ~/.pgpass read here: pg's own reading of it prints a DeprecationWarning on stderr.
  return { config: { connectionString: withPgpassPassword(url).toString() }, name, schemaInUri: schemas[0] };
}
