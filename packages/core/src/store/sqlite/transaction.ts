/** Write transactions that are safe with several processes on one file. */
import type { DatabaseSync } from 'node:sqlite';

/**
 * Run `fn` in a write transaction. BEGIN IMMEDIATE takes the write lock up front, waiting up to the busy
 * timeout for another process's write to end: a deferred BEGIN that reads and then writes could fail with
 * SQLITE_BUSY on upgrading its lock (WAL gives no wait there), after having read a stale value. So a
 * compare-and-set read inside `fn` sees the latest commit and nobody can write between its read and write.
 */
export function inWriteTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // SQLite already rolled back (it does on SQLITE_FULL, for one): nothing left to undo.
    }
    throw err;
  }
}
