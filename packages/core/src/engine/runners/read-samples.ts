/**
 * The coordinator's reading of a remote cell's samples: those the runners store, taken into the run as they
 * land, and, for a runner that is gone, its begun requests that have no sample, stored as cancelled.
 */
import type { Sample } from '../../result/types.js';
import { decodeSample } from '../../store/sqlite/sample-codec.js';
import { errorMessage } from '../../util/error-message.js';
import type { RunContext } from '../run-context.js';
import type { RunnerDb } from './connection.js';
import { BEGUN_TABLE } from './protocol.js';
import type { RemoteCell } from './remote-runners.js';

/** Reads the cell's samples as runners store them, and keeps the foreign-traffic guard told of their streams. */
export interface Reader {
  /** Seqs of the cell taken in so far. */
  readonly stored: Set<number>;
  /** Take in every sample of the cell stored since the last call. */
  take(): Promise<void>;
  /** The cell is over: none of its streams is in flight any more. */
  done(): void;
}

export function createReader(ctx: RunContext, db: RunnerDb, rc: RemoteCell, seqBase: number, after: string, lanes: number): Reader {
  const stored = new Set<number>();
  // The runners' streams are ours: the foreign-traffic guard must not count them (at most `lanes` at once).
  let ours = 0;
  const oursTo = (target: number) => {
    for (; ours < target; ours++) ctx.ours.begin();
    for (; ours > target; ours--) ctx.ours.end();
  };
  oursTo(lanes);
  return {
    stored,
    async take() {
      for (;;) {
        const { rows } = await db.pool.query<{ pos: string; body: string; itl: Buffer }>(
          'SELECT seq AS pos, body, itl FROM samples WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000',
          [ctx.runId, after],
        );
        for (const row of rows) {
          const sample = decodeSample(row.body, row.itl);
          if (sample.seq < seqBase || sample.seq >= seqBase + rc.planned || stored.has(sample.seq)) continue;
          stored.add(sample.seq);
          rc.add(ctx.adopt(sample));
        }
        oursTo(Math.min(ours, rc.planned - stored.size));
        if (rows.length < 1000) return;
        after = rows.at(-1)!.pos;
      }
    },
    done: () => oursTo(0),
  };
}

/** Each begun request of a share that has no sample: stored as a `CANCELLED` failed sample, and taken in. */
/** Store the begun requests of a gone runner that have no sample as cancelled; returns how many. */
export async function writeOff(ctx: RunContext, db: RunnerDb, jobId: string, reader: Reader, rc: RemoteCell): Promise<number> {
  const { stored } = reader;
  // Claimed by deleting them, as the runner claims a marker before it stores that request's sample: one of
  // the two owns each request, even when the runner was only paused and comes back now.
  const { rows } = await db.pool.query<{ seq: string; request_id: string; started_at: string; runner: string }>(
    `DELETE FROM ${BEGUN_TABLE} WHERE job_id = $1 AND seq >= 0 RETURNING seq, request_id, started_at, runner`,
    [jobId],
  );
  rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  const lost: Sample[] = [];
  for (const row of rows) {
    const seq = Number(row.seq);
    if (stored.has(seq)) continue;
    stored.add(seq);
    lost.push({
      ...rc.cell,
      runId: ctx.runId,
      seq,
      phase: 'measured',
      startedAt: row.started_at,
      requestId: row.request_id,
      ok: false,
      error: { code: 'CANCELLED', message: `runner ${row.runner} stopped mid-request` },
      outputTokens: 0,
      itlMs: [],
      server: { source: 'none' },
      flags: [],
    });
  }
  if (lost.length === 0) return 0;
  try {
    await ctx.storeCall('runs.appendSamples', (o) => ctx.store.runs.appendSamples(ctx.runId, lost, o));
  } catch (err) {
    ctx.warn(`could not store ${lost.length} cancelled sample(s) of a lost runner: ${errorMessage(err)}`);
  }
  for (const sample of lost) rc.add(ctx.adopt(sample));
  return lost.length;
}
