/**
 * The coordinator's side of remote runners (issue #21): a closed-loop cell is split into shares (lanes and
 * request indices, index i to share i mod n), posted as pg-boss jobs with a common start time on the
 * database's clock, and watched until each share is done, dead or never picked up. Samples the runners
 * store are read back as they land and taken into the run (numbered in the block reserved for the cell).
 */
import { ConfigError, DeadlineExceededError } from '../../errors/errors.js';
import { pickPrompt } from '../load/prompt-set.js';
import { cellName } from '../phases/measure-cell.js';
import type { RunContext } from '../run-context.js';
import { lanesOf } from '../workers/worker-count.js';
import { dbNowMs, openRunnerDb, type RunnerDb } from './connection.js';
import { BEGUN_TABLE, LATE_START_MS, SHARE_PROTOCOL, SHARE_QUEUE, type ShareJob, type ShareOutput } from './protocol.js';
import { createReader, type Reader, writeOff } from './read-samples.js';
import type { RemoteCell, RemoteCellOutcome, RemoteRunners } from './remote-runners.js';

export interface ConnectRunnersOptions {
  /** A share no runner has picked up this long after it was posted fails the cell (and the run), ms; default 30 000. */
  pickupTimeoutMs?: number;
  /** Shares start this long after they are posted, on the database's clock, ms; default 2 000 (runners poll every 0.5 s). */
  startMarginMs?: number;
  /** How often a runner touches its share's job, ms; default 1 000. */
  heartbeatMs?: number;
  /** A share whose job was not touched for this long is its runner's death, ms; default 5 000. */
  deadAfterMs?: number;
  /** How often the coordinator reads new samples and the shares' states, ms; default 250. */
  pollMs?: number;
}

/** A share as the coordinator follows it. */
interface ShareState {
  id: string;
  job: ShareJob;
  postedAt: number;
  /** How it ended; undefined while it runs. */
  end?: 'done' | 'dead' | 'failed' | 'not-picked' | 'cancelled';
  /** Until when (coordinator clock) samples of a share that ended badly may still land, before the begun ones are written off. */
  drainUntil?: number;
  output?: ShareOutput;
  message?: string;
  /** Its runner's begun requests without a sample, stored as cancelled. */
  writtenOff?: number;
}

/**
 * Connect to the runners that work the queue of the PostgreSQL store at `uri` (the same URI the run's store
 * was opened with). Pass the result as `runBenchSuite`'s `runners` option; close it after the run.
 */
export async function connectRunners(uri: string, options: ConnectRunnersOptions = {}): Promise<RemoteRunners> {
  const db = await openRunnerDb(uri, 'runners');
  const settings = {
    pickupTimeoutMs: options.pickupTimeoutMs ?? 30_000,
    startMarginMs: options.startMarginMs ?? 2_000,
    heartbeatMs: options.heartbeatMs ?? 1_000,
    deadAfterMs: options.deadAfterMs ?? 5_000,
    pollMs: options.pollMs ?? 250,
  };
  return {
    runCell: (ctx, cell) => runRemoteCell(ctx, db, settings, cell),
    close: () => db.close(),
  };
}

type Settings = Required<ConnectRunnersOptions>;

