/**
 * The schema, as numbered steps. The file's version is `PRAGMA user_version` (0: empty); opening applies the
 * missing steps in one transaction, and refuses a file written by a newer swapbench rather than guess at
 * tables it does not know. Never edit a released step: add one.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SchemaVersionError, StoreUnavailableError } from '../../errors/errors.js';
import { inWriteTransaction } from './transaction.js';

/**
 * Version 1. A run is its RunResult as JSON (`record`) plus copies of what listings filter and sort on, each
 * filter with an index that ends in the sort key (started_ms, run_id), so a page of newest-first runs is
 * an index walk that stops after `limit` rows. `started_ms` is `startedAt` in ms (the order is by time, not
 * by the ISO string). A sample row keeps its ITL gaps as little-endian float64s (`itl`, exact and ~8 times
 * cheaper to write than JSON numbers) and the rest as JSON; `seq` is the store-wide append order.
 */
const V1 = `
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  job_type TEXT NOT NULL,
  suite_name TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_at TEXT,
  host_id TEXT,
  base_url TEXT,
  tool_version TEXT NOT NULL,
  writer_pid INTEGER,
  writer_host TEXT,
  last_write_at TEXT NOT NULL,
  record TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_time ON runs (started_ms, run_id);
CREATE INDEX runs_by_status ON runs (status, started_ms, run_id);
CREATE INDEX runs_by_suite ON runs (suite_name, started_ms, run_id);
CREATE INDEX runs_by_job_type ON runs (job_type, started_ms, run_id);
CREATE INDEX runs_by_host ON runs (host_id, started_ms, run_id);
CREATE INDEX runs_by_base_url ON runs (base_url, started_ms, run_id);

CREATE TABLE run_models (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  pos INTEGER NOT NULL,
  model TEXT NOT NULL,
  PRIMARY KEY (run_id, pos)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_models_by_model ON run_models (model, run_id);

CREATE TABLE samples (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  itl BLOB NOT NULL
) STRICT;
CREATE INDEX samples_by_run ON samples (run_id, seq);

CREATE TABLE suites (
  name TEXT PRIMARY KEY,
  suite TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE baselines (
  name TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (run_id),
  set_at TEXT NOT NULL
) STRICT;

CREATE TABLE hosts (
  id TEXT PRIMARY KEY,
  record TEXT NOT NULL
) STRICT;

CREATE TABLE leases (
  host_id TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  purpose TEXT NOT NULL,
  token TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;
`;

/** Step i takes a file from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [V1];

/**
 * Bring the database at `file` to the newest version of `steps` (a test may pass more). A SchemaVersionError
 * when the file is newer; a StoreUnavailableError when it holds another application's tables.
 */
export function migrate(db: DatabaseSync, file: string, steps: readonly string[] = MIGRATIONS): void {
  const latest = steps.length;
  // Read first: an up-to-date file (every open but the first) takes no write lock.
  if (checkedVersion(db, file, latest) === latest) return;
  inWriteTransaction(db, () => {
    // Again under the lock: another process may have migrated meanwhile.
    const version = checkedVersion(db, file, latest);
    if (version === 0 && hasTables(db))
      throw new StoreUnavailableError(
        file,
        'is a SQLite database of another application (it has tables but no swapbench schema); choose another file',
      );
    for (let v = version; v < latest; v++) db.exec(steps[v]!);
    // Inside the transaction: the version moves with the tables or not at all.
    db.exec(`PRAGMA user_version = ${latest}`);
  });
}

/** The schema version of the open database. */
export function schemaVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
}

function checkedVersion(db: DatabaseSync, file: string, latest: number): number {
  const version = schemaVersion(db);
  if (version > latest)
    throw new SchemaVersionError(
      `${file}: schema version ${version} was written by a newer swapbench; this one reads up to version ${latest}. Upgrade swapbench to open it`,
    );
  return version;
}

function hasTables(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' LIMIT 1").get() !== undefined;
}
