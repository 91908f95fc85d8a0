/** Suites, baselines and hosts in Postgres: one row per name (id), listed by name ascending (bytewise). */
import { RunNotFoundError } from '../../errors/errors.js';
import type { SuiteInput } from '../../suite/schema.js';
import type { BaselineRecord, BaselineStore, HostRecord, HostStore, SuiteRecord, SuiteStore } from '../store.js';
import { type PostgresContext, parseJson } from './context.js';

export function createSuiteStore(ctx: PostgresContext): SuiteStore {
  type Row = { name: string; suite: string; updated_at: string };
  const record = (row: Row): SuiteRecord => ({
    name: row.name,
    suite: parseJson<SuiteInput>(ctx, `suite ${row.name}`, row.suite),
    updatedAt: row.updated_at,
  });
  return {
    async put(name, suite, o) {
      return ctx.call(o, async (db) => {
        const updatedAt = ctx.now().toISOString();
        const text = JSON.stringify(suite);
        await db.query(
          'INSERT INTO suites (name, suite, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET suite = excluded.suite, updated_at = excluded.updated_at',
          [name, text, updatedAt],
        );
        return { name, suite: JSON.parse(text) as SuiteInput, updatedAt };
      });
    },
    async get(name, o) {
      return ctx.call(o, async (db) => {
        const { rows } = await db.query<Row>('SELECT name, suite, updated_at FROM suites WHERE name = $1', [name]);
        return rows[0] && record(rows[0]);
      });
    },
    async list(o) {
      return ctx.call(o, async (db) => (await db.query<Row>('SELECT name, suite, updated_at FROM suites ORDER BY name')).rows.map(record));
    },
    async remove(name, o) {
      return ctx.call(o, async (db) => ((await db.query('DELETE FROM suites WHERE name = $1', [name])).rowCount ?? 0) > 0);
    },
  };
}

export function createBaselineStore(ctx: PostgresContext): BaselineStore {
  type Row = { name: string; run_id: string; set_at: string };
  const record = (row: Row): BaselineRecord => ({ name: row.name, runId: row.run_id, setAt: row.set_at });
  return {
    async set(name, runId, o) {
      return ctx.call(o, async (db) => {
        const setAt = ctx.now().toISOString();
        // Only when the run exists, checked in the statement for an error that names the run.
        const set = await db.query(
          `INSERT INTO baselines (name, run_id, set_at) SELECT $1, run_id, $3 FROM runs WHERE run_id = $2
          ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at`,
          [name, runId, setAt],
        );
        if (set.rowCount === 0) throw new RunNotFoundError(runId);
        return { name, runId, setAt };
      });
    },
    async get(name, o) {
      return ctx.call(o, async (db) => {
        const { rows } = await db.query<Row>('SELECT name, run_id, set_at FROM baselines WHERE name = $1', [name]);
        return rows[0] && record(rows[0]);
      });
    },
    async list(o) {
      return ctx.call(o, async (db) => (await db.query<Row>('SELECT name, run_id, set_at FROM baselines ORDER BY name')).rows.map(record));
    },
    async clear(name, o) {
      return ctx.call(o, async (db) => ((await db.query('DELETE FROM baselines WHERE name = $1', [name])).rowCount ?? 0) > 0);
    },
  };
}

export function createHostStore(ctx: PostgresContext): HostStore {
  type Row = { id: string; record: string };
  const record = (row: Row) => parseJson<HostRecord>(ctx, `host ${row.id}`, row.record);
  return {
    async put(host, o) {
      return ctx.call(o, async (db) => {
        const text = JSON.stringify({ ...host, updatedAt: ctx.now().toISOString() });
        await db.query('INSERT INTO hosts (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record', [
          host.id,
          text,
        ]);
        return JSON.parse(text) as HostRecord;
      });
    },
    async get(id, o) {
      return ctx.call(o, async (db) => {
        const { rows } = await db.query<Row>('SELECT id, record FROM hosts WHERE id = $1', [id]);
        return rows[0] && record(rows[0]);
      });
    },
    async list(o) {
      return ctx.call(o, async (db) => (await db.query<Row>('SELECT id, record FROM hosts ORDER BY id')).rows.map(record));
    },
    async remove(id, o) {
      return ctx.call(o, async (db) => ((await db.query('DELETE FROM hosts WHERE id = $1', [id])).rowCount ?? 0) > 0);
    },
  };
}
