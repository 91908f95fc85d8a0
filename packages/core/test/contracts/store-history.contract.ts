/**
 * The run-history part of the store contract: listing filters beyond suite and status (job type, host, base
 * URL, model, time window), what a summary carries, and finding runs by id prefix. Called from
 * `describeStoreContract`, inside its per-test store setup.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/types.js';
import type { RunQuery, Store } from '../../src/store/store.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import type { StoreHarness } from './store.contract.js';
import { expectStoreError, makeFinishedRun, makeRun, SUITE_INPUT } from './store-fixtures.js';

export function describeRunHistoryContract(current: () => { h: StoreHarness; store: Store }): void {
  const ids = async (query: RunQuery) => (await current().store.runs.list(query)).items.map((r) => r.runId);
  const withModels = (models: string[]) => parseSuite({ ...SUITE_INPUT, models });

  describe('run history', () => {
    /** Four runs, newest last, that differ in job type, host, base URL and models. */
    const seed = async () => {
      const { store } = current();
      const runs: RunResult[] = [
        makeRun('a', { startedAt: '2026-11-24T10:00:00.000Z' }),
        makeRun('b', { startedAt: '2026-11-24T10:01:00.000Z', jobType: 'eval', suite: withModels(['qwen3-8b', 'llama-3']) }),
        makeRun('c', { startedAt: '2026-11-24T10:02:00.000Z', host: { baseUrl: 'http://cpu-box:8080' }, suite: withModels(['llama-3']) }),
        makeRun('d', {
          startedAt: '2026-11-24T10:03:00.000Z',
          jobType: 'smoke',
          host: { id: 'cpu-box', baseUrl: 'http://cpu-box:8080' },
          suite: withModels(['phi-4']),
        }),
      ];
      for (const run of runs) await store.runs.create(run);
    };

    it('filters by job type, host id, base URL and model, alone and together', async () => {
      await seed();
      expect(await ids({ jobType: 'bench' })).toEqual(['c', 'a']);
      expect(await ids({ jobType: 'eval' })).toEqual(['b']);
      expect(await ids({ hostId: 'gpu-box' })).toEqual(['b', 'a']);
      expect(await ids({ hostId: 'cpu-box' })).toEqual(['d']);
      expect(await ids({ baseUrl: 'http://cpu-box:8080' })).toEqual(['d', 'c']);
      expect(await ids({ model: 'llama-3' })).toEqual(['c', 'b']);
      expect(await ids({ model: 'qwen3-8b' })).toEqual(['b', 'a']);
      expect(await ids({ model: 'qwen3' })).toEqual([]);
      expect(await ids({ model: 'llama-3', jobType: 'bench' })).toEqual(['c']);
      expect(await ids({ baseUrl: 'http://cpu-box:8080', hostId: 'cpu-box', status: 'running', suiteName: 'suite-a' })).toEqual(['d']);
      expect(await ids({ hostId: 'nobody' })).toEqual([]);
    });

    it('lists the models of a run in its suite order, and the job type, host and version it finished with', async () => {
      const { store } = current();
      await store.runs.create(makeRun('r', { suite: withModels(['zeta', 'alpha', 'mid']) }));
      expect((await store.runs.list()).items[0]).toMatchObject({ runId: 'r', models: ['zeta', 'alpha', 'mid'], jobType: 'bench' });
      const finished = makeFinishedRun('r', { suite: withModels(['alpha']), jobType: 'eval', host: { baseUrl: 'http://other:1' } });
      finished.environment.client.swapbenchVersion = '0.2.0';
      await store.runs.finish(finished);
      const [summary] = (await store.runs.list()).items;
      expect(summary).toMatchObject({
        models: ['alpha'],
        jobType: 'eval',
        baseUrl: 'http://other:1',
        toolVersion: '0.2.0',
        status: 'completed',
      });
      expect(summary).not.toHaveProperty('hostId');
      expect(await ids({ model: 'zeta' })).toEqual([]);
      expect(await ids({ model: 'alpha' })).toEqual(['r']);
    });

    it('keeps to a time window (since inclusive, until exclusive, any ISO offset) and pages inside it', async () => {
      const { store } = current();
      for (let i = 0; i < 6; i++) await store.runs.create(makeRun(`t${i}`, { startedAt: `2026-11-24T10:0${i}:00.000Z` }));
      expect(await ids({ since: '2026-11-24T10:02:00.000Z', until: '2026-11-24T10:05:00.000Z' })).toEqual(['t4', 't3', 't2']);
      // Compared as times, not as strings: 11:02 at +01:00 is 10:02Z.
      expect(await ids({ since: '2026-11-24T11:02:00+01:00', until: '2026-11-24T11:04:00+01:00' })).toEqual(['t3', 't2']);
      expect(await ids({ since: '2026-11-24T10:04:30.000Z' })).toEqual(['t5']);
      expect(await ids({ until: '2026-11-24T10:01:00.000Z' })).toEqual(['t0']);
      expect(await ids({ since: '2026-11-24T10:05:00.001Z' })).toEqual([]);

      const window = { since: '2026-11-24T10:01:00.000Z', until: '2026-11-24T10:05:00.000Z', limit: 3 };
      const first = await store.runs.list(window);
      expect(first.items.map((r) => r.runId)).toEqual(['t4', 't3', 't2']);
      const second = await store.runs.list({ ...window, cursor: first.nextCursor! });
      expect(second.items.map((r) => r.runId)).toEqual(['t1']);
      expect(second.nextCursor).toBeUndefined();
    });

    it('rejects a since or until that is not a time, naming the field', async () => {
      const { store } = current();
      await store.runs.create(makeRun('r'));
      expect((await expectStoreError(store.runs.list({ since: 'yesterday' }), 'CONFIG_INVALID')).message).toMatch(/since/);
      expect((await expectStoreError(store.runs.list({ until: '2026-13-45' }), 'CONFIG_INVALID')).message).toMatch(/until/);
    });

    it('finds run ids by prefix: a unique prefix names one, an ambiguous one gives the first two, none gives none', async () => {
      const { store } = current();
      for (const id of ['abd-3', 'abc-1', 'abd-2', 'x%_y', 'x_z']) await store.runs.create(makeRun(id));
      expect(await store.runs.findIds('abc')).toEqual(['abc-1']);
      expect(await store.runs.findIds('abc-1')).toEqual(['abc-1']);
      expect(await store.runs.findIds('abd')).toEqual(['abd-2', 'abd-3']);
      expect(await store.runs.findIds('ab')).toEqual(['abc-1', 'abd-2']);
      expect(await store.runs.findIds('ab', 10)).toEqual(['abc-1', 'abd-2', 'abd-3']);
      expect(await store.runs.findIds('abc-1-more')).toEqual([]);
      expect(await store.runs.findIds('zzz')).toEqual([]);
      // LIKE wildcards in a prefix are plain characters.
      expect(await store.runs.findIds('x%')).toEqual(['x%_y']);
      expect(await store.runs.findIds('x_')).toEqual(['x_z']);
      expect(await store.runs.findIds('%')).toEqual([]);
      expect(await store.runs.findIds('a_c')).toEqual([]);
    });
  });
}
