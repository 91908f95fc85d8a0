/**
 * The database runners and their coordinator meet in: the store's (a `postgres://` URI, its `?schema=`
 * naming the schema that holds the store's tables, pg-boss's and ours). One small pg pool with that schema
 * on its search path, for reading the database's clock, begun markers and samples.
 */
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { ConfigError, StoreUnavailableError } from '../../errors/errors.js';
import { quoteIdent } from '../../store/postgres/migrations.js';
import { checkPostgresUri, shownPostgresUri } from '../../store/postgres/uri.js';
import { errorMessage } from '../../util/error-message.js';
import { BEGUN_DDL, SHARE_QUEUE } from './protocol.js';

/** A runner's or a coordinator's link to the shared database. */
export interface RunnerDb {
  /** The URI as shown (no credentials). */
  readonly name: string;
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly boss: PgBoss;
  close(): Promise<void>;
}

/** pg-boss's own monitor fails an active share not touched for this long (its minimum is 10 s); ours is faster. */
const BOSS_HEARTBEAT_S = 30;

/** Open the pool and start pg-boss in the store's schema, with the share queue made (once per database). */
export async function openRunnerDb(uri: string, what: string): Promise<RunnerDb> {
  if (!/^postgres(ql)?:\/\//i.test(uri))
    throw new ConfigError([
      { path: what, message: `runners meet in a PostgreSQL store: give a postgres:// URI (got ${shownPostgresUri(uri)})` },
    ]);
  checkPostgresUri(uri);
  const name = shownPostgresUri(uri);
  const url = new URL(uri);
  const schema = url.searchParams.get('schema') || 'public';
  // `schema` is ours, not libpq's (as in the store).
  url.searchParams.delete('schema');
  const connectionString = url.toString();
  const pool = new pg.Pool({
    connectionString,
    max: 3,
    allowExitOnIdle: true,
    onConnect: async (client) => {
      await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    },
  });
  pool.on('error', () => undefined);
  let boss: PgBoss;
  try {
    // pg-boss writes the schema into its SQL as given: unquoted, `Team` is folded to `team`, `team-a` is
    // refused, and a reserved word (`real`, `user`) is a syntax error. The store quotes its schema, so
    // pg-boss gets it quoted too: the very schema the store's tables are in.
    const quoted = `"${schema.replaceAll('"', '""')}"`;
    boss = new PgBoss({ connectionString, schema: quoted, allowSchemaCaseVariant: true, schedule: false, max: 3 });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new ConfigError([{ path: what, message: `?schema= cannot hold the runners' queue: ${errorMessage(err)}` }]);
  }
  // pg-boss reports trouble it recovers from (a dropped connection) as events; unheard, 'error' would throw.
  boss.on('error', () => undefined);
  try {
    // One at a time per schema: runners started together on a new schema both ran `CREATE TABLE IF NOT
    // EXISTS` and pg-boss's install, and one failed on a duplicate type (Postgres does not serialize those).
    const setup = await pool.connect();
    const lock = `swapbench-runners:${schema}`;
    try {
      await setup.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
      await setup.query(BEGUN_DDL);
      await boss.start();
      await boss.createQueue(SHARE_QUEUE, {
        // A share is never run twice: its requests' numbers are reserved once, and a retry would store them twice.
        retryLimit: 0,
        expireInSeconds: 24 * 3600,
        heartbeatSeconds: BOSS_HEARTBEAT_S,
        deleteAfterSeconds: 24 * 3600,
      });
    } finally {
      await setup.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]).catch(() => undefined);
      setup.release();
    }
  } catch (err) {
    await Promise.allSettled([boss.stop({ graceful: false, close: true }), pool.end()]);
    throw new StoreUnavailableError(name, `cannot set up the runners' queue: ${errorMessage(err)}`, { cause: err });
  }
  return {
    name,
    schema,
    pool,
    boss,
    async close() {
      await Promise.allSettled([boss.stop({ graceful: false, close: true, timeout: 2000 })]);
      await pool.end().catch(() => undefined);
    },
  };
}

/** The database's clock now, epoch ms. */
export async function dbNowMs(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ ms: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms');
  return rows[0]!.ms;
}
