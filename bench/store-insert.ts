/**
 * How fast the SQLite store takes samples, and how fast it lists history. Appends realistic samples (256
 * generated tokens: 256 ITL gaps of full float64 precision, as differences of performance.now() readings)
 * in batches of 64 to 256, as the engine appends them while a run measures, into a new file in a temp
 * folder; then lists a store of 1,000 runs the way `swapbench runs` does (open, first page) and page by page.
 *
 *   node bench/store-insert.ts                       (after `pnpm build`)
 *   node bench/store-insert.ts --samples 1000000 --runs 5000
 *
 * Prints samples/s, what one append of a batch blocks the event loop for (p50 / p99 / max: the tail is
 * SQLite copying its log into the file every ~8 MB), the file's bytes per sample, and the cost of JSON for
 * a sample with and without its ITL gaps (the store writes the gaps as float64s: see sample-codec.ts).
 * Target on a 2-core machine: at least 50,000 samples/s.
 *
 * Last runs (2026-11-30, 2-vCPU VM, ext4, Node 24.21, SQLite 3.53), three in a row: 116,000-121,000
 * samples/s; one append p50 1.2 ms, p99 3.7-4.0 ms, max 8-10 ms; 3,305 bytes per sample; 1,000 runs:
 * open + first page 1.3-1.5 ms, all 20 pages 3.3-4.2 ms. Before the float64 gaps, 16 KiB pages and the
 * checkpoint worker (everything JSON, 4 KiB pages, checkpoints on the writing thread): 19,000-27,000
 * samples/s. The figures move by tens of percent between runs with the disk's state.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Sample } from '@swapbench/core';
import { openSqliteStore } from '@swapbench/core/stores/sqlite';
import { random, run, sample } from './store-insert-records.ts';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '1000' },
  },
});
const TOTAL = Number(args.samples);
const RUNS = Number(args.runs);
const POOL = 2048;

const rand = random(42);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const dir = await mkdtemp(join(tmpdir(), 'swapbench-store-bench-'));
try {
  const pool = Array.from({ length: POOL }, (_, i) => sample('bench-run', i, rand));

  // What JSON costs per sample, whole and without its gaps (the store's split); one untimed round first.
  const jsonRounds = 20_000;
  for (let i = 0; i < jsonRounds; i++) JSON.stringify(pool[i % POOL]);
  let t = performance.now();
  for (let i = 0; i < jsonRounds; i++) JSON.stringify(pool[i % POOL]);
  const wholeUs = ((performance.now() - t) * 1000) / jsonRounds;
  t = performance.now();
  for (let i = 0; i < jsonRounds; i++) {
    const { itlMs, ...rest } = pool[i % POOL]!;
    JSON.stringify(rest);
    new Uint8Array(new Float64Array(itlMs).buffer);
  }
  const splitUs = ((performance.now() - t) * 1000) / jsonRounds;

  // Appends.
  const file = join(dir, 'insert.db');
  const store = await openSqliteStore(file);
  await store.runs.create(run('bench-run'));
  const blocked: number[] = [];
  let written = 0;
  const start = performance.now();
  while (written < TOTAL) {
    const size = Math.min(TOTAL - written, 64 + Math.floor(rand() * 193));
    const batch: Sample[] = [];
    for (let i = 0; i < size; i++) {
      // Fresh seq, shared arrays: generating samples is not what is measured.
      batch.push({ ...pool[(written + i) % POOL]!, seq: written + i });
    }
    const before = performance.now();
    await store.runs.appendSamples('bench-run', batch);
    blocked.push(performance.now() - before);
    written += size;
  }
  const insertMs = performance.now() - start;
  await store.close();
  const fileBytes = (await stat(file)).size;
  blocked.sort((a, b) => a - b);

  // Reading them back.
  const reader = await openSqliteStore(file);
  t = performance.now();
  let read = 0;
  for await (const _ of reader.runs.samples('bench-run')) read++;
  const readMs = performance.now() - t;
  await reader.close();

  // History: RUNS runs, then `swapbench runs` (open + first page) and every page.
  const historyFile = join(dir, 'history.db');
  const history = await openSqliteStore(historyFile);
  for (let i = 0; i < RUNS; i++) {
    const r = run(`run-${String(i).padStart(5, '0')}`, new Date(Date.parse('2026-01-01T00:00:00Z') + i * 60_000).toISOString());
    await history.runs.create(r);
    await history.runs.finish({ ...r, status: 'completed', finishedAt: r.startedAt });
  }
  await history.close();
  t = performance.now();
  const cli = await openSqliteStore(historyFile);
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

  console.log(`SQLite store, ${fmt(TOTAL)} samples of 256 ITL gaps in batches of 64-256 (Node ${process.version})`);
  console.log(`  insert            ${fmt(TOTAL / (insertMs / 1000))} samples/s (${fmt(insertMs)} ms)`);
  console.log(
    `  one append        p50 ${fmt(quantile(blocked, 0.5), 2)} ms, p99 ${fmt(quantile(blocked, 0.99), 2)} ms, max ${fmt(blocked.at(-1)!, 2)} ms`,
  );
  console.log(`  file              ${fmt(fileBytes / 1e6, 1)} MB, ${fmt(fileBytes / TOTAL)} bytes/sample`);
  console.log(`  read back         ${fmt(read / (readMs / 1000))} samples/s`);
  console.log(`  JSON per sample   whole ${fmt(wholeUs, 1)} µs; without gaps + float64 gaps ${fmt(splitUs, 1)} µs`);
  console.log(`History of ${fmt(RUNS)} runs`);
  console.log(`  open + first page ${fmt(openAndListMs, 1)} ms (what \`swapbench runs\` does)`);
  console.log(`  every page of 50  ${fmt(pagesMs, 1)} ms for ${fmt(listed - firstPage.items.length)} more runs`);
  console.log(`  filtered page     ${fmt(filteredMs, 2)} ms (model + status + since, ${filtered.items.length} runs)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
