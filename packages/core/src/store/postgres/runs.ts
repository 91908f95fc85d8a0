/**
 * Runs and their samples in Postgres. Each run row records its writer (pid and machine) and when it last
 * wrote, on the server's clock, so `recoverInterrupted` can tell a run whose process died from one another
 * process (on any machine) is measuring, whatever the machines' clocks say.
 */
import { ConfigError, CorruptRecordError, RunExistsError, RunNotFoundError } from '../../errors/errors.js';
import type { Sample } from '../../result/types.js';
import { runSummary } from '../memory/run-list.js';
import { decodeSample, encodeSample } from '../sqlite/sample-codec.js';
import type { RunRecord, RunStore } from '../store.js';
import { currentWriter, writerGone } from '../writer.js';
import { type PostgresContext, parseJson, type Queryable, retryUncommitted } from './context.js';
import { listSql, pageOf, type SummaryRow, sortTime } from './run-query.js';
import { type InsertMode, insertSamples } from './samples.js';

/** Samples read per query while iterating. */
const SAMPLE_PAGE = 500;

/** The run's column values, from the same summary every store lists: $1 … $11. */
function columns(run: RunRecord): unknown[] {
  const s = runSummary(run);
  return [
    s.runId,
    s.jobType,
    s.suiteName,
    s.status,
    s.startedAt,
    sortTime(s.startedAt),
    s.finishedAt,
    s.hostId ?? null,
    s.baseUrl ?? null,
    s.toolVersion,
    JSON.stringify(run),
  ];
}

async function putModels(db: Queryable, run: RunRecord): Promise<void> {
  await db.query('DELETE FROM run_models WHERE run_id = $1', [run.runId]);
  await db.query('INSERT INTO run_models (run_id, pos, model) SELECT $1, n - 1, m FROM unnest($2::text[]) WITH ORDINALITY AS t(m, n)', [
    run.runId,
    run.suite.models,
  ]);
}

/**
 * `keepWriter`: appends leave the run's writer as it is. A remote runner (engine/runners) appends samples to a
 * run the coordinator is measuring: were it the writer, its exit would make that live run look interrupted.
 */
