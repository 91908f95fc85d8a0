/**
 * The Postgres store against a real server (SWAPBENCH_TEST_POSTGRES; see postgres-harness.ts): the store
 * contract, then what is Postgres's own: staleness on the server's clock, exact samples across read pages,
 * corrupt records, and errors that name the server without its password.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { DEFAULT_STALE_AFTER_MS } from '../../src/store/writer.js';
import { describeStoreContract, expectStoreError, makeRun, makeSample } from '../contracts/store.contract.js';
import { adminQuery, dropSchema, uniqueSchema, withPostgres } from './postgres-harness.js';

withPostgres('Postgres store', (url) => {
  // A fresh schema per test; reopen and connect open the same schema again, as another process would.
  describeStoreContract('postgres', async () => {
    const schema = uniqueSchema('contract');
    const open = () => openPostgresStore(url, { schema });
    return { store: await open(), reopen: open, connect: open, tracksWriters: true, cleanup: () => dropSchema(url, schema) };
  });

  describe('Postgres store', () => {
    let schema: string;
    beforeEach(() => {
      schema = uniqueSchema('store');
    });
    afterEach(async () => {
      await dropSchema(url, schema);
    });
    /** Change rows behind the store's back, as another process or machine would. */
    const tamper = (sql: string, ...params: unknown[]) => adminQuery(url, sql, params, schema);

    it('judges a run written from another machine by its last write on the server clock, and whoever appends becomes its writer', async () => {
      await using store = await openPostgresStore(url, { schema });
      await store.runs.create(makeRun('remote'));
      await store.runs.create(makeRun('taken-over'));
      await store.runs.create(makeRun('recent'));
      await tamper(
        "UPDATE runs SET writer_host = 'another-machine', writer_pid = 1, last_write_at = now() - $1 * interval '1 ms'",
        DEFAULT_STALE_AFTER_MS + 1000,
      );
      await tamper("UPDATE runs SET last_write_at = now() - interval '1 minute' WHERE run_id = 'recent'");
      // This process appends to one of them: it is the writer now, alive, so time alone no longer counts.
      await store.runs.appendSamples('taken-over', [makeSample('taken-over', 0)]);
      expect(await store.runs.recoverInterrupted()).toEqual(['remote']);
      expect((await store.runs.get('taken-over'))?.status).toBe('running');
      expect(await store.runs.recoverInterrupted({ staleAfterMs: 30_000 })).toEqual(['recent']);
      await expectStoreError(store.runs.recoverInterrupted({ staleAfterMs: -1 }), 'CONFIG_INVALID');
    });

    it("leaves the run's writer as it is when opened with keepWriter (a remote runner appending to a coordinator's run)", async () => {
      await using store = await openPostgresStore(url, { schema });
      await using runner = await openPostgresStore(url, { schema, keepWriter: true });
      await store.runs.create(makeRun('coordinated'));
      await tamper(
        "UPDATE runs SET writer_host = 'coordinator-machine', writer_pid = 1, last_write_at = now() - $1 * interval '1 ms'",
        DEFAULT_STALE_AFTER_MS + 1000,
      );
      // The runner's append refreshes the last write but does not make this process the writer...
      await runner.runs.appendSamples('coordinated', [makeSample('coordinated', 0)]);
      expect(await store.runs.recoverInterrupted()).toEqual([]);
      const [row] = await adminQuery<{ writer_host: string }>(
        url,
        'SELECT writer_host FROM runs WHERE run_id = $1',
        ['coordinated'],
        schema,
      );
      expect(row?.writer_host).toBe('coordinator-machine');
      // ...so the run is judged by its coordinator's writes alone.
      await tamper("UPDATE runs SET last_write_at = now() - interval '1 minute'");
      expect(await store.runs.recoverInterrupted({ staleAfterMs: 30_000 })).toEqual(['coordinated']);
    });

    it('gives samples back exactly, in append order across read pages, with those appended while reading', async () => {
      await using store = await openPostgresStore(url, { schema });
      await store.runs.create(makeRun('r'));
      const odd = makeSample('r', 0, {
        itlMs: [-0, 0, 0.1 + 0.2, 1e-300, Number.MAX_VALUE, 11.832999999821187],
        timeline: { startAt: 1234.5678, sentAt: 1234.9, tokenAt: [1300.25, 1311.5] },
      });
      // More than one insert statement's worth of rows in one batch.
      const many = Array.from({ length: 2345 }, (_, i) => makeSample('r', i + 1, { itlMs: [i, i / 3] }));
      await store.runs.appendSamples('r', [odd, ...many.slice(0, 1600)]);
      await store.runs.appendSamples('r', many.slice(1600));
      const seen = [];
      for await (const s of store.runs.samples('r')) {
        seen.push(s);
        if (s.seq === 1000) await store.runs.appendSamples('r', [makeSample('r', 9999)]);
      }
      expect(seen[0]).toEqual(odd);
      expect(Object.is(seen[0]!.itlMs[0], -0)).toBe(true);
      expect(seen.slice(1, 2346)).toEqual(many);
      expect(seen.map((s) => s.seq).at(-1)).toBe(9999);
    });

    it('names the server and the record when a stored run or sample cannot be read', async () => {
      await using store = await openPostgresStore(url, { schema });
      await store.runs.create(makeRun('r'));
      await store.runs.appendSamples('r', [makeSample('r', 0)]);
      await tamper('UPDATE runs SET record = \'{"runId": "r", broken\'');
      await tamper("UPDATE samples SET body = 'not json'");
      const err = await expectStoreError(store.runs.get('r'), 'CORRUPT_RECORD');
      expect(err.message).toContain(`@${new URL(url).host}`);
      expect(err.message).not.toContain(new URL(url).password);
      expect(err.message).toMatch(/run r is not valid JSON/);
      const bad = store.runs.samples('r')[Symbol.asyncIterator]().next();
      expect((await expectStoreError(bad, 'CORRUPT_RECORD')).message).toMatch(/sample \d+ of run r cannot be read/);
      expect((await store.runs.list()).items.map((r) => r.runId)).toEqual(['r']);
    });

    it("times leases on the database's clock: a machine whose clock is an hour off still agrees", async () => {
      const hourAhead = () => new Date(Date.now() + 3_600_000);
      await using skewed = await openPostgresStore(url, { schema, now: hourAhead });
      await using honest = await openPostgresStore(url, { schema });
      const before = Date.now();
      const got = await skewed.leases.acquire({ hostId: 'gpu', holder: 'skewed', purpose: 'nightly', ttlMs: 60_000 });
      if (!got.acquired) throw new Error('acquire failed');
      // Expiry is the server's now + TTL (server and test share this machine's clock), not the skewed one's.
      expect(Date.parse(got.lease.expiresAt)).toBeGreaterThanOrEqual(before + 60_000);
      expect(Date.parse(got.lease.expiresAt)).toBeLessThanOrEqual(Date.now() + 60_000);
      expect(await honest.leases.acquire({ hostId: 'gpu', holder: 'honest', purpose: 'adhoc', ttlMs: 60_000 })).toEqual({
        acquired: false,
        current: got.lease,
      });
      expect(await honest.leases.get('gpu')).toEqual(got.lease);
    });

    it('keeps a renewed lease past its first expiry, then frees the host when renewals stop', async () => {
      await using store = await openPostgresStore(url, { schema });
      const req = (holder: string) => ({ hostId: 'gpu', holder, purpose: 'bench', ttlMs: 1500 });
      const got = await store.leases.acquire(req('alice'));
      if (!got.acquired) throw new Error('acquire failed');
      const firstExpiry = Date.parse(got.lease.expiresAt);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await store.leases.renew('gpu', got.lease.token, 1500)).toBe(true);
      // Past the first expiry: the renewed lease still refuses bob.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstExpiry - Date.now()) + 100));
      expect((await store.leases.acquire(req('bob'))).acquired).toBe(false);
      await expect.poll(async () => (await store.leases.acquire(req('bob'))).acquired, { timeout: 5000, interval: 100 }).toBe(true);
      expect(await store.leases.renew('gpu', got.lease.token, 1500)).toBe(false);
    });

    it('refuses a findIds limit that is not a positive integer', async () => {
      await using store = await openPostgresStore(url, { schema });
      await expectStoreError(store.runs.findIds('a', 0), 'CONFIG_INVALID');
      await expectStoreError(store.runs.findIds('a', 1.5), 'CONFIG_INVALID');
    });
  });
});
