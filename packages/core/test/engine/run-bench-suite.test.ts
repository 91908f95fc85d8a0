import { describe, expect, it } from 'vitest';
import { HttpStatusError } from '../../src/errors/index.js';
import type { BenchEvent } from '../../src/engine/events.js';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import { storedSamples, suite } from './helpers.js';

describe('runBenchSuite', () => {
  it('keeps exactly C requests in flight, with no barrier between waves', async () => {
    const clock = createVirtualClock();
    // Request 0 of each cell is slow; with batches, everything would wait for it.
    const transport = createFakeTransport({ clock, script: (_r, i) => ({ ttftMs: i === 0 ? 200 : 10, interTokenMs: 1 }) });
    await runBenchSuite(suite({ concurrency: [4], repetitions: 3 }), { transport, clock: clock.now });
    expect(transport.calls).toHaveLength(12);
    expect(transport.peakActive).toBe(4);
    const slow = transport.calls[0]!;
    // Requests 4.. start (as soon as a quick slot frees) while the slow one is still in flight.
    expect(transport.calls[4]!.startedAt).toBeLessThan(slow.endedAt!);
    expect(transport.calls[11]!.startedAt).toBeLessThan(slow.endedAt!);
  });

  it('runs warmup requests first, stores them flagged, and leaves them out of aggregates', async () => {
    const clock = createVirtualClock();
    // Warmups are slow on purpose: if they leaked into the aggregates, the max TTFT would show it.
    const transport = createFakeTransport({ clock, script: (_r, i) => ({ ttftMs: i < 2 ? 500 : 10, interTokenMs: 1 }) });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ warmup: 2, repetitions: 3 }), { transport, clock: clock.now, store });
    const samples = await storedSamples(store, result.runId);
    expect(samples.map((s) => s.phase)).toEqual(['warmup', 'warmup', 'measured', 'measured', 'measured']);
    expect(result.cells[0]!.n).toBe(3);
    expect(result.cells[0]!.ttftMs.max).toBe(10);
  });

  it('records a failed request as a failed sample with its error code and goes on', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({
      clock,
      script: (_r, i) =>
        i === 1
          ? { ttftMs: 5, interTokenMs: 1, error: new HttpStatusError(500, 'fake://x', 'boom') }
          : i === 2
            ? { ttftMs: 5, interTokenMs: 1, error: new HttpStatusError(502, 'fake://x', 'mid'), errorAfterTokens: 3 }
            : { ttftMs: 5, interTokenMs: 1 },
    });
    const store = createMemoryStore();
    // Half of the requests fail: allowed here, so the run completes (the default maxErrorRate would fail it).
    const result = await runBenchSuite(suite({ repetitions: 4, maxErrorRate: 0.5 }), { transport, clock: clock.now, store });
    expect(result.status).toBe('completed');
    const cell = result.cells[0]!;
    expect([cell.n, cell.errors]).toEqual([4, 2]);
    expect(cell.errorCodes).toEqual({ HTTP_STATUS: 2 });
    const samples = await storedSamples(store, result.runId);
    const midStream = samples.find((s) => s.error?.message.includes('mid'))!;
    // What was measured before the failure is kept.
    expect(midStream.ttftMs).toBe(5);
    expect(midStream.outputTokens).toBe(3);
    // Failed samples do not count in the timing aggregates.
    expect(cell.ttftMs).toMatchObject({ min: 5, max: 5 });
  });

  it('marks the run failed when every measured request fails', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({
      clock,
      script: () => ({ ttftMs: 1, interTokenMs: 1, error: new HttpStatusError(503, 'fake://x', '') }),
    });
    const result = await runBenchSuite(suite(), { transport, clock: clock.now });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('RUN_FAILED');
  });

  it('on abort cancels in-flight requests and saves the run as cancelled with what it measured', async () => {
    const clock = createVirtualClock();
    // Staggered, so no request ends at the very instant of the abort.
    const transport = createFakeTransport({ clock, script: (_r, i) => ({ ttftMs: 10 + 3 * i, interTokenMs: 10 }) });
    const store = createMemoryStore();
    const controller = new AbortController();
    const events: BenchEvent[] = [];
    const result = await runBenchSuite(suite({ concurrency: [2], repetitions: 5, maxTokens: [20] }), {
      transport,
      clock: clock.now,
      store,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        // Abort after the third sample completes, while two requests are in flight.
        if (e.type === 'sample' && e.sample.seq === 2) controller.abort(new Error('user stop'));
      },
    });
    expect(result.status).toBe('cancelled');
    // Every request sent is stored: the 3 that completed, and the ones in flight as CANCELLED.
    const samples = await storedSamples(store, result.runId);
    expect(samples).toHaveLength(transport.calls.length);
    expect(samples.filter((s) => s.ok)).toHaveLength(3);
    const cancelled = samples.filter((s) => !s.ok);
    expect(cancelled.length).toBeGreaterThan(0);
    for (const s of cancelled) expect(s.error).toEqual({ code: 'CANCELLED', message: 'cancelled with the run: user stop' });
    expect(transport.calls.some((c) => c.aborted)).toBe(true);
    expect(transport.calls.length).toBeLessThan(10);
    expect(transport.active).toBe(0);
    expect(result.cells[0]).toMatchObject({ n: samples.length, planned: 10, partial: true, errorCodes: { CANCELLED: cancelled.length } });
    expect(result.notes.join('\n')).toMatch(/cell m1 pp32 tg20 c2 is partial/);
    const stored = await store.runs.get(result.runId);
    expect(stored?.status).toBe('cancelled');
    expect(events.at(-1)?.type).toBe('run-done');
  });

  it('returns a cancelled run without sending anything when the signal is already aborted', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: () => ({ ttftMs: 1, interTokenMs: 1 }) });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite(), { transport, clock: clock.now, signal: AbortSignal.abort(), store });
    expect(result.status).toBe('cancelled');
    expect(transport.calls).toHaveLength(0);
    // Stored as cancelled, with no complaint about a run the store never saw.
    expect((await store.runs.get(result.runId))?.status).toBe('cancelled');
    expect(result.notes.join('\n')).not.toMatch(/could not store/);
  });

  it('emits numbered progress events from run-start to run-done', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, tokenizer: true, script: () => ({ ttftMs: 1, interTokenMs: 1 }) });
    const events: BenchEvent[] = [];
    await runBenchSuite(suite({ concurrency: [1, 2], repetitions: 1 }), { transport, clock: clock.now, onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i));
    // Phases are named: a progress display says what happens before the first cell.
    expect(events.map((e) => (e.type === 'phase' ? `phase:${e.phase}` : e.type))).toEqual([
      'run-start',
      'phase:preflight',
      'phase:cold-start',
      'model-start',
      'phase:calibrate',
      'cell-start',
      'sample',
      'cell-done',
      'cell-start',
      'sample',
      'sample',
      'cell-done',
      'run-done',
    ]);
  });

  it('emits every note as a warning event when it happens, and keeps it in the result', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({
      clock,
      models: ['m1'],
      traits: { anyModelName: false },
      script: (_r, i) => ({ ttftMs: 1, interTokenMs: 1, ...(i === 0 ? { cachedTokens: 5 } : {}) }),
    });
    const events: BenchEvent[] = [];
    const result = await runBenchSuite(suite({ models: ['m1'], swaps: 1 }), {
      transport,
      clock: clock.now,
      onEvent: (e) => events.push(e),
    });
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings).toEqual(result.notes);
    // Estimated prompts (no tokenizer), no unload, a warm-cache flag.
    expect(warnings[0]).toMatch(/estimated/);
    expect(warnings.some((w) => /cannot unload models/.test(w))).toBe(true);
    const warmCache = warnings.findIndex((w) => /1 sample\(s\) reused cached prompt tokens.*\[warm-cache\]/.test(w));
    expect(warmCache).toBeGreaterThan(0);
    // Each came when it happened: the estimate before the first cell, the flag summary after the last.
    const indexOf = (message: string) => events.findIndex((e) => e.type === 'warning' && e.message === message);
    expect(indexOf(warnings[0]!)).toBeLessThan(events.findIndex((e) => e.type === 'cell-start'));
    expect(indexOf(warnings[warmCache]!)).toBeGreaterThan(events.findIndex((e) => e.type === 'cell-done'));
  });

  it('asks traits, not the kind: a server that answers any model name is not refused for its list', async () => {
    const clock = createVirtualClock();
    const script = () => ({ ttftMs: 1, interTokenMs: 1 });
    const strict = createFakeTransport({ clock, kind: 'some-new-server', models: ['other'], tokenizer: true, script });
    const lenient = createFakeTransport({
      clock,
      kind: 'some-new-server',
      models: ['other'],
      tokenizer: true,
      script,
      traits: { anyModelName: true },
    });
    const refused = await runBenchSuite(suite(), { transport: strict, clock: clock.now });
    const quiet = await runBenchSuite(suite(), { transport: lenient, clock: clock.now });
    // A model the server does not list is refused before any request, naming what the server has.
    expect([refused.status, refused.error?.code]).toEqual(['failed', 'CONFIG_INVALID']);
    expect(refused.error?.message).toMatch(/models: "m1" is not on the server \(it has: other\)/);
    expect(strict.calls).toHaveLength(0);
    expect(quiet.notes).toEqual([]);
    expect(quiet.status).toBe('completed');
    expect(quiet.environment.capabilities).toEqual(['tokenize']);
  });

  it('persists every sample to the store as it completes, not only at the end', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: () => ({ ttftMs: 5, interTokenMs: 1 }) });
    const store = createMemoryStore();
    let appended = 0;
    const append = store.runs.appendSamples.bind(store.runs);
    store.runs.appendSamples = async (runId, samples, o) => {
      await append(runId, samples, o);
      appended += samples.length;
    };
    const seenAtCellDone: number[] = [];
    await runBenchSuite(suite({ concurrency: [1, 2], repetitions: 3 }), {
      transport,
      clock: clock.now,
      store,
      onEvent: (e) => {
        if (e.type === 'cell-done') seenAtCellDone.push(appended);
      },
    });
    // When each cell is done, its samples are already in the store.
    expect(seenAtCellDone).toEqual([3, 9]);
  });

  it('sizes prompts with the server tokenizer when there is one, and says when it had to estimate', async () => {
    const clock = createVirtualClock();
    const withTokenizer = createFakeTransport({ clock, tokenizer: true, script: () => ({ ttftMs: 1, interTokenMs: 1 }) });
    const exact = await runBenchSuite(suite({ promptTokens: [50, 300] }), { transport: withTokenizer, clock: clock.now });
    expect(exact.calibration).toEqual([{ model: 'm1', method: 'tokenizer' }]);
    expect(exact.cells.every((c) => !c.flags['prompt-size-mismatch'])).toBe(true);

    const without = createFakeTransport({ clock, script: () => ({ ttftMs: 1, interTokenMs: 1 }) });
    const estimated = await runBenchSuite(suite(), { transport: without, clock: clock.now });
    expect(estimated.calibration[0]!.method).toBe('estimate');
    expect(estimated.notes.join('\n')).toMatch(/estimated/);
  });

  it('busts the prompt cache with a unique prefix per request and cache_prompt off', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: () => ({ ttftMs: 1, interTokenMs: 1 }) });
    await runBenchSuite(suite({ repetitions: 3 }), { transport, clock: clock.now });
    const prompts = transport.calls.map((c) => (c.request.endpoint === 'chat' ? c.request.messages[0]!.content : c.request.prompt));
    expect(new Set(prompts).size).toBe(3);
    expect(transport.calls.every((c) => c.request.cachePrompt === false && c.request.ignoreEos === true)).toBe(true);
    expect(transport.calls[0]!.request.sampling).toEqual({ temperature: 0, seed: 42 });
  });

  it('records a cold start and measures swap time apart from TTFT on llama-swap', async () => {
    const clock = createVirtualClock();
    const loaded = new Set<string>();
    // The fake "loads" a model in 300 ms on the first request after an unload.
    const transport = createFakeTransport({
      clock,
      kind: 'llama-swap',
      models: ['m1'],
      running: [],
      script: (r) => {
        const cold = !loaded.has(r.model);
        loaded.add(r.model);
        return { ttftMs: (cold ? 300 : 0) + 20, interTokenMs: 1 };
      },
    });
    const unload = transport.unload!;
    transport.unload = async (model, o) => {
      loaded.delete(model);
      await unload(model, o);
    };
    const result = await runBenchSuite(suite({ swaps: 2, warmup: 1 }), { transport, clock: clock.now });
    expect(result.coldStarts).toEqual([{ model: 'm1', loadedBefore: false, coldStartMs: 320 }]);
    expect(result.swaps[0]!.swapMs).toEqual([300, 300]);
    expect(result.swaps[0]!.stats.p50).toBe(300);
    // Measured TTFT never includes a load.
    expect(result.cells[0]!.ttftMs.max).toBe(20);
  });

  it('ends failed with HOST_UNREACHABLE when the server cannot be reached', async () => {
    const { HostUnreachableError } = await import('../../src/errors/index.js');
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: () => ({ ttftMs: 1, interTokenMs: 1 }) });
    transport.listModels = async () => {
      throw new HostUnreachableError('http://127.0.0.1:1', { cause: new Error('ECONNREFUSED') });
    };
    const result = await runBenchSuite(suite(), { transport, clock: clock.now });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HOST_UNREACHABLE');
  });
});
