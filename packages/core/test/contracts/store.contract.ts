/**
 * The contract every Store implementation passes: memory now, file and SQLite later. Call
 * `describeStoreContract` from the implementation's test file with a factory for a fresh store; give
 * `reopen` when the store persists, to check that everything survives a reopen.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeStats } from '../../src/engine/stats.js';
import type { RunResult, Sample } from '../../src/engine/types.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import type { Store } from '../../src/store/store.js';

export interface StoreHarness {
  store: Store;
  /** Close and open the same storage again (persistent stores only). */
  reopen?: () => Promise<Store>;
  cleanup?: () => Promise<void>;
}

/** A realistic run record. */
export function makeRun(runId: string, overrides: Partial<RunResult> = {}): RunResult {
  const suite = parseSuite({ name: 'suite-a', models: ['m1'], promptTokens: [128], maxTokens: [32], concurrency: [1] });
  return {
    runId,
    status: 'running',
    suite,
    startedAt: '2026-11-24T10:00:00.000Z',
    finishedAt: null,
    durationMs: null,
    cells: [],
    coldStarts: [],
    swaps: [],
    calibration: [{ model: 'm1', method: 'tokenizer' }],
    environment: { client: { swapbenchVersion: '0.1.0', node: 'v24.0.0', platform: 'linux', arch: 'x64', cpus: 'cpu', cpuCount: 2 }, server: { kind: 'llama-server', baseUrl: 'http://gpu-box:8080' } },
    client: { clientSaturated: false, eventLoopDelayP99Ms: 1.2, eventLoopDelayMaxMs: 3 },
    notes: [],
    ...overrides,
  };
}

/** A realistic measured sample. */
export function makeSample(runId: string, seq: number, overrides: Partial<Sample> = {}): Sample {
  return {
    runId,
    seq,
    model: 'm1',
    promptTokens: 128,
    maxTokens: 32,
    concurrency: 1,
    phase: 'measured',
    startedAt: '2026-11-24T10:00:01.000Z',
    ok: true,
    ttfbMs: 10 + seq,
    ttftMs: 20 + seq,
    e2eMs: 300 + seq,
    outputTokens: 32,
    itlMs: [9, 9.5, 8.75],
    tpotMs: 9,
    genTps: 111.1,
    promptTokensActual: 128,
    server: { source: 'llama', promptTokens: 128, promptEvaluatedTokens: 128, cachedTokens: 0, promptMs: 12.5, promptTps: 10240, generatedTokens: 32, generationMs: 280, genTps: 114.3 },
    finishReason: 'length',
    responseId: `chatcmpl-${seq}`,
    flags: [],
    ...overrides,
  };
}