export function createRunStore(ctx: PostgresContext, insertMode: InsertMode = 'values', keepWriter = false): RunStore {
  const writer = currentWriter();
  return {
    async create(run, o) {
      const values = [...columns(run), writer.pid, writer.hostname];
      await ctx.transaction(o, async (db) => {
        const inserted = await db.query(
          `INSERT INTO runs (run_id, job_type, suite_name, status, started_at, started_ms, finished_at, host_id, base_url,
            tool_version, record, writer_pid, writer_host, last_write_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now()) ON CONFLICT (run_id) DO NOTHING`,
          values,
        );
        if (inserted.rowCount === 0) throw new RunExistsError(run.runId);
        await putModels(db, run);
      });
    },
    async appendSamples(runId, samples, o) {
      // Encoded before the transaction: the run's row is locked only for the inserts.
      const rows = samples.map(encodeSample);
      // Tried again through a brief outage (a server restart): a batch lost here is lost from the history.
      await retryUncommitted(
        () =>
          ctx.transaction(o, async (db) => {
            // Whoever appends is the run's writer now (unless `keepWriter`); the update doubles as the existence check.
            const touched = keepWriter
              ? await db.query('UPDATE runs SET last_write_at = now() WHERE run_id = $1', [runId])
              : await db.query('UPDATE runs SET writer_pid = $1, writer_host = $2, last_write_at = now() WHERE run_id = $3', [
                  writer.pid,
                  writer.hostname,
                  runId,
                ]);
            if (touched.rowCount === 0) throw new RunNotFoundError(runId);
            await insertSamples(db, runId, rows, insertMode);
          }),
        o?.signal,
      );
    },
    async finish(run, o) {
      // The run's end, also tried again through a brief outage: else it would show as interrupted.
      await retryUncommitted(
        () =>
          ctx.transaction(o, async (db) => {
            const updated = await db.query(
              `UPDATE runs SET job_type = $2, suite_name = $3, status = $4, started_at = $5, started_ms = $6, finished_at = $7,
            host_id = $8, base_url = $9, tool_version = $10, record = $11, last_write_at = now() WHERE run_id = $1`,
              columns(run),
            );
            if (updated.rowCount === 0) throw new RunNotFoundError(run.runId);
            await putModels(db, run);
          }),
        o?.signal,
      );
    },
    async get(runId, o) {
      return ctx.call(o, async (db) => {
        const { rows } = await db.query<{ record: string }>('SELECT record FROM runs WHERE run_id = $1', [runId]);
        return rows[0] && parseJson<RunRecord>(ctx, `run ${runId}`, rows[0].record);
      });
    },
    async list(query = {}, o) {
      return ctx.call(o, async (db) => {
        const { sql, params, limit } = listSql(query);
        return pageOf((await db.query<SummaryRow>(sql, params)).rows, limit);
      });
    },
    samples(runId, o) {
      const decodeRow = (row: { seq: string; body: string; itl: Buffer }): Sample => {
        try {
          return decodeSample(row.body, row.itl);
        } catch (err) {
          const message = `sample ${row.seq} of run ${runId} cannot be read (${(err as Error).message})`;
          throw new CorruptRecordError(ctx.name, undefined, message, { cause: err });
        }
      };
      return (async function* () {
        await ctx.call(o, async (db) => {
          if ((await db.query('SELECT 1 FROM runs WHERE run_id = $1', [runId])).rowCount === 0) throw new RunNotFoundError(runId);
        });
        // Page after page by seq: bounded memory, no cursor held open between yields, and samples appended
        // while the caller iterates are included (one run has one writer, so its seqs commit in order).
        let after = '0';
        let yielded = false;
        for (;;) {
          const rows = await ctx.call(o, async (db) => {
            const result = await db.query<{ seq: string; body: string; itl: Buffer }>(
              'SELECT seq, body, itl FROM samples WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
              [runId, after, SAMPLE_PAGE],
            );
            return result.rows;
          });
          for (const row of rows) {
            // Between samples, an abort or a close stops the reading at the next one.
            if (yielded) await ctx.call(o, async () => undefined);
            yield decodeRow(row);
            yielded = true;
          }
          if (rows.length === 0) return;
          after = rows.at(-1)!.seq;
        }
      })();
    },
    async findIds(prefix, limit = 2, o) {
      return ctx.call(o, async (db) => {
        if (!Number.isInteger(limit) || limit < 1)
          throw new ConfigError([{ path: 'limit', message: `must be a positive integer, got ${String(limit)}` }]);
        // A range on the primary key instead of LIKE (no wildcards to escape, and it walks the index): in
        // bytewise order every id that starts with the prefix sorts between it and the prefix followed by
        // U+10FFFF, the highest code point.
        const { rows } = await db.query<{ run_id: string }>(
          'SELECT run_id FROM runs WHERE run_id >= $1 AND run_id < $1 || chr(1114111) ORDER BY run_id LIMIT $2',
          [prefix, limit],
        );
        return rows.map((r) => r.run_id);
      });
    },
    async recoverInterrupted(o = {}) {
      const { staleAfterMs, force = false } = o;
      return ctx.transaction(o, async (db) => {
        if (staleAfterMs !== undefined && !(Number.isFinite(staleAfterMs) && staleAfterMs >= 0))
          throw new ConfigError([{ path: 'staleAfterMs', message: `must be a number of ms >= 0, got ${String(staleAfterMs)}` }]);
        // Locked, so two processes recovering at once mark each run once; ages on the server's clock.
        const { rows } = await db.query<{
          run_id: string;
          writer_pid: number | null;
          writer_host: string | null;
          last_write_ms: number;
          now_ms: number;
          record: string;
        }>(
          `SELECT run_id, writer_pid, writer_host, (extract(epoch FROM last_write_at) * 1000)::float8 AS last_write_ms,
            (extract(epoch FROM now()) * 1000)::float8 AS now_ms, record
          FROM runs WHERE status = 'running' ORDER BY started_ms, run_id FOR UPDATE`,
        );
        const ids: string[] = [];
        for (const row of rows) {
          const runWriter =
            row.writer_pid === null || row.writer_host === null ? undefined : { pid: row.writer_pid, hostname: row.writer_host };
          const lastWrite = new Date(row.last_write_ms).toISOString();
          if (!force && !writerGone(runWriter, lastWrite, row.now_ms, staleAfterMs)) continue;
          // Only the status changes: when the process died is unknown, so finishedAt stays null.
          const run = parseJson<RunRecord>(ctx, `run ${row.run_id}`, row.record);
          run.status = 'interrupted';
          await db.query("UPDATE runs SET status = 'interrupted', record = $1 WHERE run_id = $2", [JSON.stringify(run), row.run_id]);
          ids.push(row.run_id);
        }
        return ids;
      });
    },
  };
}
