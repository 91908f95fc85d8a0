/**
 * Remote runners (issue #21) when things go wrong: a runner SIGKILLed mid-cell loses only its requests in
 * flight (stored as cancelled), the cell is partial and the run ends; one stopped with SIGTERM stores its
 * own cancelled requests and the notes say so; one paused past its deadline and back stores nothing twice;
 * an abort cancels the runners' requests; a share nobody picks up, or that a runner refuses, fails the run
 * in one clear line.
 */
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import { adminQuery, withPostgres } from '../../store/postgres-harness.js';
import { FAST, remoteSuite, runRemote, samplesOf, startUntilMidShare, TEST_TIMEOUT_MS, TTFT_MS, useHarness } from './helpers.js';

withPostgres('remote runners that fail', (url) => {
  const h = useHarness(url);

  it(
    'stores a SIGKILLed runner’s requests in flight as cancelled, marks the cell partial, and ends the run',
    async () => {
      // 32 tokens at 40 tokens/s: each request is in flight for about 0.8 s, so r2 dies mid-request.
      const { workerTransport } = await h.setUp(40);
      const r2 = h.children[1]!;
      const started = performance.now();
      // Once r2 has requests in flight and some samples are in, kill it.
      const { done, seen } = await startUntilMidShare(h, url, workerTransport, remoteSuite('remote-kill', { maxErrorRate: 1 }), 4);
      r2.kill('SIGKILL');
      const killedAt = performance.now();
      const result = await done;
      const endedAfterKillMs = performance.now() - killedAt;
      // Dead after 2 s without a touch, plus the coordinator's polling (100 ms): bounded, whatever the load.
      expect(endedAfterKillMs).toBeLessThan(15_000);
      expect(performance.now() - started).toBeLessThan(60_000);

      const cell = result.cells[0]!;
      expect(cell.partial).toBe(true);
      const measured = (await samplesOf(h.store!, result.runId)).filter((s) => s.phase === 'measured');
      // Every sample the coordinator took in is stored, and nothing else of the cell.
      expect(measured.map((s) => s.seq).sort((a, b) => a - b)).toEqual(seen.map((s) => s.seq).sort((a, b) => a - b));
      expect(cell.n).toBe(measured.length);
      const cancelled = measured.filter((s) => s.error?.code === 'CANCELLED');
      // r2 had 2 lanes: at most 2 requests in flight when it died (1 when it was between two requests).
      expect(cancelled.length).toBeGreaterThanOrEqual(1);
      expect(cancelled.length).toBeLessThanOrEqual(2);
      for (const s of cancelled) expect(s.error!.message).toBe('runner r2 stopped mid-request');
      const ok = measured.filter((s) => s.ok);
      for (const s of ok) expect(s.ttftMs!).toBeGreaterThanOrEqual(TTFT_MS);
      // r1 finished its whole share (20 requests); r2 lost what it had not sent.
      expect(ok.length).toBeGreaterThanOrEqual(20);
      expect(ok.length + cancelled.length).toBeLessThan(40);
      expect(result.notes.join('\n')).toMatch(/runner r2 stopped mid-request/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'cancels the runners’ requests when the run is aborted mid-cell, and ends cancelled',
    async () => {
      const { workerTransport } = await h.setUp(40);
      const suite = remoteSuite('remote-abort');
      const controller = new AbortController();
      let seen = 0;
      let abortedAt = 0;
      const result = await runBenchSuite(suite, {
        transport: h.transport!,
        store: h.store!,
        workerTransport,
        runners: h.runners!,
        foreignProbeMs: 0,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'sample' && e.sample.phase === 'measured' && ++seen === 6) {
            abortedAt = performance.now();
            controller.abort(new Error('stopped by the test'));
          }
        },
      });
      // The runners hear of it at their next touch (250 ms); the coordinator waits until they have stored their samples.
      expect(performance.now() - abortedAt).toBeLessThan(5_000);
      expect(result.status).toBe('cancelled');
      const measured = (await samplesOf(h.store!, result.runId)).filter((s) => s.phase === 'measured');
      expect(new Set(measured.map((s) => s.seq)).size).toBe(measured.length);
      const cancelled = measured.filter((s) => s.error?.code === 'CANCELLED');
      // Each runner had up to 2 requests in flight when it heard of the abort.
      expect(cancelled.length).toBeGreaterThanOrEqual(1);
      expect(cancelled.length).toBeLessThanOrEqual(4);
      // Both runners were alive: they stored their own cancelled requests, and none had to be written off.
      for (const c of cancelled) expect(c.error!.message).not.toMatch(/stopped mid-request/);
      expect(measured.length).toBeLessThan(40);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stores the requests in flight of a runner stopped with SIGTERM as cancelled, and the notes say it stopped',
    async () => {
      const { workerTransport } = await h.setUp(40);
      const r2 = h.children[1]!;
      const { done } = await startUntilMidShare(h, url, workerTransport, remoteSuite('remote-term', { maxErrorRate: 1 }), 4);
      r2.kill('SIGTERM');
      const [code] = await once(r2, 'exit');
      expect(code).toBe(0);
      const result = await done;
      const cell = result.cells[0]!;
      expect(cell.partial).toBe(true);
      const measured = (await samplesOf(h.store!, result.runId)).filter((s) => s.phase === 'measured');
      expect(new Set(measured.map((s) => s.seq)).size).toBe(measured.length);
      expect(cell.n).toBe(measured.length);
      const cancelled = measured.filter((s) => s.error?.code === 'CANCELLED');
      // r2 stored its own cancelled requests (up to its 2 lanes) before it exited: none had to be written off.
      expect(cancelled.length).toBeGreaterThanOrEqual(1);
      expect(cancelled.length).toBeLessThanOrEqual(2);
      for (const c of cancelled) expect(c.error!.message).not.toMatch(/stopped mid-request/);
      // A partial cell says why: the runner was stopped, not the run.
      expect(result.notes.join('\n')).toMatch(/runner r2: stopped mid-share \(Ctrl-C \/ SIGTERM\): \d+ of 20 requests sent/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stores no request twice when a runner taken for dead comes back (paused with SIGSTOP, then SIGCONT)',
    async () => {
      // 64 tokens at 40 tokens/s: each request is in flight for about 1.6 s, so r2 is paused mid-request.
      const { workerTransport } = await h.setUp(40);
      const r2 = h.children[1]!;
      const { done } = await startUntilMidShare(
        h,
        url,
        workerTransport,
        remoteSuite('remote-pause', { maxTokens: [64], requests: 16, maxErrorRate: 1 }),
        2,
      );
      r2.kill('SIGSTOP');
      // Paused past the coordinator's 2 s: it writes r2's requests in flight off as cancelled.
      await expect
        .poll(
          async () => {
            const rows = await adminQuery<{ n: string }>(
              url,
              "SELECT count(*) AS n FROM samples WHERE body LIKE '%runner r2 stopped mid-request%'",
              [],
              h.schema,
            );
            return Number(rows[0]?.n ?? 0);
          },
          { timeout: 20_000, interval: 100 },
        )
        .toBeGreaterThan(0);
      // r2 comes back: its streams (buffered meanwhile) end, and it learns at its next touch that its share was
      // given up. Stopping it then waits for whatever it still stores.
      r2.kill('SIGCONT');
      const result = await done;
      r2.kill('SIGTERM');
      await once(r2, 'exit');
      const measured = (await samplesOf(h.store!, result.runId)).filter((s) => s.phase === 'measured');
      expect(new Set(measured.map((s) => s.seq)).size).toBe(measured.length);
      expect(result.cells[0]!.n).toBe(measured.length);
      expect(result.notes.join('\n')).toMatch(/runner r2 stopped mid-request/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails the run in one clear error when no runner picks a share up',
    async () => {
      const { workerTransport } = await h.setUp(400, [], { ...FAST, pickupTimeoutMs: 1500 });
      const suite = remoteSuite('remote-none', { maxTokens: [8], concurrency: [2], requests: 4 });
      const started = performance.now();
      const result = await runRemote(h, workerTransport, suite);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('DEADLINE_EXCEEDED');
      expect(result.error?.message).toMatch(
        /a runner for 2 of 2 shares of cell m1 pp32 tg8 c2 \(start one with `swapbench runner --store postgres:\/\/\*\*\*@[^`]+`\) did not answer within 1500 ms/,
      );
      expect(JSON.stringify(result)).not.toContain(new URL(url).password);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails the run saying why when a runner refuses a share over its --concurrency-limit',
    async () => {
      const { workerTransport } = await h.setUp(400, ['small'], FAST, ['--concurrency-limit', '1']);
      const suite = remoteSuite('remote-limit', { maxTokens: [8], concurrency: [2], requests: 4, runners: 1 });
      const result = await runRemote(h, workerTransport, suite);
      // Its only share refused: nothing can be measured, so the run fails saying why (and keeps no empty cell).
      expect(result.status).toBe('failed');
      expect(result.cells).toEqual([]);
      expect(result.error).toEqual({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/^runners: every share of cell m1 pp32 tg8 c2 failed: runner small takes at most 1 streams/),
      });
      expect(result.notes.join('\n')).toMatch(
        /share 1\/1 failed: runner small takes at most 1 streams \(--concurrency-limit\); share 1\/1 of run \S+ has 2/,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
