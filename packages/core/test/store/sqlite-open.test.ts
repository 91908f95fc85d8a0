/**
 * Opening a SQLite store: what it creates and how it sets up the file, every way a path can be wrong, and
 * schema versions (a newer file is refused, an older one migrated in place).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { MIGRATIONS, migrate, schemaVersion } from '../../src/store/sqlite/migrations.js';
import { expectStoreError, makeRun, makeSample } from '../contracts/store-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-sqlite-open-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A raw connection, to look at or tamper with the file behind the store's back. */
function raw(file: string): DatabaseSync {
  return new DatabaseSync(file);
}

describe('opening a SQLite store', () => {
  it('creates the file and its folders, in WAL mode, at the newest schema version', async () => {
    const file = join(dir, 'a', 'b', 'swapbench.db');
    await (await openSqliteStore(file)).close();
    const db = raw(file);
    try {
      expect(schemaVersion(db)).toBe(MIGRATIONS.length);
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all();
      expect(tables.map((t) => t.name)).toEqual(['baselines', 'hosts', 'leases', 'run_models', 'runs', 'samples', 'suites']);
    } finally {
      db.close();
    }
  });

  it('refuses a directory, naming it and the fix', async () => {
    const err = await expectStoreError(openSqliteStore(dir), 'STORE_UNAVAILABLE');
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/is a directory; give a database file/);
  });

  it('refuses a file that is not a SQLite database, and leaves it as it was', async () => {
    const file = join(dir, 'notes.db');
    await writeFile(file, 'these are my notes, not a database\n'.repeat(20));
    const err = await expectStoreError(openSqliteStore(file), 'STORE_UNAVAILABLE');
    expect(err.message).toBe(`store ${file}: is not a SQLite database; give a swapbench database, or a path where one can be created`);
    expect(await readFile(file, 'utf8')).toBe('these are my notes, not a database\n'.repeat(20));
  });

  it('refuses a place it cannot write to', async () => {
    // A regular file where a folder should be: no user (root included) can create anything under it.
    await writeFile(join(dir, 'plain-file'), 'x');
    const file = join(dir, 'plain-file', 'sub', 'swapbench.db');
    const err = await expectStoreError(openSqliteStore(file), 'STORE_UNAVAILABLE');
    expect(err.message).toBe(
      `store ${file}: cannot create its folder ${join(dir, 'plain-file', 'sub')} (ENOTDIR); choose a writable location`,
    );
  });

  it("refuses another application's SQLite database without touching it", async () => {
    const file = join(dir, 'other.db');
    const db = raw(file);
    db.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('ada')");
    db.close();
    const err = await expectStoreError(openSqliteStore(file), 'STORE_UNAVAILABLE');
    expect(err.message).toMatch(/another application/);
    const again = raw(file);
    try {
      expect(again.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all()).toEqual([{ name: 'contacts' }]);
      expect(schemaVersion(again)).toBe(0);
    } finally {
      again.close();
    }
  });

  it('refuses a database from a newer schema version, naming the file and both versions', async () => {
    const file = join(dir, 'future.db');
    await (await openSqliteStore(file)).close();
    const db = raw(file);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 3}`);
    db.close();
    const err = await expectStoreError(openSqliteStore(file), 'SCHEMA_VERSION');
    expect(err.message).toContain(file);
    expect(err.message).toContain(`schema version ${MIGRATIONS.length + 3}`);
    expect(err.message).toContain(`up to version ${MIGRATIONS.length}`);
    expect(err.message).not.toContain('\n');
  });

  it('migrates an older file in place, keeping its data, and only once', async () => {
    const file = join(dir, 'old.db');
    const store = await openSqliteStore(file);
    await store.runs.create(makeRun('kept'));
    await store.runs.appendSamples('kept', [makeSample('kept', 0)]);
    await store.close();
    // A later version that adds a column: what a real next step would look like.
    const next = [...MIGRATIONS, 'ALTER TABLE runs ADD COLUMN note TEXT'];
    const db = raw(file);
    try {
      migrate(db, file, next);
      migrate(db, file, next);
      expect(schemaVersion(db)).toBe(next.length);
      expect(db.prepare('SELECT run_id, note FROM runs').all()).toEqual([{ run_id: 'kept', note: null }]);
      expect(db.prepare('SELECT count(*) AS n FROM samples').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it('rolls a failed migration back whole: no half-made tables, the version unchanged', async () => {
    const file = join(dir, 'half.db');
    await (await openSqliteStore(file)).close();
    const db = raw(file);
    try {
      expect(() => migrate(db, file, [...MIGRATIONS, 'CREATE TABLE extra (x); CREATE TABLE runs (x)'])).toThrow(/already exists/);
      expect(schemaVersion(db)).toBe(MIGRATIONS.length);
      expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'extra'").all()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('opens a file another store has open, and a folder made by hand', async () => {
    await mkdir(join(dir, 'made'));
    const file = join(dir, 'made', 'shared.db');
    const first = await openSqliteStore(file);
    const second = await openSqliteStore(file);
    await first.runs.create(makeRun('r'));
    expect((await second.runs.get('r'))?.runId).toBe('r');
    await first.close();
    await second.close();
  });
});
