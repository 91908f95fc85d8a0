import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { DEFAULT_STALE_AFTER_MS } from '../../src/store/writer.js';
import { describeStoreContract, expectStoreError, makeRun, makeSample } from '../contracts/store.contract.js';

/** A wall clock the test moves by hand. */
function manualClock(start = '2026-11-24T12:00:00.000Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

// A fresh file per test; reopen and connect open the same file again, as another process would.
describeStoreContract('sqlite (injected clock)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swapbench-sqlite-'));
  const file = join(dir, 'nested', 'swapbench.db');
  const clock = manualClock();
  const open = () => openSqliteStore(file, { now: clock.now });
  return {
    store: await open(),
    reopen: open,
    connect: open,
    advanceClock: clock.advance,
    tracksWriters: true,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describeStoreContract('sqlite (wall clock)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swapbench-sqlite-'));
  const file = join(dir, 'swapbench.db');
  const open = () => openSqliteStore(file);
  return {
    store: await open(),
    reopen: open,
    connect: open,
    tracksWriters: true,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('SQLite store', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swapbench-sqlite-'));
    file = join(dir, 'swapbench.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /** Change the file behind the store's back, as another process or a broken disk would. */
  const tamper = (sql: string, ...params: Array<string | number>) => {
    const db = new DatabaseSync(file);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  };

  it('judges a run written from another machine by its last write, and whoever appends becomes its writer', async () => {
    const clock = manualClock();
    await using store = await openSqliteStore(file, { now: clock.now });
    await store.runs.create(makeRun('remote'));
    await store.runs.create(makeRun('taken-over'));
    tamper("UPDATE runs SET writer_host = 'another-machine', writer_pid = 1");
    clock.advance(DEFAULT_STALE_AFTER_MS);
    expect(await store.runs.recoverInterrupted()).toEqual([]);
    // This process appends to one of them: it is the writer now, alive, so time alone no longer counts.
    await store.runs.appendSamples('taken-over', [makeSample('taken-over', 0)]);
    clock.advance(1);
    expect(await store.runs.recoverInterrupted()).toEqual(['remote']);
    clock.advance(DEFAULT_STALE_AFTER_MS * 10);
    expect(await store.runs.recoverInterrupted()).toEqual([]);
    expect((await store.runs.get('taken-over'))?.status).toBe('running');
  });

  it('takes a shorter staleness when asked, and refuses one that is not a duration', async () => {
    const clock = manualClock();
    await using store = await openSqliteStore(file, { now: clock.now });
    await store.runs.create(makeRun('remote'));
    tamper("UPDATE runs SET writer_host = 'another-machine'");
    clock.advance(61_000);
    expect(await store.runs.recoverInterrupted({ staleAfterMs: 120_000 })).toEqual([]);
    await expectStoreError(store.runs.recoverInterrupted({ staleAfterMs: -1 }), 'CONFIG_INVALID');
    expect(await store.runs.recoverInterrupted({ staleAfterMs: 60_000 })).toEqual(['remote']);
  });

  it('gives samples back exactly, in append order across read pages, with those appended while reading', async () => {
    await using store = await openSqliteStore(file);
    await store.runs.create(makeRun('r'));
    const odd = makeSample('r', 0, {
      itlMs: [-0, 0, 0.1 + 0.2, 1e-300, Number.MAX_VALUE, 11.832999999821187],
      timeline: { startAt: 1234.5678, sentAt: 1234.9, tokenAt: [1300.25, 1311.5] },
    });
    const many = Array.from({ length: 1234 }, (_, i) => makeSample('r', i + 1, { itlMs: [i, i / 3] }));
    await store.runs.appendSamples('r', [odd, ...many.slice(0, 600)]);
    await store.runs.appendSamples('r', many.slice(600));
    const seen = [];
    for await (const s of store.runs.samples('r')) {
      seen.push(s);
      if (s.seq === 1000) await store.runs.appendSamples('r', [makeSample('r', 9999)]);
    }
    expect(seen[0]).toEqual(odd);
    expect(Object.is(seen[0]!.itlMs[0], -0)).toBe(true);
    expect(seen.slice(1, 1235)).toEqual(many);
    expect(seen.map((s) => s.seq).at(-1)).toBe(9999);
  });

  it('names the file and the record when a stored run or sample cannot be read', async () => {
    await using store = await openSqliteStore(file);
    await store.runs.create(makeRun('r'));
    await store.runs.appendSamples('r', [makeSample('r', 0)]);
    tamper('UPDATE runs SET record = \'{"runId": "r", broken\'');
    tamper("UPDATE samples SET body = 'not json'");
    const err = await expectStoreError(store.runs.get('r'), 'CORRUPT_RECORD');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/run r is not valid JSON/);
    const bad = store.runs.samples('r')[Symbol.asyncIterator]().next();
    expect((await expectStoreError(bad, 'CORRUPT_RECORD')).message).toMatch(/sample \d+ of run r cannot be read/);
    // The listing reads columns, not the record: the run still shows.
    expect((await store.runs.list()).items.map((r) => r.runId)).toEqual(['r']);
  });

  it('copies the log into the database file on another thread while the store stays open, and leaves no log on close', async () => {
    await using store = await openSqliteStore(file);
    await store.runs.create(makeRun('r'));
    const sizeOf = async (path: string) => (await stat(path).catch(() => undefined))?.size ?? 0;
    const before = await sizeOf(file);
    const batch = Array.from({ length: 200 }, (_, i) => makeSample('r', i, { itlMs: Array.from({ length: 256 }, (_, k) => k + i / 7) }));
    for (let i = 0; i < 5; i++) await store.runs.appendSamples('r', batch);
    // The store's own connection no longer checkpoints: only the worker can grow the file.
    await expect.poll(() => sizeOf(file), { timeout: 5000 }).toBeGreaterThan(before + 1_000_000);
    await store.close();
    expect(await sizeOf(`${file}-wal`)).toBe(0);
    await using again = await openSqliteStore(file);
    let n = 0;
    for await (const _ of again.runs.samples('r')) n++;
    expect(n).toBe(1000);
  });

  it('refuses a findIds limit that is not a positive integer', async () => {
    await using store = await openSqliteStore(file);
    await expectStoreError(store.runs.findIds('a', 0), 'CONFIG_INVALID');
    await expectStoreError(store.runs.findIds('a', 1.5), 'CONFIG_INVALID');
  });
});
