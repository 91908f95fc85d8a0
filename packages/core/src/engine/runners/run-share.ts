/**
 * A runner's side of one share of a cell: its own transport (built from the coordinator's options as
 * data), its lanes as a sliding window over the share's pre-assigned request indices, started at the
 * common start time, each request measured with the engine's own `sendRequest` on this machine's monotonic
 * clock, and every sample written to the store by this runner, numbered as the coordinator reserved.
 */
import type pg from 'pg';
import type { Sample } from '../../result/types.js';
import type { Store } from '../../store/store.js';
import { createLlamaTransport } from '../../transport/llama/llama-transport.js';
import { errorMessage } from '../../util/error-message.js';
import { NO_LOOP_READING, watchEventLoop } from '../client-health.js';
import { nonce } from '../prompts.js';
import type { RunContext, SampleInput } from '../run-context.js';
import { createSampleSink } from '../sample-sink.js';
import { sendRequest } from '../send-request.js';
import { runSlidingWindow } from '../sliding-window.js';
import { localEpochMs, measureDbOffset, waitUntilDb } from './db-clock.js';
import { BEGUN_TABLE, type ShareJob, type ShareOutput } from './protocol.js';

export interface ShareDeps {
  jobId: string;
  runner: string;
  store: Store;
  pool: pg.Pool;
  /** Aborts when the share must stop: the coordinator gave up on it, or the runner is stopping. */
  signal: AbortSignal;
  /** When this runner's previous share ended (its wall clock, epoch ms); undefined for its first share. */
  busyUntilEpochMs?: number | undefined;
}

/** Run one share; resolves with what the coordinator reads back (the job's output). */
export async function runShare(job: ShareJob, deps: ShareDeps): Promise<ShareOutput> {
  const { connections: _limit, ...options } = job.transport;
  const clock = () => performance.now();
  const transport = createLlamaTransport({ ...options, clock });
  const begun = createBegunSink(deps.pool, deps.jobId, deps.runner);
  let storeFailure: string | undefined;
  // Each sample is stored only once its begun marker is claimed (deleted) here: a coordinator that took this
  // runner for dead claims the markers it writes off as cancelled the same way, so a runner that was only
  // paused (a stall, SIGSTOP) and comes back cannot store a second sample under the same number.
  const samples = createSampleSink(
    async (batch) => {
      await begun.flush();
      const owned = await begun.claim(batch.map((sample) => sample.seq));
      const mine = batch.filter((sample) => owned.has(sample.seq));
      if (mine.length > 0) await deps.store.runs.appendSamples(job.runId, mine);
    },
    (message) => (storeFailure = message),
  );
  let firstSend: number | undefined;
  let lastEnd = 0;
  let sent = 0;
  let loopDelay = { ...NO_LOOP_READING };
  try {
    // Who took the share, for the coordinator's message should this runner die (seq −1: no request's marker).
    await deps.pool.query(
      `INSERT INTO ${BEGUN_TABLE} (job_id, seq, request_id, started_at, runner) VALUES ($1, -1, '', $2, $3) ON CONFLICT DO NOTHING`,
      [deps.jobId, new Date().toISOString(), deps.runner],
    );
    // Connections open and the clock offset read before the start, so neither delays the first requests.
    await transport.reserveConnections?.(job.lanes, { signal: deps.signal }).catch(() => undefined);
    const offset = await measureDbOffset(deps.pool);
    // Still queued past the coordinator's pick-up deadline: a live coordinator would have cancelled it, so
    // its coordinator was killed while the share waited. Sending it now would load the server for no run.
    const nowDb = localEpochMs() + offset.offsetMs;
    if (nowDb > job.pickupByDbMs)
      throw new Error(
        `not run: it was still queued ${Math.round((nowDb - job.pickupByDbMs) / 1000)} s after its coordinator's pick-up deadline, so its coordinator is gone`,
      );
    // A share this runner takes after working another one past the cell's start (fewer runners than shares,
    // or two coordinators sharing them) runs after the other shares, not beside them: the cell would be
    // measured below its concurrency and look complete. Refused instead (its requests are not measured, the
    // cell is partial). Cells follow one another, so a runner free at the start never finished a share after
    // it; one that was idle and merely started late runs its share.
    if (deps.busyUntilEpochMs !== undefined && deps.busyUntilEpochMs + offset.offsetMs > job.startAtDbMs) {
      const lateMs = localEpochMs() + offset.offsetMs - job.startAtDbMs;
      throw new Error(
        `runner ${deps.runner} took it ${Math.round(lateMs)} ms after the cell's common start, busy until then with another share, so its streams would not overlap the other shares'; each runner works one share at a time: start one per share (--runners) for each coordinator running at once`,
      );
    }
    await waitUntilDb(job.startAtDbMs, offset, deps.signal);
    const sendOne = async (k: number): Promise<void> => {
      const index = job.indices[k]!;
      const seq = job.seqBase + index;
      const requestId = `${job.runId}-${job.requestBase + index}`;
      const size = job.sizes?.[k];
      const entry = job.prompts?.[k];
      // What `sendRequest` reads of a run context (as on a worker thread); the sample is stored from here.
      const ctx = {
        suite: job.suite,
        transport,
        clock,
        signal: deps.signal,
        timelines: job.timelines,
        nextNonce: () => nonce(job.nonceBase + index),
        nextRequestId: () => requestId,
        ours: {
          begin() {
            firstSend ??= clock();
            sent++;
            begun.push(seq, requestId, new Date().toISOString());
          },
          end() {},
        },
        record(input: SampleInput): Sample {
          const sample: Sample = { ...input, runId: job.runId, seq };
          samples.push(sample);
          lastEnd = clock();
          return sample;
        },
      } as unknown as RunContext;
      const sample = await sendRequest(ctx, {
        phase: 'measured',
        cell: job.cell,
        plan: job.plan,
        ...(size === undefined ? {} : { promptTokens: size }),
        ...(entry ? { text: entry.prompt, maxTokens: entry.maxTokens } : {}),
      });
      // Aborted before it was sent: it measured nothing, so it is not in flight either.
      if (!sample) begun.drop(seq);
    };
    const loop = watchEventLoop();
    try {
      await runSlidingWindow(job.indices.length, job.lanes, sendOne, deps.signal);
    } finally {
      loopDelay = loop.stop();
    }
    return {
      runner: deps.runner,
      offsetMs: offset.offsetMs,
      offsetRttMs: offset.rttMs,
      firstSendDbMs: firstSend === undefined ? null : performance.timeOrigin + firstSend + offset.offsetMs,
      spanMs: firstSend === undefined ? 0 : Math.max(0, lastEnd - firstSend),
      sent,
      loop: loopDelay,
      ...(storeFailure ? { error: storeFailure } : {}),
    };
  } finally {
    // Every sample and marker is written before the share reports done: the coordinator then reads them.
    await samples.flush();
    await begun.flush();
    // Every begun request has its sample stored (cancelled ones too): nothing of this share is left to write off.
    if (!storeFailure) await deps.pool.query(`DELETE FROM ${BEGUN_TABLE} WHERE job_id = $1`, [deps.jobId]).catch(() => undefined);
    await transport.reserveConnections?.(0).catch(() => undefined);
    await transport.close().catch(() => undefined);
  }
}

