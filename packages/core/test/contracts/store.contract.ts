/**
 * The contract every Store implementation passes: memory, file and SQLite. Call `describeStoreContract` from
 * the implementation's test file with a factory for a fresh, empty store. Optional harness members switch on
 * more tests: `reopen` (persistence), `connect` (two handles on the same storage, as two processes),
 * `advanceClock` (exact lease expiry instead of short real-time waits), `tracksWriters` (durable stores
 * that tell a live writer's runs from a dead one's). The cases are split by concern: runs, signals and
 * persistence here; listing filters and id lookup in `store-history.contract.ts`; suites, baselines, hosts
 * and leases in `store-records.contract.ts`; the records they store in `store-fixtures.ts`.
 *
 * Behaviour pinned here, beyond the interface's JSDoc:
 * - records go in and come out as copies; a missing record reads as `undefined`;
 * - errors are SwapbenchErrors with codes `RUN_EXISTS`, `RUN_NOT_FOUND`, `STORE_CLOSED`, `CONFIG_INVALID`
 *   (bad cursor, limit or ttlMs); an aborted signal rejects with exactly its reason, before any effect;
 * - `runs.list` is newest first by `startedAt` then `runId` (descending), and its cursor is a position, not an
 *   offset: runs created between pages neither repeat nor shift later pages;
 * - `recoverInterrupted` changes only the status of `running` runs; with `force` it marks every one, without
 *   it a store that tracks writers leaves the runs of a live writer (this process) alone;
 * - suites, baselines and hosts list by name (id) ascending;
 * - a live lease refuses everyone, its own holder included; renew and release need its token and fail once it
 *   has expired.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/result/types.js';
import type { Store } from '../../src/store/store.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import { expectStoreError, makeFailedSample, makeFinishedRun, makeRun, makeSample, SUITE_INPUT } from './store-fixtures.js';
import { describeRunHistoryContract } from './store-history.contract.js';
import { describeRecordsContract } from './store-records.contract.js';

export { expectStoreError, makeCell, makeFailedSample, makeFinishedRun, makeRun, makeSample, SUITE_INPUT } from './store-fixtures.js';

export interface StoreHarness {
  /** A fresh, empty store. */
  store: Store;
  /** Open the same storage again; the contract has closed `store` first (persistent stores only). */
  reopen?: () => Promise<Store>;
  /** Open a second store on the same storage while the first stays open (stores shared across processes). */
  connect?: () => Promise<Store>;
  /** Move the wall clock the store reads forward; without it, lease-expiry tests wait in real time. */
  advanceClock?: (ms: number) => void;
  /**
   * The store records which process writes each run, so `recoverInterrupted()` without `force` leaves runs
   * of a live writer `running` (durable stores). Without it, every `running` run is marked (memory).
   */
  tracksWriters?: boolean;
  cleanup?: () => Promise<void>;
}

