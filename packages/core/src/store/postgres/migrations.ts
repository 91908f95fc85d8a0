/**
 * The schema, as numbered steps. Applied versions are rows of `swapbench_migrations`; opening applies the
 * missing steps in one transaction under an advisory lock (so two processes opening a new database at once
 * do not both create the tables), and refuses a database written by a newer swapbench rather than guess at
 * tables it does not know. Never edit a released step: add one.
 */
import type { Pool } from 'pg';
import { SchemaVersionError, StoreUnavailableError } from '../../errors/errors.js';
import { inTransaction } from './context.js';

/**
 * Version 1: the SQLite store's tables, in Postgres types. A run is its RunResult as JSON text (`record`)
 * plus copies of what listings filter and sort on, each filter with an index ending in the sort key
 * (started_ms, run_id), so a page of newest-first runs is an index walk that stops after `limit` rows.
 * run_id sorts bytewise (COLLATE "C"), as ids compare in every other store, whatever the database's locale.
 * A sample keeps its JSON (text: it is written and read whole, and text skips jsonb's parse on insert) and
 * its ITL gaps as little-endian float64s in a bytea (see sample-codec.ts; why not double precision[]: in
 * `pg` an array travels as text, a decimal string per gap each way, ~5 times the cost of the bytes).
 * `last_write_at` and lease expiry are timestamptz on the server's clock.
 */
const V1 = `
CREATE TABLE runs (
  run_id text COLLATE "C" PRIMARY KEY,
  job_type text NOT NULL,
  suite_name text NOT NULL,
  status text NOT NULL,
  started_at text NOT NULL,
  started_ms bigint NOT NULL,
  finished_at text,
  host_id text,
  base_url text,
  tool_version text NOT NULL,
  writer_pid integer,
  writer_host text,
  last_write_at timestamptz NOT NULL,
  record text NOT NULL
);
CREATE INDEX runs_by_time ON runs (started_ms, run_id);
CREATE INDEX runs_by_status ON runs (status, started_ms, run_id);
CREATE INDEX runs_by_suite ON runs (suite_name, started_ms, run_id);
CREATE INDEX runs_by_job_type ON runs (job_type, started_ms, run_id);
CREATE INDEX runs_by_host ON runs (host_id, started_ms, run_id);
CREATE INDEX runs_by_base_url ON runs (base_url, started_ms, run_id);

CREATE TABLE run_models (
  run_id text COLLATE "C" NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  pos integer NOT NULL,
  model text NOT NULL,
  PRIMARY KEY (run_id, pos)
);
CREATE INDEX run_models_by_model ON run_models (model, run_id);

CREATE TABLE samples (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  body text NOT NULL,
  itl bytea NOT NULL
);
CREATE INDEX samples_by_run ON samples (run_id, seq);

CREATE TABLE suites (
  name text COLLATE "C" PRIMARY KEY,
  suite text NOT NULL,
  updated_at text NOT NULL
);

CREATE TABLE baselines (
  name text COLLATE "C" PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL REFERENCES runs (run_id),
  set_at text NOT NULL
);

CREATE TABLE hosts (
  id text COLLATE "C" PRIMARY KEY,
  record text NOT NULL
);

CREATE TABLE leases (
  host_id text COLLATE "C" PRIMARY KEY,
  holder text NOT NULL,
  purpose text NOT NULL,
  token text NOT NULL,
  expires_at timestamptz NOT NULL
);
`;

/** Step i takes a database from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [V1];

/**
 * Bring `schema` (created when missing) to the newest version of `steps`. A SchemaVersionError when the
 * database is newer; a StoreUnavailableError when the schema holds another application's tables.
 */
export async function migrate(pool: Pool, name: string, schema: string, steps: readonly string[] = MIGRATIONS): Promise<void> {
  const latest = steps.length;
  await inTransaction(pool, async (db) => {
    // Per schema, held to the end of the transaction: a second process waits here, then finds the tables.
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`swapbench-migrate:${schema}`]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database, which a user of a
    // schema made for it by an administrator may not have.
    const exists = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await db.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    const tracked = await db.query("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'swapbench_migrations'", [schema]);
    if (tracked.rowCount === 0) {
      const tables = await db.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1 LIMIT 3', [
        schema,
      ]);
      if (tables.rowCount)
        throw new StoreUnavailableError(
          name,
          `schema "${schema}" holds tables of another application (${tables.rows.map((r) => r.tablename).join(', ')}); ` +
            'give swapbench its own with ?schema=<name> or another database',
        );
      await db.query('CREATE TABLE swapbench_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    }
    const { rows } = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM swapbench_migrations');
    const version = rows[0]?.version ?? 0;
    if (version > latest)
      throw new SchemaVersionError(
        `${name}: schema version ${version} was written by a newer swapbench; this one reads up to version ${latest}. Upgrade swapbench to open it`,
      );
    for (let v = version; v < latest; v++) {
      await db.query(steps[v]!);
      // In the same transaction: the version moves with the tables or not at all.
      await db.query('INSERT INTO swapbench_migrations (version) VALUES ($1)', [v + 1]);
    }
  });
}

/** A Postgres identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