/** Begun markers, inserted in batches off the hot path (one statement per event-loop turn of sends). */
function createBegunSink(pool: pg.Pool, jobId: string, runner: string) {
  let rows: [number, string, string][] = [];
  let dropped: number[] = [];
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    chain = chain
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(async () => {
        scheduled = false;
        const batch = rows;
        const gone = dropped;
        rows = [];
        dropped = [];
        if (batch.length > 0)
          await pool.query(
            `INSERT INTO ${BEGUN_TABLE} (job_id, seq, request_id, started_at, runner)
             SELECT $1, s, r, t, $2 FROM unnest($3::bigint[], $4::text[], $5::text[]) AS u(s, r, t) ON CONFLICT DO NOTHING`,
            [jobId, runner, batch.map((r) => r[0]), batch.map((r) => r[1]), batch.map((r) => r[2])],
          );
        if (gone.length > 0) await pool.query(`DELETE FROM ${BEGUN_TABLE} WHERE job_id = $1 AND seq = ANY($2::bigint[])`, [jobId, gone]);
      })
      .catch((err: unknown) => {
        // A marker lost only weakens what a crash can tell; the measurement goes on.
        process.emitWarning(`swapbench runner: could not record begun requests: ${errorMessage(err)}`);
      });
  };
  return {
    push(seq: number, requestId: string, startedAt: string) {
      rows.push([seq, requestId, startedAt]);
      schedule();
    },
    drop(seq: number) {
      dropped.push(seq);
      schedule();
    },
    flush: () => chain,
    /** Delete the markers of `seqs` still there; resolves with the seqs this call deleted (now this runner's to store). */
    async claim(seqs: number[]): Promise<Set<number>> {
      const { rows } = await pool.query<{ seq: string }>(
        `DELETE FROM ${BEGUN_TABLE} WHERE job_id = $1 AND seq = ANY($2::bigint[]) RETURNING seq`,
        [jobId, seqs],
      );
      return new Set(rows.map((r) => Number(r.seq)));
    },
  };
}