async function runRemoteCell(ctx: RunContext, db: RunnerDb, s: Settings, rc: RemoteCell): Promise<RemoteCellOutcome> {
  const lanes = Math.min(rc.cell.concurrency, rc.planned);
  const count = Math.max(1, Math.min(ctx.suite.runners, lanes));
  if (ctx.stopSignal.aborted || rc.planned === 0) return { wallMs: 0, shares: 0, loops: [] };
  const numbers = ctx.reserveRequests(rc.planned);
  const seqBase = ctx.reserveSamples(rc.planned);
  // Samples stored before the cell are not read again: the identity column orders what was appended.
  await ctx.flushSamples();
  const after = await lastSampleRow(db, ctx.runId);
  const postedAtDbMs = await dbNowMs(db.pool);
  const startAtDbMs = postedAtDbMs + s.startMarginMs;
  // With drawn prompt sizes, every request is built from the smallest size's plan and padded up (as locally):
  // the cell's own plan is the mean's, and a drawn size below it would be sent at the mean's size.
  const plan = rc.sizer ? rc.sizer(0).plan : rc.plan;
  const shares: ShareState[] = [];
  for (let k = 0; k < count; k++) {
    const indices: number[] = [];
    for (let i = k; i < rc.planned; i += count) indices.push(i);
    const job: ShareJob = {
      protocol: SHARE_PROTOCOL,
      runId: ctx.runId,
      share: k,
      shares: count,
      transport: ctx.workerTransport!,
      suite: ctx.suite,
      cell: rc.cell,
      plan,
      lanes: lanesOf(lanes, count, k),
      indices,
      nonceBase: numbers.nonce,
      requestBase: numbers.request,
      seqBase,
      ...(rc.sizer ? { sizes: indices.map((i) => rc.sizer!(i).promptTokens) } : {}),
      ...(ctx.promptSet ? { prompts: indices.map((i) => pickPrompt(ctx.promptSet!, ctx.suite.prompts!.order, ctx.suite.seed, i)) } : {}),
      timelines: ctx.timelines,
      startAtDbMs,
      pickupByDbMs: postedAtDbMs + s.pickupTimeoutMs,
      heartbeatMs: s.heartbeatMs,
    };
    const id = await db.boss.send(SHARE_QUEUE, job as unknown as object, { retryLimit: 0 });
    shares.push({ id: id!, job, postedAt: performance.now() });
  }
  const reader = createReader(ctx, db, rc, seqBase, after, lanes);
  try {
    await watchShares(ctx, db, s, shares, reader, rc);
  } finally {
    reader.done();
  }
  await reader.take();
  const notPicked: ShareState[] = [];
  for (const sh of shares) {
    if (sh.end === 'not-picked') notPicked.push(sh);
    else if (sh.end === 'dead')
      ctx.warn(
        `cell ${cellName(rc.cell)}: ${sh.message}; ${sh.writtenOff ?? 0} request(s) it had begun without an answer stored as cancelled`,
      );
    else if (sh.end === 'failed') ctx.warn(`cell ${cellName(rc.cell)}: share ${sh.job.share + 1}/${count} failed: ${sh.message}`);
    else if (sh.output?.error) ctx.warn(`cell ${cellName(rc.cell)}: runner ${sh.output.runner}: ${sh.output.error}`);
  }
  await db.pool.query(`DELETE FROM ${BEGUN_TABLE} WHERE job_id = ANY($1::text[])`, [shares.map((sh) => sh.id)]).catch(() => undefined);
  if (notPicked.length > 0)
    ctx.halt(
      new DeadlineExceededError(
        `a runner for ${notPicked.length} of ${count} shares of cell ${cellName(rc.cell)} (start one with \`swapbench runner --store ${db.name}\`)`,
        s.pickupTimeoutMs,
      ),
    );
  // Every share refused (over a runner's --concurrency-limit, a transport it cannot build): nothing can be measured.
  const failed = shares.filter((sh) => sh.end === 'failed');
  if (failed.length === count)
    ctx.halt(new ConfigError([{ path: 'runners', message: `every share of cell ${cellName(rc.cell)} failed: ${failed[0]!.message}` }]));
  const loops = shares.flatMap((sh) => (sh.output?.loop ? [sh.output.loop] : []));
  return { wallMs: startNote(ctx, rc, shares), shares: count, loops };
}

/** Poll the shares until each is done, or ended badly and written off; an abort cancels those still running. */
async function watchShares(
  ctx: RunContext,
  db: RunnerDb,
  s: Settings,
  shares: ShareState[],
  reader: Reader,
  rc: RemoteCell,
): Promise<void> {
  let cancelling = false;
  for (;;) {
    await reader.take();
    if (ctx.stopSignal.aborted && !cancelling) {
      cancelling = true;
      // Runners see their job cancelled at their next touch and cancel their requests in flight.
      const running = shares.filter((sh) => !sh.end).map((sh) => sh.id);
      await db.boss.cancel(SHARE_QUEUE, running).catch(() => undefined);
    }
    const now = await dbNowMs(db.pool);
    for (const sh of shares) if (!sh.end) await follow(db, s, sh, now, cancelling);
    // A share that ended badly: its begun requests without a sample are written off once it can store no more
    // (its runner is dead, or it cleared its markers after storing what it cancelled, or it took too long).
    for (const sh of shares)
      if (
        sh.end &&
        sh.end !== 'done' &&
        sh.drainUntil !== undefined &&
        (performance.now() >= sh.drainUntil || !(await hasBegun(db, sh.id)))
      ) {
        sh.drainUntil = undefined;
        await reader.take();
        sh.writtenOff = await writeOff(ctx, db, sh.id, reader, rc);
      }
    if (shares.every((sh) => sh.end && sh.drainUntil === undefined)) return;
    await new Promise((resolve) => setTimeout(resolve, s.pollMs));
  }
}

