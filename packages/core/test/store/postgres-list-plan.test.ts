/**
 * Run listings in Postgres: every filter is an index walk in newest-first order (no sort step, no scan of
 * the whole table) on a history of 20,000 runs, and over a store of 1,000 runs page after page the Postgres
 * store lists exactly what the memory store, the reference, lists for the same runs and query.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunStatus } from '../../src/result/types.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { listSql } from '../../src/store/postgres/run-query.js';
import type { RunQuery, RunSummary, Store } from '../../src/store/store.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import { makeFinishedRun, makeRun, SUITE_INPUT } from '../contracts/store-fixtures.js';
import { adminQuery, dropSchema, uniqueSchema, withPostgres } from './postgres-harness.js';

const RUNS = 1000;
const STATUSES: RunStatus[] = ['completed', 'failed', 'cancelled', 'completed', 'running'];
const cursor = Buffer.from(JSON.stringify(['2026-11-24T10:00:00.000Z', 'run-0500'])).toString('base64url');

/** The query shapes `swapbench runs` and the HTTP API send, alone and combined. */
const QUERIES: RunQuery[] = [
  {},
  { status: 'completed' },
  { suiteName: 'suite-3' },
  { jobType: 'eval' },
  { hostId: 'host-2' },
  { baseUrl: 'http://host-1:8080' },
  { model: 'model-4' },
  { since: '2026-11-20T00:00:00.000Z', until: '2026-11-22T00:00:00.000Z' },
  { status: 'failed', since: '2026-11-21T00:00:00.000Z' },
  { model: 'model-1', hostId: 'host-0' },
  { cursor },
  { status: 'completed', cursor },
];

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Alias?: string;
  Plans?: PlanNode[];
}

function* nodes(plan: PlanNode): Generator<PlanNode> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

async function everyPage(store: Store, query: RunQuery): Promise<RunSummary[]> {
  const all: RunSummary[] = [];
  let page = await store.runs.list({ ...query, limit: 37 });
  all.push(...page.items);
  while (page.nextCursor) {
    page = await store.runs.list({ ...query, limit: 37, cursor: page.nextCursor });
    all.push(...page.items);
  }
  return all;
}

withPostgres('listing 1,000 Postgres runs', (url) => {
  const schema = uniqueSchema('list');
  let postgres: Store;
  let memory: Store;
  beforeAll(async () => {
    postgres = await openPostgresStore(url, { schema });
    memory = createMemoryStore();
    for (let i = 0; i < RUNS; i++) {
      const runId = `run-${String(i).padStart(4, '0')}`;
      // Every 7th run shares its start time with the one before: ties are broken by run id.
      const startedAt = new Date(Date.parse('2026-11-18T00:00:00.000Z') + (i - (i % 7 === 0 ? 1 : 0)) * 600_000).toISOString();
      const shape = {
        startedAt,
        jobType: i % 10 === 0 ? 'eval' : 'bench',
        host: i % 4 === 3 ? { baseUrl: 'http://adhoc:8080' } : { id: `host-${i % 3}`, baseUrl: `http://host-${i % 3}:8080` },
        suite: parseSuite({ ...SUITE_INPUT, name: `suite-${i % 5}`, models: [`model-${i % 6}`, `model-${(i + 1) % 6}`] }),
      };
      const status = STATUSES[i % STATUSES.length]!;
      for (const store of [postgres, memory]) {
        await store.runs.create(makeRun(runId, shape));
        if (status !== 'running') await store.runs.finish(makeFinishedRun(runId, { ...shape, status }));
      }
    }
    await adminQuery(url, 'ANALYZE', [], schema);
  }, 120_000);
  afterAll(async () => {
    await postgres?.close();
    await dropSchema(url, schema);
  });

  it('walks an index in list order for every query shape at 20,000 runs: no sort step, no table scan', async () => {
    // Postgres plans by cost: on 1,000 rows a sort of the few matches can be cheaper than a walk, so the
    // plans are checked on a history of a busy team's size, made in SQL (same spread as the runs above).
    const big = uniqueSchema('plan');
    try {
      await (await openPostgresStore(url, { schema: big })).close();
      await adminQuery(
        url,
        `INSERT INTO runs (run_id, job_type, suite_name, status, started_at, started_ms, finished_at, host_id, base_url, tool_version,
          writer_pid, writer_host, last_write_at, record)
        SELECT 'run-' || lpad(i::text, 5, '0'), CASE WHEN i % 10 = 0 THEN 'eval' ELSE 'bench' END, 'suite-' || (i % 5),
          (ARRAY['completed', 'failed', 'cancelled', 'completed', 'running'])[i % 5 + 1], '', t, NULL,
          CASE WHEN i % 4 = 3 THEN NULL ELSE 'host-' || (i % 3) END,
          CASE WHEN i % 4 = 3 THEN 'http://adhoc:8080' ELSE 'http://host-' || (i % 3) || ':8080' END, '0.1.0', 1, 'x', now(), '{}'
        FROM (SELECT i, ${Date.parse('2026-11-01T00:00:00.000Z')}::bigint + i::bigint * 60000 AS t FROM generate_series(0, 19999) i) g;
        INSERT INTO run_models (run_id, pos, model) SELECT run_id, p, 'model-' || ((substr(run_id, 5)::int + p) % 6)
          FROM runs, generate_series(0, 1) p;
        ANALYZE`,
        [],
        big,
      );
      for (const query of QUERIES) {
        const { sql, params } = listSql(query);
        const [row] = await adminQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(url, `EXPLAIN (FORMAT JSON) ${sql}`, params, big);
        const all = [...nodes(row!['QUERY PLAN'][0]!.Plan)];
        const overRuns = all.filter((n) => n['Relation Name'] === 'runs');
        expect(
          overRuns.map((n) => `${n['Node Type']} ${n['Index Name']}`),
          JSON.stringify(query),
        ).toEqual([expect.stringMatching(/^Index (Only )?Scan runs_by_/)]);
        expect(
          all.filter((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Seq Scan').map((n) => n['Node Type']),
          JSON.stringify(query),
        ).toEqual([]);
      }
    } finally {
      await dropSchema(url, big);
    }
  });

  it('lists page by page what the memory store lists for the same runs and query', async () => {
    for (const query of QUERIES.filter((q) => q.cursor === undefined)) {
      const expected = await everyPage(memory, query);
      expect(expected.length, JSON.stringify(query)).toBeGreaterThan(0);
      expect(await everyPage(postgres, query), JSON.stringify(query)).toEqual(expected);
    }
    expect((await everyPage(postgres, {})).length).toBe(RUNS);
  });

  it('starts after a cursor where the memory store does', async () => {
    for (const query of QUERIES.filter((q) => q.cursor !== undefined)) {
      expect((await postgres.runs.list(query)).items, JSON.stringify(query)).toEqual((await memory.runs.list(query)).items);
    }
  });
});
