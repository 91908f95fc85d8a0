/** Suites, baselines and hosts in SQLite: one row per name (id), listed by name ascending. */
import { RunNotFoundError } from '../../errors/errors.js';
import type { SuiteInput } from '../../suite/schema.js';
import type { BaselineRecord, BaselineStore, HostRecord, HostStore, SuiteRecord, SuiteStore } from '../store.js';
import { parseJson, type SqliteContext } from './context.js';

export function createSuiteStore(ctx: SqliteContext): SuiteStore {
  const sql = ctx.statement.bind(ctx);
  const record = (row: { name: string; suite: string; updated_at: string }): SuiteRecord => ({
    name: row.name,
    suite: parseJson<SuiteInput>(ctx, `suite ${row.name}`, row.suite),
    updatedAt: row.updated_at,
  });
  return {
    async put(name, suite, o) {
      return ctx.write(o, () => {
        const updatedAt = ctx.now().toISOString();
        const text = JSON.stringify(suite);
        sql(
          'INSERT INTO suites (name, suite, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET suite = excluded.suite, updated_at = excluded.updated_at',
        ).run(name, text, updatedAt);
        return { name, suite: JSON.parse(text) as SuiteInput, updatedAt };
      });
    },
    async get(name, o) {
      return ctx.call(o, () => {
        const row = sql('SELECT name, suite, updated_at FROM suites WHERE name = ?').get(name) as Parameters<typeof record>[0] | undefined;
        return row && record(row);
      });
    },
    async list(o) {
      return ctx.call(o, () =>
        (sql('SELECT name, suite, updated_at FROM suites ORDER BY name').all() as Array<Parameters<typeof record>[0]>).map(record),
      );
    },
    async remove(name, o) {
      return ctx.write(o, () => Number(sql('DELETE FROM suites WHERE name = ?').run(name).changes) > 0);
    },
  };
}

export function createBaselineStore(ctx: SqliteContext): BaselineStore {
  const sql = ctx.statement.bind(ctx);
  const record = (row: { name: string; run_id: string; set_at: string }): BaselineRecord => ({
    name: row.name,
    runId: row.run_id,
    setAt: row.set_at,
  });
  return {
    async set(name, runId, o) {
      return ctx.write(o, () => {
        // Checked here, not left to the foreign key, for an error that names the run.
        if (sql('SELECT 1 FROM runs WHERE run_id = ?').get(runId) === undefined) throw new RunNotFoundError(runId);
        const setAt = ctx.now().toISOString();
        sql(
          'INSERT INTO baselines (name, run_id, set_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at',
        ).run(name, runId, setAt);
        return { name, runId, setAt };
      });
    },
    async get(name, o) {
      return ctx.call(o, () => {
        const row = sql('SELECT name, run_id, set_at FROM baselines WHERE name = ?').get(name) as Parameters<typeof record>[0] | undefined;
        return row && record(row);
      });
    },
    async list(o) {
      return ctx.call(o, () =>
        (sql('SELECT name, run_id, set_at FROM baselines ORDER BY name').all() as Array<Parameters<typeof record>[0]>).map(record),
      );
    },
    async clear(name, o) {
      return ctx.write(o, () => Number(sql('DELETE FROM baselines WHERE name = ?').run(name).changes) > 0);
    },
  };
}

export function createHostStore(ctx: SqliteContext): HostStore {
  const sql = ctx.statement.bind(ctx);
  const record = (row: { id: string; record: string }) => parseJson<HostRecord>(ctx, `host ${row.id}`, row.record);
  return {
    async put(host, o) {
      return ctx.write(o, () => {
        const text = JSON.stringify({ ...host, updatedAt: ctx.now().toISOString() });
        sql('INSERT INTO hosts (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record').run(host.id, text);
        return JSON.parse(text) as HostRecord;
      });
    },
    async get(id, o) {
      return ctx.call(o, () => {
        const row = sql('SELECT id, record FROM hosts WHERE id = ?').get(id) as { id: string; record: string } | undefined;
        return row && record(row);
      });
    },
    async list(o) {
      return ctx.call(o, () =>
        (sql('SELECT id, record FROM hosts ORDER BY id').all() as Array<{ id: string; record: string }>).map(record),
      );
    },
    async remove(id, o) {
      return ctx.write(o, () => Number(sql('DELETE FROM hosts WHERE id = ?').run(id).changes) > 0);
    },
  };
}