/** Read one share's job and judge it: done, failed, dead (not touched for `deadAfterMs`), or never picked up. */
async function follow(db: RunnerDb, s: Settings, sh: ShareState, nowDbMs: number, cancelling: boolean): Promise<void> {
  const job = await db.boss.getJobById<ShareJob>(SHARE_QUEUE, sh.id);
  const state = job?.state ?? 'failed';
  const output = job?.output as (ShareOutput & { message?: string }) | undefined;
  const drain = (end: ShareState['end'], message: string, drainMs: number) => {
    sh.end = end;
    sh.message = message;
    sh.drainUntil = performance.now() + drainMs;
  };
  if (state === 'completed') {
    sh.end = 'done';
    sh.output = output;
  } else if (state === 'failed') drain('failed', output?.message ?? 'the runner reported a failure', 0);
  else if (state === 'cancelled')
    // Cancelled by us (an abort): its runner hears at its next touch, stores its cancelled requests and clears
    // its markers; one that does not within `deadAfterMs` is taken for dead.
    drain('cancelled', 'cancelled', s.deadAfterMs);
  else if (state === 'active') {
    const beat = (job!.heartbeatOn ?? job!.startedOn).getTime();
    if (nowDbMs - beat > s.deadAfterMs) {
      await db.boss.cancel(SHARE_QUEUE, sh.id).catch(() => undefined);
      const runner = (await runnerOf(db, sh.id)) ?? 'a runner';
      drain(
        'dead',
        `runner ${runner} stopped mid-request (share ${sh.job.share + 1}/${sh.job.shares} not touched for ${Math.round(nowDbMs - beat)} ms)`,
        0,
      );
    }
  } else if (!cancelling && performance.now() - sh.postedAt > s.pickupTimeoutMs) {
    await db.boss.cancel(SHARE_QUEUE, sh.id).catch(() => undefined);
    sh.end = 'not-picked';
  } else if (cancelling) {
    sh.end = 'cancelled';
  }
}

/** Whether a share still has begun markers of requests without a stored sample (its runner claims each as it stores it). */
async function hasBegun(db: RunnerDb, jobId: string): Promise<boolean> {
  const { rowCount } = await db.pool.query(`SELECT 1 FROM ${BEGUN_TABLE} WHERE job_id = $1 AND seq >= 0 LIMIT 1`, [jobId]);
  return (rowCount ?? 0) > 0;
}

/** The runner that took a share, from its markers (pg-boss keeps no worker name on a job; seq −1 says who took it). */
async function runnerOf(db: RunnerDb, jobId: string): Promise<string | undefined> {
  const { rows } = await db.pool.query<{ runner: string }>(`SELECT runner FROM ${BEGUN_TABLE} WHERE job_id = $1 LIMIT 1`, [jobId]);
  return rows[0]?.runner;
}

/** The samples' identity position up to which this run's samples are already read. */
async function lastSampleRow(db: RunnerDb, runId: string): Promise<string> {
  const { rows } = await db.pool.query<{ pos: string | null }>('SELECT max(seq) AS pos FROM samples WHERE run_id = $1', [runId]);
  return rows[0]?.pos ?? '0';
}

/**
 * The cell's wall time (first send of any runner to the last answer of any, placed on the database's
 * clock through each runner's offset), and a note on how closely the runners started together.
 */
function startNote(ctx: RunContext, rc: RemoteCell, shares: ShareState[]): number {
  const outs = shares.map((sh) => sh.output).filter((o): o is ShareOutput => o !== undefined && o.firstSendDbMs !== null);
  if (outs.length === 0) return 0;
  const starts = outs.map((o) => o.firstSendDbMs!);
  const first = Math.min(...starts);
  const last = Math.max(...outs.map((o) => o.firstSendDbMs! + o.spanMs));
  const spread = Math.max(...starts) - first;
  const error = Math.max(...outs.map((o) => o.offsetRttMs / 2));
  // Runners that started late (idle, but started after the run began) each at their own time: say so, as the
  // cell then ran below its concurrency for that long.
  if (spread > LATE_START_MS)
    ctx.warn(
      `cell ${cellName(rc.cell)}: the runners' shares started ${Math.round(spread)} ms apart, so for that long fewer than ${rc.cell.concurrency} requests were in flight`,
    );
  // One share has nobody to be aligned with: say where it ran, not "within 0.0 ms".
  const names = outs.map((o) => o.runner).join(', ');
  ctx.result.notes.push(
    outs.length === 1
      ? `cell ${cellName(rc.cell)}: run by one runner share (${names})`
      : `cell ${cellName(rc.cell)}: ${outs.length} runner shares (${names}) sent their first requests within ${spread.toFixed(1)} ms of each other on the database's clock (each runner's offset to it known within ±${error.toFixed(2)} ms)`,
  );
  return last - first;
}
