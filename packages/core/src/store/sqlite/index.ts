/**
 * `@swapbench/core/stores/sqlite`: the SQLite store (`node:sqlite`, Node 22.13 or later). Its own entry, so
 * the root entry never loads `node:sqlite`.
 */
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
