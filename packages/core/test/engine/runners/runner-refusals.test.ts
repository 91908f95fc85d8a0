/**
 * Shares a runner refuses (issue #21), each in one line the coordinator shows, without sending a request of
 * it: one it takes late because it was busy with another share (the shares would run one after another, below
 * the cell's concurrency), one it cannot read (another swapbench version's), and one still queued past its
 * coordinator's pick-up deadline (the coordinator was killed). The runner goes on working.
 */
import { PgBoss } from 'pg-boss';
import { expect, it } from 'vitest';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import { SHARE_QUEUE, type ShareJob } from '../../../src/engine/runners/index.js';
import { adminQuery, withPostgres } from '../../store/postgres-harness.js';
import { runRemote, samplesOf, TEST_TIMEOUT_MS, useHarness, remoteSuite } from './helpers.js';

withPostgres('shares a runner refuses', (url) => {
  const h = useHarness(url);

  it(
    'refuses a share its runner takes late, busy with another share of the cell, rather than run the shares one after another',
    async () => {
      // One runner for two shares: the second would run after the first, at half the cell's concurrency.
      const { workerTransport } = await h.setUp(400, ['solo']);
      const suite = remoteSuite('remote-solo', { maxTokens: [64], requests: 8 });
      const result = await runRemote(h, workerTransport, suite);
      const cell = result.cells[0]!;
      // Only the share it took in time was measured: the cell is partial, and the notes say why.
      expect(cell.partial).toBe(true);
      expect(cell.n).toBe(4);
      expect(result.notes.join('\n')).toMatch(
        /share [12]\/2 failed: runner solo took it \d+ ms after the cell's common start, busy until then with another share/,
      );
      const measured = (await samplesOf(h.store!, result.runId)).filter((s) => s.phase === 'measured');
      expect(measured).toHaveLength(4);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails a share job it cannot read (another version’s, or junk) in one line, and goes on working',
    async () => {
      const { workerTransport } = await h.setUp(400, ['r1']);
      const server = new URL(url);
      const boss = new PgBoss({ connectionString: server.toString(), schema: h.schema, schedule: false });
      boss.on('error', () => undefined);
      await boss.start();
      try {
        const id = (await boss.send(SHARE_QUEUE, { runId: 'x', share: 0, shares: 1, lanes: 2, indices: 'nope' }, { retryLimit: 0 }))!;
        await expect.poll(async () => (await boss.getJobById(SHARE_QUEUE, id))?.state, { timeout: 10_000 }).toBe('failed');
        const output = (await boss.getJobById(SHARE_QUEUE, id))!.output as { message?: string };
        expect(output.message).toMatch(/comes from another swapbench version \(share protocol none; this runner's is \d+\)/);
      } finally {
        await boss.stop({ graceful: false, close: true });
      }
      // The runner is still there, and takes the next run's share.
      expect(h.children[0]!.exitCode).toBeNull();
      const suite = remoteSuite('after-junk', { maxTokens: [8], concurrency: [2], requests: 4, runners: 1 });
      const result = await runRemote(h, workerTransport, suite);
      expect(result.status, JSON.stringify(result.error)).toBe('completed');
      expect(result.cells[0]!.n).toBe(4);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a share still queued past its coordinator’s pick-up deadline (the coordinator was killed), sending nothing',
    async () => {
      const { workerTransport } = await h.setUp(400, ['r1']);
      const suite = remoteSuite('stale', { maxTokens: [8], concurrency: [2], requests: 4, runners: 1 });
      const done = await runBenchSuite(suite, {
        transport: h.transport!,
        store: h.store!,
        workerTransport,
        runners: h.runners!,
        foreignProbeMs: 0,
      });
      expect(done.status, JSON.stringify(done.error)).toBe('completed');
      // The share that run posted, queued again as a killed coordinator would have left it: its deadlines passed.
      const [row] = await adminQuery<{ data: ShareJob }>(url, 'SELECT data FROM job WHERE name = $1 LIMIT 1', [SHARE_QUEUE], h.schema);
      const stale = { ...row!.data, startAtDbMs: row!.data.startAtDbMs - 60_000, pickupByDbMs: row!.data.startAtDbMs - 30_000 };
      h.sim!.groundTruth.length = 0;
      const boss = new PgBoss({ connectionString: url, schema: h.schema, schedule: false });
      boss.on('error', () => undefined);
      await boss.start();
      try {
        const id = (await boss.send(SHARE_QUEUE, stale, { retryLimit: 0 }))!;
        await expect.poll(async () => (await boss.getJobById(SHARE_QUEUE, id))?.state, { timeout: 10_000 }).toBe('failed');
        const output = (await boss.getJobById(SHARE_QUEUE, id))!.output as { message?: string };
        expect(output.message).toMatch(/^not run: it was still queued \d+ s after its coordinator's pick-up deadline/);
      } finally {
        await boss.stop({ graceful: false, close: true });
      }
      expect(h.sim!.groundTruth).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
