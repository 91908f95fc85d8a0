/**
 * A remote runner (issue #21): a long-lived process that works shares of cells from the pg-boss queue in
 * the shared PostgreSQL store. One share at a time, so two shares never split one event loop; it proves it
 * is alive by touching its job every `heartbeatMs` (pg-boss sets the job's heartbeat on the database's
 * clock), and stops a share whose job the coordinator gave up on (a touch that no longer finds it active).
 */
import { hostname } from 'node:os';
import type { Job } from 'pg-boss';
import { openPostgresStore } from '../../store/postgres/index.js';
import { errorMessage } from '../../util/error-message.js';
import { openRunnerDb } from './connection.js';
import { localEpochMs } from './db-clock.js';
import { SHARE_PROTOCOL, SHARE_QUEUE, type ShareJob, type ShareOutput } from './protocol.js';
import { runShare } from './run-share.js';
import { warmUp } from './warm-up.js';

export interface RunnerOptions {
  /** The shared store: a `postgres://` URI (its `?schema=` holds the queue too). */
  store: string;
  /** Shown to the coordinator (in notes and errors); default `<hostname>-<pid>`. */
  name?: string;
  /** Most lanes (streams in flight) this runner takes in one share; a bigger share fails with a message. */
  concurrencyLimit?: number;
  /** How often the queue is polled for a share, s (pg-boss's minimum: 0.5); default 0.5. */
  pollSeconds?: number;
  /** Hears what the runner does (one line each): for the CLI's stderr. */
  onLog?: (line: string) => void;
}

export interface Runner {
  readonly name: string;
  /** Stop taking shares; a share in flight is stopped (its requests cancelled) and the runner closes. */
  stop(): Promise<void>;
}

/** Start a runner; resolves once it listens on the queue. */
export async function startRunner(options: RunnerOptions): Promise<Runner> {
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const log = options.onLog ?? (() => undefined);
  // The store first: it creates the schema and its tables, so pg-boss's are added beside them. Its appends
  // leave the coordinator the run's writer: this runner exiting must not make the run look interrupted.
  const store = await openPostgresStore(options.store, { keepWriter: true });
  let db: Awaited<ReturnType<typeof openRunnerDb>>;
  try {
    db = await openRunnerDb(options.store, '--store');
  } catch (err) {
    await store.close();
    throw err;
  }
  // Before the first share, not during it: see warm-up.ts.
  const warm = await warmUp();
  log(`runner ${name} warmed up in ${warm.ms.toFixed(0)} ms${warm.error ? ` (it failed: ${warm.error}; its first share runs cold)` : ''}`);
  const stopping = new AbortController();
  // When the last share it ran ended: a share taken late because this runner was busy with that one is refused.
  let lastShareEnd: number | undefined;
  await db.boss.work<ShareJob, ShareOutput>(
    SHARE_QUEUE,
    { batchSize: 1, localConcurrency: 1, pollingIntervalSeconds: options.pollSeconds ?? 0.5 },
    async ([job]) => work(job!),
  );
  log(`runner ${name} is working queue ${SHARE_QUEUE} in ${db.name}`);

  async function work(job: Job<ShareJob>): Promise<ShareOutput> {
    const share = job.data;
    // Posted by another swapbench version (or by hand): refused in one line, rather than misread.
    if ((share as Partial<ShareJob> | null)?.protocol !== SHARE_PROTOCOL) {
      const got = (share as Partial<ShareJob> | null)?.protocol;
      const message = `share job ${job.id} comes from another swapbench version (share protocol ${got ?? 'none'}; this runner's is ${SHARE_PROTOCOL}): run the same version on the coordinator and every runner`;
      log(`runner ${name}: refused a share: ${message}`);
      throw new Error(message);
    }
    const what = `share ${share.share + 1}/${share.shares} of run ${share.runId}`;
    if (options.concurrencyLimit !== undefined && share.lanes > options.concurrencyLimit) {
      const message = `runner ${name} takes at most ${options.concurrencyLimit} streams (--concurrency-limit); ${what} has ${share.lanes}`;
      // Said here too: whoever watches this runner sees why it did nothing.
      log(`runner ${name}: refused ${what}: ${message}`);
      throw new Error(message);
    }
    log(`runner ${name}: ${what}, ${share.indices.length} requests on ${share.lanes} lanes`);
    const controller = new AbortController();
    const stop = () => controller.abort(new Error(`runner ${name} stopped`));
    stopping.signal.addEventListener('abort', stop, { once: true });
    job.signal.addEventListener('abort', stop, { once: true });
    const beat = setInterval(() => {
      db.boss
        .touch(SHARE_QUEUE, job.id)
        .then((r) => {
          // Not active any more: the coordinator cancelled it (an abort, or it judged us dead).
          if ((r as { affected?: number }).affected === 0) controller.abort(new Error(`the coordinator gave up on ${what}`));
        })
        .catch(() => undefined);
    }, share.heartbeatMs);
    try {
      const out = await runShare(share, {
        jobId: job.id,
        runner: name,
        store,
        pool: db.pool,
        signal: controller.signal,
        busyUntilEpochMs: lastShareEnd,
      });
      // Only a share that ran makes this runner busy: a refused one sent nothing.
      lastShareEnd = localEpochMs();
      log(`runner ${name}: ${what} done, ${out.sent} sent`);
      // Stopped (Ctrl-C / SIGTERM) mid-share: the job still completes (its output carries the share's span and
      // loop), so say why its requests fell short, or the coordinator would show a partial cell with no reason.
      if (stopping.signal.aborted && !out.error)
        out.error = `stopped mid-share (Ctrl-C / SIGTERM): ${out.sent} of ${share.indices.length} requests sent, those in flight stored as cancelled`;
      return out;
    } catch (err) {
      log(`runner ${name}: ${what} failed: ${errorMessage(err)}`);
      throw err;
    } finally {
      clearInterval(beat);
      stopping.signal.removeEventListener('abort', stop);
    }
  }

  return {
    name,
    async stop() {
      stopping.abort();
      await db.boss.offWork(SHARE_QUEUE, { wait: true }).catch(() => undefined);
      await db.close();
      await store.close();
    },
  };
}
