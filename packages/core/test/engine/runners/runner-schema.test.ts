/**
 * Remote runners (issue #21) in a store whose schema is not a plain lower-case name (`?schema=Team-A`): the
 * store quotes it, so pg-boss must too, or it refuses the name (a hyphen) or puts its queue in another,
 * lower-cased schema (capitals).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { adminQuery, withPostgres } from '../../store/postgres-harness.js';
import { openRunnerDb } from '../../../src/engine/runners/connection.js';
import { inSchema, runRemote, TEST_TIMEOUT_MS, useHarness, remoteSuite } from './helpers.js';

withPostgres('remote runners in a mixed-case schema', (url) => {
  const h = useHarness(url, () => `T_Runners-${randomUUID().slice(0, 8)}`);
  // A schema folded to lower case by mistake would be left behind: drop it too.
  afterEach(async () => {
    await adminQuery(url, `DROP SCHEMA IF EXISTS "${h.schema.toLowerCase()}" CASCADE`);
  });

  it(
    'keeps the queue in the store’s own schema, named as given',
    async () => {
      const { workerTransport } = await h.setUp(400, ['r1']);
      const suite = remoteSuite('mixed', { maxTokens: [8], concurrency: [2], requests: 4, runners: 1 });
      const result = await runRemote(h, workerTransport, suite);
      expect(result.status, JSON.stringify(result.error)).toBe('completed');
      expect(result.cells[0]!.n).toBe(4);
      // One share has nobody to be aligned with: the note names its runner, with no spread.
      expect(result.notes).toContain('cell m1 pp32 tg8 c2: run by one runner share (r1)');
      const tables = await adminQuery<{ schema: string }>(
        url,
        "SELECT DISTINCT table_schema AS schema FROM information_schema.tables WHERE table_name = 'job' AND lower(table_schema) = lower($1)",
        [h.schema],
      );
      expect(tables.map((t) => t.schema)).toEqual([h.schema]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sets the queue up once when several runners start together on a new schema',
    async () => {
      // Each runner creates the begun-marker table and pg-boss's; at once, Postgres failed one of them on a
      // duplicate type before the set-up took an advisory lock.
      const uri = inSchema(url, h.schema);
      // The schema as each runner's store leaves it (it creates the schema before the queue is set up).
      await adminQuery(url, `CREATE SCHEMA "${h.schema}"`);
      const opened = await Promise.allSettled(Array.from({ length: 4 }, () => openRunnerDb(uri, '--store')));
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
      expect(opened.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sets the queue up in a schema named by a reserved word (`real`)',
    async () => {
      // Unquoted, pg-boss's SQL read `real.job` as a syntax error.
      const schema = `real`;
      await adminQuery(url, `CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      try {
        const db = await openRunnerDb(inSchema(url, schema), '--store');
        await db.close();
        const tables = await adminQuery<{ n: string }>(
          url,
          "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'real' AND table_name = 'job'",
        );
        expect(Number(tables[0]?.n)).toBe(1);
      } finally {
        await adminQuery(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    },
    TEST_TIMEOUT_MS,
  );
});
