/**
 * `@swapbench/core/stores/postgres`: the PostgreSQL store, for history and host leases shared across
 * machines. Its own entry, so only a program that uses it loads `pg`.
 */
export { openPostgresStore, type PostgresConnectionConfig, type PostgresStoreOptions } from './postgres-store.js';
