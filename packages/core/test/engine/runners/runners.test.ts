/**
 * Remote runners (issue #21) for real: the simulator on loopback, two `swapbench runner` processes and a
 * coordinator meeting in a real PostgreSQL server (SWAPBENCH_TEST_POSTGRES), one schema per test. A cell is
 * split across the runners, and every sample is read back from the store.
 */
import { expect, it } from 'vitest';
import pg from 'pg';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import { measureDbOffset } from '../../../src/engine/runners/index.js';
import { adminQuery, withPostgres } from '../../store/postgres-harness.js';
import { runRemote, samplesOf, TEST_TIMEOUT_MS, TTFT_MS, useHarness, remoteSuite } from './helpers.js';

withPostgres('remote runners through PostgreSQL', (url) => {
  const h = useHarness(url);

  it(
    'splits a closed-loop cell across two runner processes and reads every sample back from the store',
    async () => {
      const { workerTransport } = await h.setUp(400);
      const suite = remoteSuite('remote', { maxTokens: [8], requests: 24, warmup: 1 });
      // The foreign-traffic guard probes the host all along: the runners' streams are ours, not foreign.
      const result = await runBenchSuite(suite, {
        transport: h.transport!,
        store: h.store!,
        workerTransport,
        runners: h.runners!,
        foreignProbeMs: 100,
      });
      expect(result.status, JSON.stringify(result.errors)).toBe('completed');
      const cell = result.cells[0]!;
      expect(cell.n).toBe(24);
      expect(cell.partial).toBe(false);
      expect(cell.polluted ?? false, JSON.stringify(cell.concurrentForeignRequests)).toBe(false);
      // The client self-check read the runners' event loops.
      expect(cell.client.eventLoopDelayMaxMs).not.toBeNull();
      const measured = (await samplesOf(h.store!, result.runId)).filter((s) => s.phase === 'measured');
      expect(measured).toHaveLength(24);
      expect(new Set(measured.map((s) => s.seq)).size).toBe(24);
      expect(new Set(measured.map((s) => s.requestId)).size).toBe(24);
      for (const s of measured) {
        expect(s.ok).toBe(true);
        expect(s.ttftMs!).toBeGreaterThanOrEqual(TTFT_MS);
      }
      // Both runners sent their share, and the note says how closely they started.
      const begun = await adminQuery<{ runner: string }>(url, 'SELECT DISTINCT runner FROM swapbench_runner_begun', [], h.schema);
      expect(begun).toEqual([]); // cleaned up after the cell
      expect(result.notes.join('\n')).toMatch(/2 runner shares \((r1, r2|r2, r1)\) sent their first requests within [\d.]+ ms/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sends each drawn prompt size exactly, below the mean too (the smallest size’s plan, padded up)',
    async () => {
      const { workerTransport } = await h.setUp(400);
      const suite = remoteSuite('remote-sizes', {
        promptTokens: { mean: 64, stddev: 24, min: 24, max: 128 } as never,
        maxTokens: [4],
        concurrency: [2],
        requests: 16,
        seed: 3,
      });
      const result = await runRemote(h, workerTransport, suite);
      expect(result.status, JSON.stringify(result.error)).toBe('completed');
      const measured = (await samplesOf(h.store!, result.runId)).filter((s) => s.phase === 'measured');
      expect(measured).toHaveLength(16);
      // Some sizes drawn below the mean: those are the ones a mean-sized plan would send too long.
      expect(measured.some((s) => s.requestPromptTokens! < 64)).toBe(true);
      for (const s of measured) {
        expect(s.promptTokensActual).toBe(s.requestPromptTokens);
        expect(s.flags).not.toContain('prompt-size-mismatch');
      }
    },
    TEST_TIMEOUT_MS,
  );

  it('reads the offset to a database on this machine as zero, within half its best round trip', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const offset = await measureDbOffset(pool);
      expect(offset.rttMs).toBeGreaterThan(0);
      // Same machine, same clock: only the error bound, plus the drift of this process's monotonic epoch
      // (performance.timeOrigin + now) from the system clock since the process started (NTP slewing).
      expect(Math.abs(offset.offsetMs)).toBeLessThanOrEqual(offset.rttMs / 2 + 5);
    } finally {
      await pool.end();
    }
  });
});
