/**
 * How fast the Postgres store takes samples, and how fast it lists history, against a real server. Appends
 * realistic samples (256 ITL gaps each) in batches of 64 to 256, as the engine appends them while a run
 * measures, once per way of inserting a batch (`values`: the store's multi-row INSERT with each gap array
 * as a binary bytea parameter; `unnest`: one INSERT … SELECT FROM unnest(text[], bytea[]) per batch);
 * then lists a store of 1,000 runs the way `swapbench runs` does. Everything goes into a schema of its own,
 * dropped at the end.
 *
 *   bash .ci/postgres.sh node bench/store-insert-postgres.ts      (after `pnpm build`; a throwaway server)
 *   node bench/store-insert-postgres.ts --url postgres://user:pass@host/db --samples 300000 --insert values
 *
 * Last runs (2026-11-30, 2-vCPU VM at load average 5-7 from other work, Node 24.21, PostgreSQL 15.18 on
 * loopback, fsync off as .ci/postgres.sh starts it; 100,000 samples), five in a row: `values` 9,000-18,100
 * samples/s, one append p50 8-13 ms, p99 23-90 ms, client CPU 15-16 µs/sample (the server is the limit);
 * `unnest` 7,400-11,300 samples/s at 21 µs/sample of client CPU (the hex text), slower in every run.
 * 3,660 bytes/sample with indexes (rows of ~2.8 KB: two per 8 KiB page). Read back 31,000-61,000
 * samples/s. 1,000 runs: open + first page 13-23 ms, all 20 pages 10-25 ms. COPY was not tried: it needs
 * another package (pg-copy-streams), and the server, not the client, is the limit here.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Sample } from '@swapbench/core';
import { openPostgresStore } from '@swapbench/core/stores/postgres';
import pg from 'pg';
import { random, run, sample } from './store-insert-records.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.SWAPBENCH_TEST_POSTGRES ?? '' },
    samples: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '1000' },
    insert: { type: 'string', default: 'values,unnest' },
  },
});
if (!args.url) {
  console.error(
    'store-insert-postgres: no server; give --url postgres://… or run: bash .ci/postgres.sh node bench/store-insert-postgres.ts',
  );
  process.exit(2);
}
const url = args.url;
const TOTAL = Number(args.samples);
const RUNS = Number(args.runs);
const MODES = args.insert.split(',') as Array<'values' | 'unnest'>;
const POOL = 2048;
const rand = random(42);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function admin<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const schemas: string[] = [];
const newSchema = () => {
  const name = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  schemas.push(name);
  return name;
};

try {
  const pool = Array.from({ length: POOL }, (_, i) => sample('bench-run', i, rand));
  const version = (await admin<{ server_version: string }>('SHOW server_version'))[0]!.server_version;
  console.log(
    `Postgres store (PostgreSQL ${version}), ${fmt(TOTAL)} samples of 256 ITL gaps in batches of 64-256 (Node ${process.version})`,
  );
  for (const mode of MODES) {
    const schema = newSchema();
    const store = await openPostgresStore(url, { schema, sampleInsert: mode });
    await store.runs.create(run('bench-run'));
    const blocked: number[] = [];
    let written = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    while (written < TOTAL) {
      const size = Math.min(TOTAL - written, 64 + Math.floor(rand() * 193));
      const batch: Sample[] = [];
      // Fresh seq, shared arrays: generating samples is not what is measured.
      for (let i = 0; i < size; i++) batch.push({ ...pool[(written + i) % POOL]!, seq: written + i });
      const before = performance.now();
      await store.runs.appendSamples('bench-run', batch);
      blocked.push(performance.now() - before);
      written += size;
    }
    const insertMs = performance.now() - start;
    const { user, system } = process.cpuUsage(cpu);
    blocked.sort((a, b) => a - b);
    const t = performance.now();
    let read = 0;
    for await (const _ of store.runs.samples('bench-run')) read++;
    const readMs = performance.now() - t;
    await store.close();
    const { bytes } = (await admin<{ bytes: string }>(`SELECT pg_total_relation_size('"${schema}".samples') AS bytes`))[0]!;
    console.log(`  ${mode.padEnd(7)} insert    ${fmt(TOTAL / (insertMs / 1000))} samples/s (${fmt(insertMs)} ms)`);
    console.log(`          client CPU ${fmt((user + system) / TOTAL, 1)} µs/sample (the rest of the time is the server's, or waiting)`);
    console.log(
      `          one append p50 ${fmt(quantile(blocked, 0.5), 2)} ms, p99 ${fmt(quantile(blocked, 0.99), 2)} ms, max ${fmt(blocked.at(-1)!, 2)} ms`,
    );
    console.log(`          table      ${fmt(Number(bytes) / 1e6, 1)} MB with indexes, ${fmt(Number(bytes) / TOTAL)} bytes/sample`);
    console.log(`          read back  ${fmt(read / (readMs / 1000))} samples/s`);
  }

  // History: RUNS runs, then `swapbench runs` (open + first page) and every page.
  const schema = newSchema();
  const history = await openPostgresStore(url, { schema });
  for (let i = 0; i < RUNS; i++) {
    const r = run(`run-${String(i).padStart(5, '0')}`, new Date(Date.parse('2026-01-01T00:00:00Z') + i * 60_000).toISOString());
    await history.runs.create(r);
    await history.runs.finish({ ...r, status: 'completed', finishedAt: r.startedAt });
  }
  await history.close();
  let t = performance.now();
  const cli = await openPostgresStore(url, { schema });
  const firstPage = await cli.runs.list({ limit: 50 });
  const openAndListMs = performance.now() - t;
  t = performance.now();
  let listed = firstPage.items.length;
  let page = firstPage;
  while (page.nextCursor) {
    page = await cli.runs.list({ limit: 50, cursor: page.nextCursor });
    listed += page.items.length;
  }
  const pagesMs = performance.now() - t;
  t = performance.now();
  const filtered = await cli.runs.list({ model: 'qwen3-8b', status: 'completed', since: '2026-01-01T05:00:00Z', limit: 50 });
  const filteredMs = performance.now() - t;
  await cli.close();
  console.log(`History of ${fmt(RUNS)} runs`);
  console.log(`  open + first page ${fmt(openAndListMs, 1)} ms (what \`swapbench runs\` does: connect, check the schema, list)`);
  console.log(`  every page of 50  ${fmt(pagesMs, 1)} ms for ${fmt(listed - firstPage.items.length)} more runs`);
  console.log(`  filtered page     ${fmt(filteredMs, 2)} ms (model + status + since, ${filtered.items.length} runs)`);
} finally {
  for (const schema of schemas) await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