export function describeStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await makeHarness();
      store = h.store;
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup?.();
    });

    const samplesOf = async (runId: string, s = store) => {
      const out: Sample[] = [];
      for await (const x of s.runs.samples(runId)) out.push(x);
      return out;
    };

    it('creates a run, appends samples in order, finishes it, and reads it all back', async () => {
      await store.runs.create(makeRun('r1'));
      await store.runs.appendSamples('r1', [makeSample('r1', 0), makeSample('r1', 1)]);
      await store.runs.appendSamples('r1', [makeSample('r1', 2, { ok: false, error: { code: 'HTTP_STATUS', message: 'HTTP 500' }, phase: 'warmup' })]);
      const cell = { model: 'm1', promptTokens: 128, maxTokens: 32, concurrency: 1, n: 2, errors: 0, errorCodes: {}, ttftMs: computeStats([20, 21]), e2eMs: computeStats([300, 301]), itlMs: computeStats([9]), tpotMs: computeStats([9]), genTps: computeStats([111]), serverGenTps: computeStats([114]), serverPromptTps: computeStats([10240]), throughputTps: 100, wallMs: 640, flags: {} };
      await store.runs.finish(makeRun('r1', { status: 'completed', finishedAt: '2026-11-24T10:01:00.000Z', durationMs: 60000, cells: [cell] }));
      const run = await store.runs.get('r1');
      expect(run?.status).toBe('completed');
      expect(run?.cells).toEqual([cell]);
      expect(run?.environment.server?.baseUrl).toBe('http://gpu-box:8080');
      const samples = await samplesOf('r1');
      expect(samples.map((s) => s.seq)).toEqual([0, 1, 2]);
      expect(samples[2]).toEqual(makeSample('r1', 2, { ok: false, error: { code: 'HTTP_STATUS', message: 'HTTP 500' }, phase: 'warmup' }));
    });

    it('returns undefined for an unknown run, and refuses samples for one', async () => {
      expect(await store.runs.get('nope')).toBeUndefined();
      await expect(store.runs.appendSamples('nope', [makeSample('nope', 0)])).rejects.toThrow(/nope/);
    });

    it('refuses to create a run twice', async () => {
      await store.runs.create(makeRun('dup'));
      await expect(store.runs.create(makeRun('dup'))).rejects.toThrow(/dup/);
    });

    it('hands out copies: changing a returned record does not change the store', async () => {
      const run = makeRun('c1');
      await store.runs.create(run);
      run.notes.push('changed after create');
      const got = (await store.runs.get('c1'))!;
      expect(got.notes).toEqual([]);
      got.notes.push('changed after get');
      expect((await store.runs.get('c1'))!.notes).toEqual([]);
    });

    it('lists runs newest first, filters, and pages with a cursor', async () => {
      for (let i = 0; i < 5; i++) {
        await store.runs.create(makeRun(`run-${i}`, { startedAt: `2026-11-24T10:0${i}:00.000Z`, status: i % 2 ? 'completed' : 'running', suite: { ...makeRun('x').suite, name: i < 3 ? 'a' : 'b' } }));
      }
      const all = await store.runs.list();
      expect(all.items.map((r) => r.runId)).toEqual(['run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
      expect(all.nextCursor).toBeUndefined();
      expect(all.items[0]).toMatchObject({ suiteName: 'b', status: 'running', baseUrl: 'http://gpu-box:8080', finishedAt: null });
      expect((await store.runs.list({ suiteName: 'a' })).items.map((r) => r.runId)).toEqual(['run-2', 'run-1', 'run-0']);
      expect((await store.runs.list({ status: 'completed' })).items.map((r) => r.runId)).toEqual(['run-3', 'run-1']);
      const page1 = await store.runs.list({ limit: 2 });
      expect(page1.items.map((r) => r.runId)).toEqual(['run-4', 'run-3']);
      // A run arriving between pages does not shift the next page.
      await store.runs.create(makeRun('run-new', { startedAt: '2026-11-24T11:00:00.000Z' }));
      const page2 = await store.runs.list({ limit: 2, cursor: page1.nextCursor! });
      expect(page2.items.map((r) => r.runId)).toEqual(['run-2', 'run-1']);
      const page3 = await store.runs.list({ limit: 2, cursor: page2.nextCursor! });
      expect(page3.items.map((r) => r.runId)).toEqual(['run-0']);
      expect(page3.nextCursor).toBeUndefined();
    });

    it('marks runs left running as interrupted', async () => {
      await store.runs.create(makeRun('alive'));
      await store.runs.create(makeRun('done'));
      await store.runs.finish(makeRun('done', { status: 'completed', finishedAt: '2026-11-24T10:05:00.000Z' }));
      expect(await store.runs.recoverInterrupted()).toEqual(['alive']);
      expect((await store.runs.get('alive'))?.status).toBe('interrupted');
      expect((await store.runs.get('done'))?.status).toBe('completed');
      expect(await store.runs.recoverInterrupted()).toEqual([]);
    });

    it('keeps suites by name', async () => {
      const suite = { name: 'nightly', models: ['m'], promptTokens: [512], maxTokens: [64], concurrency: [1, 4] };
      const saved = await store.suites.put('nightly', suite);
      expect(saved).toMatchObject({ name: 'nightly', suite });
      expect(Date.parse(saved.updatedAt)).not.toBeNaN();
      expect((await store.suites.get('nightly'))?.suite).toEqual(suite);
      expect((await store.suites.list()).map((s) => s.name)).toEqual(['nightly']);
      expect(await store.suites.remove('nightly')).toBe(true);
      expect(await store.suites.remove('nightly')).toBe(false);
      expect(await store.suites.get('nightly')).toBeUndefined();
    });

    it('sets baselines only to runs that exist', async () => {
      await store.runs.create(makeRun('base'));
      const b = await store.baselines.set('main', 'base');
      expect(b).toMatchObject({ name: 'main', runId: 'base' });
      expect((await store.baselines.get('main'))?.runId).toBe('base');
      await expect(store.baselines.set('other', 'missing-run')).rejects.toThrow(/missing-run/);
      expect((await store.baselines.list()).map((x) => x.name)).toEqual(['main']);
      expect(await store.baselines.clear('main')).toBe(true);
      expect(await store.baselines.get('main')).toBeUndefined();
    });

    it('keeps hosts with labels', async () => {
      const host = await store.hosts.put({ id: 'gpu-box', baseUrl: 'http://gpu-box:8080', kind: 'llama-swap', labels: { gpu: 'RTX 4090' } });
      expect(host).toMatchObject({ id: 'gpu-box', labels: { gpu: 'RTX 4090' } });
      expect((await store.hosts.get('gpu-box'))?.baseUrl).toBe('http://gpu-box:8080');
      expect((await store.hosts.list()).map((x) => x.id)).toEqual(['gpu-box']);
      expect(await store.hosts.remove('gpu-box')).toBe(true);
      expect(await store.hosts.get('gpu-box')).toBeUndefined();
    });

    it('leases: one holder at a time, renew and release need the token', async () => {
      const first = await store.leases.acquire({ hostId: 'h', holder: 'alice', purpose: 'nightly', ttlMs: 60_000 });
      expect(first.acquired).toBe(true);
      if (!first.acquired) return;
      const second = await store.leases.acquire({ hostId: 'h', holder: 'bob', purpose: 'adhoc', ttlMs: 60_000 });
      expect(second).toMatchObject({ acquired: false, current: { holder: 'alice', purpose: 'nightly' } });
      expect(await store.leases.renew('h', 'wrong-token', 60_000)).toBe(false);
      expect(await store.leases.renew('h', first.lease.token, 120_000)).toBe(true);
      expect(await store.leases.release('h', 'wrong-token')).toBe(false);
      expect((await store.leases.get('h'))?.holder).toBe('alice');
      expect(await store.leases.release('h', first.lease.token)).toBe(true);
      expect(await store.leases.get('h')).toBeUndefined();
      expect((await store.leases.acquire({ hostId: 'h', holder: 'bob', purpose: 'adhoc', ttlMs: 60_000 })).acquired).toBe(true);
    });

    it('leases: an expired lease can be taken over and no longer renewed', async () => {
      const old = await store.leases.acquire({ hostId: 'h2', holder: 'alice', purpose: 'x', ttlMs: 1 });
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.leases.get('h2')).toBeUndefined();
      const next = await store.leases.acquire({ hostId: 'h2', holder: 'bob', purpose: 'y', ttlMs: 60_000 });
      expect(next.acquired).toBe(true);
      if (old.acquired) expect(await store.leases.renew('h2', old.lease.token, 60_000)).toBe(false);
    });

    it('rejects with the signal reason when aborted before the call', async () => {
      const reason = new Error('stop');
      await expect(store.runs.get('x', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      await expect(store.suites.list({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });

    it('refuses calls after close, and closing twice is fine', async () => {
      await store.close();
      await store.close();
      await expect(store.runs.get('x')).rejects.toThrow(/closed/);
    });

    it('survives a reopen with everything in it (persistent stores)', async (ctx) => {
      if (!h.reopen) return ctx.skip();
      await store.runs.create(makeRun('p1'));
      await store.runs.appendSamples('p1', [makeSample('p1', 0), makeSample('p1', 1)]);
      await store.runs.finish(makeRun('p1', { status: 'completed', finishedAt: '2026-11-24T10:01:00.000Z' }));
      await store.baselines.set('main', 'p1');
      await store.suites.put('s', { name: 's', models: ['m'], promptTokens: [1], maxTokens: [1], concurrency: [1] });
      await store.hosts.put({ id: 'h', baseUrl: 'http://h:1' });
      store = await h.reopen();
      expect((await store.runs.get('p1'))?.status).toBe('completed');
      expect((await samplesOf('p1')).map((s) => s.seq)).toEqual([0, 1]);
      expect((await store.baselines.get('main'))?.runId).toBe('p1');
      expect(await store.suites.get('s')).toBeDefined();
      expect(await store.hosts.get('h')).toBeDefined();
    });
  });
}
