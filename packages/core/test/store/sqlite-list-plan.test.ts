/**
 * Run listings over a store of 1,000 runs: every filter is an index walk in newest-first order (no sort
 * step, no full scan), and page after page the SQLite store lists exactly what the memory store, the
 * reference, lists for the same runs and query. (How long a listing takes is in bench/store-insert.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/result/types.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { listSql } from '../../src/store/sqlite/run-query.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunQuery, RunSummary, Store } from '../../src/store/store.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import { makeFinishedRun, makeRun, SUITE_INPUT } from '../contracts/store-fixtures.js';

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

let dir: string;
let sqlite: Store;
let memory: Store;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-sqlite-list-'));
  sqlite = await openSqliteStore(join(dir, 'swapbench.db'));
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
    for (const store of [sqlite, memory]) {
      await store.runs.create(makeRun(runId, shape));
      if (status !== 'running') await store.runs.finish(makeFinishedRun(runId, { ...shape, status }));
    }
  }
});
afterAll(async () => {
  await sqlite.close();
  await rm(dir, { recursive: true, force: true });
});

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

describe('listing 1,000 SQLite runs', () => {
  it('walks an index in list order for every query shape: no sort step, no table scan', () => {
    const db = new DatabaseSync(join(dir, 'swapbench.db'));
    try {
      for (const query of QUERIES) {
        const { sql, params } = listSql(query);
        const plan = db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...params)
          .map((row) => String(row.detail));
        // The outer loop is the first step of the plan; subqueries (models, the model filter) follow.
        expect(plan[0], JSON.stringify(query)).toMatch(/^(SCAN|SEARCH) r USING INDEX runs_by_/);
        expect(plan.join('\n'), JSON.stringify(query)).not.toMatch(/TEMP B-TREE|SCAN r$/m);
      }
    } finally {
      db.close();
    }
  });

  it('lists page by page what the memory store lists for the same runs and query', async () => {
    for (const query of QUERIES.filter((q) => q.cursor === undefined)) {
      const expected = await everyPage(memory, query);
      expect(expected.length, JSON.stringify(query)).toBeGreaterThan(0);
      expect(await everyPage(sqlite, query), JSON.stringify(query)).toEqual(expected);
    }
    expect((await everyPage(sqlite, {})).length).toBe(RUNS);
  });

  it('starts after a cursor where the memory store does', async () => {
    for (const query of QUERIES.filter((q) => q.cursor !== undefined)) {
      expect((await sqlite.runs.list(query)).items, JSON.stringify(query)).toEqual((await memory.runs.list(query)).items);
    }
  });
});
