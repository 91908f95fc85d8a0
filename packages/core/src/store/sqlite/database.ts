/**
 * Opening the SQLite file: `node:sqlite` reached on first use (the root entry never loads it), the folder
 * created when missing, the connection set up for a store shared by several processes, and every way
 * opening can fail turned into a StoreUnavailableError that names the file and what to do.
 */
import { statSync } from 'node:fs';
import { makeDirsSync } from '../make-dirs.js';
import { dirname, join, resolve } from 'node:path';
import type * as Sqlite from 'node:sqlite';
import type { DatabaseSync } from 'node:sqlite';
import { StoreUnavailableError, SwapbenchError } from '../../errors/errors.js';

/** How long a statement waits for another process's write lock before it fails with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * 16 KiB pages: a realistic sample row (~2.8 KB) is packed 5 to a page, where 4 KiB pages hold one and 8 KiB
 * pages two (the rest of each page left empty). Measured: 3.3 KB per sample on disk instead of 4.1 KB, and
 * 1.4 times the insert rate of 8 KiB pages (bench/store-insert.ts). Only a new file takes it; an existing
 * one keeps its page size.
 */
const PAGE_SIZE = 16_384;

/** Open (creating it and its folder if missing) the database at `path`, ready for the store. */
export function openDatabase(path: string): DatabaseSync {
  const file = resolve(path);
  const kind = statSync(file, { throwIfNoEntry: false });
  if (kind?.isDirectory())
    throw new StoreUnavailableError(file, `is a directory; give a database file, e.g. ${join(file, 'swapbench.db')}`);
  if (!kind) {
    try {
      makeDirsSync(dirname(file));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new StoreUnavailableError(file, `cannot create its folder ${dirname(file)} (${code}); choose a writable location`, {
        cause: err,
      });
    }
  }
  const { DatabaseSync } = loadSqlite(file);
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
    // busy_timeout again as a pragma: Node before 22.16 ignores the `timeout` option.
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; PRAGMA page_size = ${PAGE_SIZE}`);
    // WAL: readers never wait for the writer, and a commit is one append to the log. NORMAL sync in WAL
    // mode still survives a killed process (a committed batch is in the OS's cache, and the log replays on
    // the next open); only a power cut or OS crash can lose the last commits, never corrupt the file.
    const opened = db;
    whileBusy(() => opened.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL'));
    return db;
  } catch (err) {
    db?.close();
    throw storeError(file, err);
  }
}

/**
 * Run `step` again while SQLite answers SQLITE_BUSY, up to the busy timeout. Switching a new file to WAL,
 * or migrating it, while another process does the same can get BUSY at once, without SQLite's own busy
 * handler waiting (two processes opening one new file: seen in the concurrent-writers test).
 */
export function whileBusy<T>(step: () => T): T {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      return step();
    } catch (err) {
      if (!isSqliteError(err) || (err.errcode & 0xff) !== 5 || performance.now() >= deadline) throw err;
      // A synchronous pause: opening a store is synchronous, and this happens only while another opens it too.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

/** `node:sqlite`, or a StoreUnavailableError on a Node that has none. */
function loadSqlite(file: string): typeof Sqlite {
  const sqlite = process.getBuiltinModule('node:sqlite') as typeof Sqlite | undefined;
  if (!sqlite) throw new StoreUnavailableError(file, `node:sqlite is not available in Node ${process.version}; use Node 22.13 or later`);
  return sqlite;
}

/** A SQLite failure as a StoreUnavailableError naming the file and what to do; other errors unchanged. */
export function storeError(file: string, err: unknown): unknown {
  if (SwapbenchError.is(err) || !isSqliteError(err)) return err;
  return new StoreUnavailableError(file, sqliteProblem(err), { cause: err });
}

interface SqliteError extends Error {
  errcode: number;
  errstr: string;
}

function isSqliteError(err: unknown): err is SqliteError {
  return (
    err instanceof Error && (err as { code?: unknown }).code === 'ERR_SQLITE_ERROR' && typeof (err as SqliteError).errcode === 'number'
  );
}

/** What went wrong and what to do, by SQLite's primary result code (the low byte of an extended one). */
function sqliteProblem(err: SqliteError): string {
  switch (err.errcode & 0xff) {
    case 5: // SQLITE_BUSY
    case 6: // SQLITE_LOCKED
      return `is locked by another process for more than ${BUSY_TIMEOUT_MS / 1000} s; try again when it is done`;
    case 8: // SQLITE_READONLY
      return 'is read-only; make it (and its folder) writable or choose another file';
    case 11: // SQLITE_CORRUPT
      return `is damaged (${err.errstr}); restore it from a backup or choose another file`;
    case 13: // SQLITE_FULL
      return 'cannot grow: the disk is full';
    case 14: // SQLITE_CANTOPEN
      return 'cannot be opened; check that it and its folder are writable';
    case 26: // SQLITE_NOTADB
      return 'is not a SQLite database; give a swapbench database, or a path where one can be created';
    default:
      return `SQLite error: ${err.message}`;
  }
}