export function describeStoreContract(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    const opened: Store[] = [];
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
      opened.push(store);
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await h.cleanup?.();
    });

    const samplesOf = async (runId: string, s = store) => {
      const out: Sample[] = [];
      for await (const x of s.runs.samples(runId)) out.push(x);
      return out;
    };

    describe('runs', () => {
      it('stores a run, its samples and its final result, and reads them back unchanged', async () => {
        const started = makeRun('r1');
        await store.runs.create(started);
        expect(await store.runs.get('r1')).toEqual(started);
        const samples = [makeSample('r1', 0, { phase: 'warmup' }), makeSample('r1', 1), makeFailedSample('r1', 2)];
        await store.runs.appendSamples('r1', samples.slice(0, 2));
        await store.runs.appendSamples('r1', samples.slice(2));
        const finished = makeFinishedRun('r1');
        await store.runs.finish(finished);
        expect(await store.runs.get('r1')).toEqual(finished);
        expect(await samplesOf('r1')).toEqual(samples);
      });

      it('keeps samples in append order across batches, whatever their seq', async () => {
        await store.runs.create(makeRun('r1'));
        await store.runs.appendSamples('r1', [makeSample('r1', 3), makeSample('r1', 1)]);
        await store.runs.appendSamples('r1', []);
        await store.runs.appendSamples('r1', [makeSample('r1', 2), makeSample('r1', 0)]);
        expect((await samplesOf('r1')).map((s) => s.seq)).toEqual([3, 1, 2, 0]);
        await store.runs.create(makeRun('empty'));
        expect(await samplesOf('empty')).toEqual([]);
      });

      it('keeps each run to its own samples', async () => {
        await store.runs.create(makeRun('a'));
        await store.runs.create(makeRun('b'));
        await store.runs.appendSamples('a', [makeSample('a', 0)]);
        await store.runs.appendSamples('b', [makeSample('b', 0), makeSample('b', 1)]);
        expect((await samplesOf('a')).map((s) => s.runId)).toEqual(['a']);
        expect((await samplesOf('b')).map((s) => s.runId)).toEqual(['b', 'b']);
      });

      it('refuses to create a run twice and keeps the first', async () => {
        await store.runs.create(makeRun('dup'));
        const err = await expectStoreError(store.runs.create(makeRun('dup', { notes: ['second'] })), 'RUN_EXISTS');
        expect(err.message).toMatch(/dup/);
        expect((await store.runs.get('dup'))?.notes).toEqual(makeRun('dup').notes);
      });

      it('reads an unknown run as undefined and refuses to write to one', async () => {
        expect(await store.runs.get('nope')).toBeUndefined();
        expect((await expectStoreError(store.runs.appendSamples('nope', [makeSample('nope', 0)]), 'RUN_NOT_FOUND')).message).toMatch(
          /nope/,
        );
        await expectStoreError(store.runs.finish(makeFinishedRun('nope')), 'RUN_NOT_FOUND');
        await expectStoreError(samplesOf('nope'), 'RUN_NOT_FOUND');
        expect(await store.runs.get('nope')).toBeUndefined();
      });

      it('hands out copies: changing what went in or came out does not change the store', async () => {
        const run = makeRun('c1');
        await store.runs.create(run);
        run.notes.push('changed after create');
        run.suite.models.push('changed');
        const got = (await store.runs.get('c1'))!;
        got.notes.push('changed after get');
        got.environment.client.cpuCount = 1;
        expect(await store.runs.get('c1')).toEqual(makeRun('c1'));

        const sample = makeSample('c1', 0);
        await store.runs.appendSamples('c1', [sample]);
        sample.itlMs.push(999);
        sample.server.genTps = 1;
        for await (const s of store.runs.samples('c1')) s.flags.push('warm-cache');
        expect(await samplesOf('c1')).toEqual([makeSample('c1', 0)]);
      });

      it('lists runs newest first, as summaries, filtered by suite and status', async () => {
        for (let i = 0; i < 5; i++) {
          await store.runs.create(
            makeRun(`run-${i}`, {
              startedAt: `2026-11-24T10:0${i}:00.000Z`,
              suite: parseSuite({ ...SUITE_INPUT, name: i < 3 ? 'a' : 'b' }),
            }),
          );
        }
        await store.runs.finish(
          makeFinishedRun('run-1', {
            startedAt: '2026-11-24T10:01:00.000Z',
            finishedAt: '2026-11-24T10:01:30.000Z',
            suite: parseSuite({ ...SUITE_INPUT, name: 'a' }),
          }),
        );
        // A run measured without a registered host has no hostId in its summary.
        await store.runs.finish(
          makeFinishedRun('run-3', {
            startedAt: '2026-11-24T10:03:00.000Z',
            finishedAt: '2026-11-24T10:03:30.000Z',
            suite: parseSuite({ ...SUITE_INPUT, name: 'b' }),
            host: { baseUrl: 'http://cpu-box:8080' },
          }),
        );

        const all = await store.runs.list();
        expect(all.items.map((r) => r.runId)).toEqual(['run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
        expect(all.nextCursor).toBeUndefined();
        expect(all.items[0]).toEqual({
          runId: 'run-4',
          jobType: 'bench',
          suiteName: 'b',
          status: 'running',
          startedAt: '2026-11-24T10:04:00.000Z',
          finishedAt: null,
          hostId: 'gpu-box',
          baseUrl: 'http://gpu-box:8080',
          models: ['qwen3-8b'],
          toolVersion: '0.1.0',
        });
        expect(all.items[1]).toMatchObject({
          runId: 'run-3',
          status: 'completed',
          finishedAt: '2026-11-24T10:03:30.000Z',
          baseUrl: 'http://cpu-box:8080',
        });
        expect(all.items[1]).not.toHaveProperty('hostId');

        expect((await store.runs.list({ suiteName: 'a' })).items.map((r) => r.runId)).toEqual(['run-2', 'run-1', 'run-0']);
        expect((await store.runs.list({ status: 'completed' })).items.map((r) => r.runId)).toEqual(['run-3', 'run-1']);
        expect((await store.runs.list({ suiteName: 'a', status: 'running' })).items.map((r) => r.runId)).toEqual(['run-2', 'run-0']);
        expect(await store.runs.list({ suiteName: 'none' })).toEqual({ items: [] });
      });

      it('breaks ties in start time by run id, newest id first', async () => {
        for (const id of ['b', 'c', 'a']) await store.runs.create(makeRun(id));
        expect((await store.runs.list()).items.map((r) => r.runId)).toEqual(['c', 'b', 'a']);
        const first = await store.runs.list({ limit: 1 });
        const second = await store.runs.list({ limit: 1, cursor: first.nextCursor! });
        const third = await store.runs.list({ limit: 1, cursor: second.nextCursor! });
        expect([first, second, third].map((p) => p.items[0]?.runId)).toEqual(['c', 'b', 'a']);
        expect(third.nextCursor).toBeUndefined();
      });

      it('pages with a cursor; runs created between pages neither repeat nor shift the next page', async () => {
        for (let i = 0; i < 7; i++) await store.runs.create(makeRun(`run-${i}`, { startedAt: `2026-11-24T10:0${i}:00.000Z` }));
        const page1 = await store.runs.list({ limit: 3 });
        expect(page1.items.map((r) => r.runId)).toEqual(['run-6', 'run-5', 'run-4']);
        expect(typeof page1.nextCursor).toBe('string');
        // Newer than everything listed: belongs before page 1, so later pages must not show it.
        await store.runs.create(makeRun('run-newer', { startedAt: '2026-11-24T11:00:00.000Z' }));
        // Older than the cursor: not listed yet, so it shows up once, in its place.
        await store.runs.create(makeRun('run-older', { startedAt: '2026-11-24T09:00:00.000Z' }));
        const page2 = await store.runs.list({ limit: 3, cursor: page1.nextCursor! });
        expect(page2.items.map((r) => r.runId)).toEqual(['run-3', 'run-2', 'run-1']);
        const page3 = await store.runs.list({ limit: 3, cursor: page2.nextCursor! });
        expect(page3.items.map((r) => r.runId)).toEqual(['run-0', 'run-older']);
        expect(page3.nextCursor).toBeUndefined();
      });

      it('ends on a full last page without a cursor, and pages by 50 by default', async () => {
        for (let i = 0; i < 51; i++) await store.runs.create(makeRun(`run-${String(i).padStart(2, '0')}`));
        const all = await store.runs.list({ limit: 51 });
        expect(all.items).toHaveLength(51);
        expect(all.nextCursor).toBeUndefined();
        const first = await store.runs.list();
        expect(first.items).toHaveLength(50);
        expect(first.items[0]?.runId).toBe('run-50');
        const rest = await store.runs.list({ cursor: first.nextCursor! });
        expect(rest.items.map((r) => r.runId)).toEqual(['run-00']);
        expect(rest.nextCursor).toBeUndefined();
      });

      it('rejects a cursor or limit it did not make', async () => {
        await store.runs.create(makeRun('r'));
        await expectStoreError(store.runs.list({ cursor: 'not-a-cursor' }), 'CONFIG_INVALID');
        await expectStoreError(store.runs.list({ cursor: Buffer.from('{"x":1}').toString('base64url') }), 'CONFIG_INVALID');
        await expectStoreError(store.runs.list({ limit: 0 }), 'CONFIG_INVALID');
        await expectStoreError(store.runs.list({ limit: 2.5 }), 'CONFIG_INVALID');
      });

      it('marks runs left running as interrupted when forced, and changes nothing else', async () => {
        await store.runs.create(makeRun('alive'));
        await store.runs.appendSamples('alive', [makeSample('alive', 0)]);
        await store.runs.create(makeRun('also-alive'));
        await store.runs.create(makeRun('done'));
        await store.runs.finish(makeFinishedRun('done'));
        await store.runs.create(makeRun('cancelled'));
        await store.runs.finish(makeFinishedRun('cancelled', { status: 'cancelled' }));

        expect((await store.runs.recoverInterrupted({ force: true })).sort()).toEqual(['alive', 'also-alive']);
        expect(await store.runs.get('alive')).toEqual({ ...makeRun('alive'), status: 'interrupted' });
        expect(await samplesOf('alive')).toEqual([makeSample('alive', 0)]);
        expect((await store.runs.get('done'))?.status).toBe('completed');
        expect((await store.runs.get('cancelled'))?.status).toBe('cancelled');
        expect((await store.runs.list({ status: 'interrupted' })).items.map((r) => r.runId).sort()).toEqual(['alive', 'also-alive']);
        expect(await store.runs.recoverInterrupted({ force: true })).toEqual([]);
      });

      it('leaves the runs of a live writer running unless forced, when it tracks writers', async () => {
        await store.runs.create(makeRun('mine'));
        await store.runs.appendSamples('mine', [makeSample('mine', 0)]);
        // This process wrote it and is alive: only a store that cannot tell (memory) marks it.
        expect(await store.runs.recoverInterrupted()).toEqual(h.tracksWriters ? [] : ['mine']);
        expect((await store.runs.get('mine'))?.status).toBe(h.tracksWriters ? 'running' : 'interrupted');
        expect(await store.runs.recoverInterrupted({ force: true })).toEqual(h.tracksWriters ? ['mine'] : []);
        expect((await store.runs.get('mine'))?.status).toBe('interrupted');
      });
    });

    describeRunHistoryContract(() => ({ h, store }));
    describeRecordsContract(() => ({ h, store }));

    describe('signals and close', () => {
      it('rejects with the signal reason when aborted before the call, and does nothing', async () => {
        const reason = new Error('stop');
        const signal = AbortSignal.abort(reason);
        await store.runs.create(makeRun('exists'));
        const calls: Array<() => Promise<unknown>> = [
          () => store.runs.create(makeRun('aborted'), { signal }),
          () => store.runs.appendSamples('exists', [makeSample('exists', 0)], { signal }),
          () => store.runs.finish(makeFinishedRun('exists'), { signal }),
          () => store.runs.get('exists', { signal }),
          () => store.runs.list({}, { signal }),
          async () => {
            for await (const _ of store.runs.samples('exists', { signal })) break;
          },
          () => store.runs.recoverInterrupted({ signal }),
          () => store.runs.findIds('e', 2, { signal }),
          () => store.suites.put('s', SUITE_INPUT, { signal }),
          () => store.suites.get('s', { signal }),
          () => store.suites.list({ signal }),
          () => store.suites.remove('s', { signal }),
          () => store.baselines.set('b', 'exists', { signal }),
          () => store.baselines.get('b', { signal }),
          () => store.baselines.list({ signal }),
          () => store.baselines.clear('b', { signal }),
          () => store.hosts.put({ id: 'h', baseUrl: 'http://h:1' }, { signal }),
          () => store.hosts.get('h', { signal }),
          () => store.hosts.list({ signal }),
          () => store.hosts.remove('h', { signal }),
          () => store.leases.acquire({ hostId: 'h', holder: 'a', purpose: 'p', ttlMs: 60_000 }, { signal }),
          () => store.leases.renew('h', 't', 60_000, { signal }),
          () => store.leases.release('h', 't', { signal }),
          () => store.leases.get('h', { signal }),
        ];
        for (const call of calls) await expect(call()).rejects.toBe(reason);
        expect(await store.runs.get('aborted')).toBeUndefined();
        expect(await store.runs.get('exists')).toEqual(makeRun('exists'));
        expect(await samplesOf('exists')).toEqual([]);
        expect(await store.suites.list()).toEqual([]);
        expect(await store.baselines.list()).toEqual([]);
        expect(await store.hosts.list()).toEqual([]);
        expect(await store.leases.get('h')).toBeUndefined();
      });

      it('stops reading samples with the signal reason when aborted part way', async () => {
        await store.runs.create(makeRun('r'));
        await store.runs.appendSamples(
          'r',
          [0, 1, 2, 3].map((i) => makeSample('r', i)),
        );
        const controller = new AbortController();
        const reason = new Error('enough');
        const seen: number[] = [];
        const read = (async () => {
          for await (const s of store.runs.samples('r', { signal: controller.signal })) {
            seen.push(s.seq);
            if (s.seq === 1) controller.abort(reason);
          }
        })();
        await expect(read).rejects.toBe(reason);
        expect(seen).toEqual([0, 1]);
      });

      it('refuses every call after close; closing twice is fine', async () => {
        await store.runs.create(makeRun('r'));
        await store.close();
        await store.close();
        const err = await expectStoreError(store.runs.get('r'), 'STORE_CLOSED');
        expect(err.message).toMatch(/closed/);
        await expectStoreError(store.runs.create(makeRun('r2')), 'STORE_CLOSED');
        await expectStoreError(samplesOf('r'), 'STORE_CLOSED');
        await expectStoreError(store.runs.list(), 'STORE_CLOSED');
        await expectStoreError(store.runs.findIds('r'), 'STORE_CLOSED');
        await expectStoreError(store.suites.list(), 'STORE_CLOSED');
        await expectStoreError(store.baselines.get('b'), 'STORE_CLOSED');
        await expectStoreError(store.hosts.put({ id: 'h', baseUrl: 'http://h:1' }), 'STORE_CLOSED');
        await expectStoreError(store.leases.acquire({ hostId: 'h', holder: 'a', purpose: 'p', ttlMs: 1000 }), 'STORE_CLOSED');
      });

      it('closes on `await using`', async () => {
        {
          await using s = store;
          await s.runs.create(makeRun('r'));
        }
        await expectStoreError(store.runs.get('r'), 'STORE_CLOSED');
      });
    });

    describe('persistence and sharing', () => {
      it('keeps everything across a reopen', async (ctx) => {
        if (!h.reopen) return ctx.skip();
        await store.runs.create(makeRun('p1'));
        const samples = [makeSample('p1', 0), makeFailedSample('p1', 1)];
        await store.runs.appendSamples('p1', samples);
        await store.runs.finish(makeFinishedRun('p1'));
        const baseline = await store.baselines.set('main', 'p1');
        const suite = await store.suites.put('s', SUITE_INPUT);
        const host = await store.hosts.put({ id: 'h', baseUrl: 'http://h:1', labels: { gpu: 'none' } });
        const lease = await store.leases.acquire({ hostId: 'h', holder: 'alice', purpose: 'nightly', ttlMs: 60_000 });
        await store.close();

        store = await h.reopen();
        opened.push(store);
        expect(await store.runs.get('p1')).toEqual(makeFinishedRun('p1'));
        expect(await samplesOf('p1')).toEqual(samples);
        expect((await store.runs.list()).items.map((r) => r.runId)).toEqual(['p1']);
        expect(await store.baselines.get('main')).toEqual(baseline);
        expect(await store.suites.get('s')).toEqual(suite);
        expect(await store.hosts.get('h')).toEqual(host);
        // A lease outlives the process that took it: others are still refused, the token still works.
        if (!lease.acquired) throw new Error('acquire failed');
        expect(await store.leases.get('h')).toEqual(lease.lease);
        expect((await store.leases.acquire({ hostId: 'h', holder: 'bob', purpose: 'x', ttlMs: 1000 })).acquired).toBe(false);
        expect(await store.leases.release('h', lease.lease.token)).toBe(true);
      });

      it('recovers a run left running across a reopen, and appends to it afterwards', async (ctx) => {
        if (!h.reopen) return ctx.skip();
        await store.runs.create(makeRun('crashed'));
        await store.runs.appendSamples('crashed', [makeSample('crashed', 0)]);
        await store.close();
        store = await h.reopen();
        opened.push(store);
        // Forced: its writer is this live process (a real dead writer is each durable store's own crash test).
        expect(await store.runs.recoverInterrupted({ force: true })).toEqual(['crashed']);
        expect((await store.runs.get('crashed'))?.status).toBe('interrupted');
        await store.runs.appendSamples('crashed', [makeSample('crashed', 1)]);
        expect((await samplesOf('crashed')).map((s) => s.seq)).toEqual([0, 1]);
      });

      it('agrees on leases and sees the same runs through two stores on one storage', async (ctx) => {
        if (!h.connect) return ctx.skip();
        const other = await h.connect();
        opened.push(other);
        const mine = await store.leases.acquire({ hostId: 'h', holder: 'cli-1', purpose: 'nightly', ttlMs: 60_000 });
        if (!mine.acquired) throw new Error('acquire failed');
        expect(await other.leases.acquire({ hostId: 'h', holder: 'cli-2', purpose: 'adhoc', ttlMs: 60_000 })).toEqual({
          acquired: false,
          current: mine.lease,
        });
        expect(await other.leases.release('h', mine.lease.token)).toBe(true);
        expect((await other.leases.acquire({ hostId: 'h', holder: 'cli-2', purpose: 'adhoc', ttlMs: 60_000 })).acquired).toBe(true);
        expect(await store.leases.renew('h', mine.lease.token, 60_000)).toBe(false);

        await store.runs.create(makeRun('shared'));
        await other.runs.appendSamples('shared', [makeSample('shared', 0)]);
        expect((await samplesOf('shared', store)).map((s) => s.seq)).toEqual([0]);
        await expectStoreError(other.runs.create(makeRun('shared')), 'RUN_EXISTS');
        // Closing one handle leaves the other working.
        await other.close();
        expect(await store.runs.get('shared')).toBeDefined();
      });
    });
  });
}
