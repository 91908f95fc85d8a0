/**
 * Runs and their samples in SQLite. Each run row records its writer (pid and machine) and when it last
 * wrote, so `recoverInterrupted` can tell a run whose process died from one another process is measuring.
 */
import { ConfigError, CorruptRecordError, RunExistsError, RunNotFoundError } from '../../errors/errors.js';
import type { Sample } from '../../result/types.js';
import { runSummary } from '../memory/run-list.js';
import type { RunRecord, RunStore } from '../store.js';
import { currentWriter, writerGone } from '../writer.js';
import { parseJson, type SqliteContext } from './context.js';
import { listSql, pageOf, type SummaryRow, sortTime } from './run-query.js';
import { decodeSample, encodeSample } from './sample-codec.js';
import { inWriteTransaction } from './transaction.js';

/** Samples read per query while iterating. */
const SAMPLE_PAGE = 500;
const SAMPLE_PAGE_SQL = 'SELECT seq, body, itl FROM samples WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?';

interface SampleRow {
  seq: number;
  body: string;
  itl: Uint8Array;
}

const RUN_COLUMNS = `job_type = :job_type, suite_name = :suite_name, status = :status, started_at = :started_at,
  started_ms = :started_ms, finished_at = :finished_at, host_id = :host_id, base_url = :base_url, tool_version = :tool_version,
  last_write_at = :last_write_at, record = :record`;

export function createRunStore(ctx: SqliteContext): RunStore {
  const writer = currentWriter();
  const sql = ctx.statement.bind(ctx);
  const exists = (runId: string) => sql('SELECT 1 FROM runs WHERE run_id = ?').get(runId) !== undefined;
  /** The run's row values, from the same summary every store lists. */
  const columns = (run: RunRecord) => {
    const s = runSummary(run);
    return {
      run_id: s.runId,
      job_type: s.jobType,
      suite_name: s.suiteName,
      status: s.status,
      started_at: s.startedAt,
      started_ms: sortTime(s.startedAt),
      finished_at: s.finishedAt,
      host_id: s.hostId ?? null,
      base_url: s.baseUrl ?? null,
      tool_version: s.toolVersion,
      last_write_at: ctx.now().toISOString(),
      record: JSON.stringify(run),
    };
  };
  const putModels = (run: RunRecord) => {
    sql('DELETE FROM run_models WHERE run_id = ?').run(run.runId);
    const insert = sql('INSERT INTO run_models (run_id, pos, model) VALUES (?, ?, ?)');
    for (const [pos, model] of run.suite.models.entries()) insert.run(run.runId, pos, model);
  };

  return {
    async create(run, o) {
      ctx.write(o, () => {
        if (exists(run.runId)) throw new RunExistsError(run.runId);
        // Now, while the run starts, rather than on its first samples, while its requests are in flight.
        ctx.checkpointer.start();
        sql(`INSERT INTO runs (run_id, job_type, suite_name, status, started_at, started_ms, finished_at, host_id, base_url,
          tool_version, writer_pid, writer_host, last_write_at, record)
          VALUES (:run_id, :job_type, :suite_name, :status, :started_at, :started_ms, :finished_at, :host_id, :base_url,
          :tool_version, :writer_pid, :writer_host, :last_write_at, :record)`).run({
          ...columns(run),
          writer_pid: writer.pid,
          writer_host: writer.hostname,
        });
        putModels(run);
      });
    },
    async appendSamples(runId, samples, o) {
      ctx.call(o, () => {
        // Encoded before the transaction: the write lock is held only for the inserts.
        const rows = samples.map(encodeSample);
        ctx.checkpointer.start();
        inWriteTransaction(ctx.db, () => {
          // Whoever appends is the run's writer now; the update doubles as the existence check.
          const touched = sql('UPDATE runs SET writer_pid = ?, writer_host = ?, last_write_at = ? WHERE run_id = ?').run(
            writer.pid,
            writer.hostname,
            ctx.now().toISOString(),
            runId,
          );
          if (Number(touched.changes) === 0) throw new RunNotFoundError(runId);
          const insert = sql('INSERT INTO samples (run_id, body, itl) VALUES (?, ?, ?)');
          for (const [body, itl] of rows) insert.run(runId, body, itl);
        });
      });
    },
    async finish(run, o) {
      ctx.write(o, () => {
        const updated = sql(`UPDATE runs SET ${RUN_COLUMNS} WHERE run_id = :run_id`).run(columns(run));
        if (Number(updated.changes) === 0) throw new RunNotFoundError(run.runId);
        putModels(run);
      });
    },
    async get(runId, o) {
      return ctx.call(o, () => {
        const row = sql('SELECT record FROM runs WHERE run_id = ?').get(runId) as { record: string } | undefined;
        return row && parseJson<RunRecord>(ctx, `run ${runId}`, row.record);
      });
    },
    async list(query = {}, o) {
      return ctx.call(o, () => {
        const { sql: text, params, limit } = listSql(query);
        return pageOf(sql(text).all(...params) as unknown as SummaryRow[], limit);
      });
    },
    samples(runId, o) {
      const decodeRow = (row: SampleRow): Sample => {
        try {
          return decodeSample(row.body, row.itl);
        } catch (err) {
          const message = `sample ${row.seq} of run ${runId} cannot be read (${(err as Error).message})`;
          throw new CorruptRecordError(ctx.file, undefined, message, { cause: err });
        }
      };
      return (async function* () {
        ctx.call(o, () => {
          if (!exists(runId)) throw new RunNotFoundError(runId);
        });
        // Page after page by seq: bounded memory, no statement open between yields, and samples appended
        // while the caller iterates are included.
        let after = -1;
        let yielded = false;
        for (;;) {
          const rows = ctx.call(undefined, () => sql(SAMPLE_PAGE_SQL).all(runId, after, SAMPLE_PAGE) as unknown as SampleRow[]);
          for (const row of rows) {
            // Between samples, an abort or a close stops the reading at the next one.
            if (yielded) ctx.call(o, () => undefined);
            yield decodeRow(row);
            yielded = true;
          }
          // Until a read finds nothing: a short page may have been followed by appends while we yielded.
          if (rows.length === 0) return;
          after = rows.at(-1)!.seq;
        }
      })();
    },
    async findIds(prefix, limit = 2, o) {
      return ctx.call(o, () => {
        if (!Number.isInteger(limit) || limit < 1)
          throw new ConfigError([{ path: 'limit', message: `must be a positive integer, got ${String(limit)}` }]);
        // A range on the primary key instead of LIKE (no wildcards to escape, and it walks the index): every
        // id that starts with the prefix sorts between it and the prefix followed by byte 0xFF, which valid
        // UTF-8 never contains.
        const rows = sql("SELECT run_id FROM runs WHERE run_id >= ?1 AND run_id < ?1 || CAST(x'ff' AS TEXT) ORDER BY run_id LIMIT ?2").all(
          prefix,
          limit,
        ) as Array<{ run_id: string }>;
        return rows.map((r) => r.run_id);
      });
    },
    async recoverInterrupted(o = {}) {
      const { staleAfterMs, force = false } = o;
      return ctx.write(o, () => {
        if (staleAfterMs !== undefined && !(Number.isFinite(staleAfterMs) && staleAfterMs >= 0))
          throw new ConfigError([{ path: 'staleAfterMs', message: `must be a number of ms >= 0, got ${String(staleAfterMs)}` }]);
        const at = ctx.now().getTime();
        const running = sql(
          "SELECT run_id, writer_pid, writer_host, last_write_at, record FROM runs WHERE status = 'running' ORDER BY started_ms, run_id",
        ).all() as Array<{ run_id: string; writer_pid: number | null; writer_host: string | null; last_write_at: string; record: string }>;
        const ids: string[] = [];
        for (const row of running) {
          const runWriter =
            row.writer_pid === null || row.writer_host === null ? undefined : { pid: row.writer_pid, hostname: row.writer_host };
          if (!force && !writerGone(runWriter, row.last_write_at, at, staleAfterMs)) continue;
          // Only the status changes: when the process died is unknown, so finishedAt stays null.
          const run = parseJson<RunRecord>(ctx, `run ${row.run_id}`, row.record);
          run.status = 'interrupted';
          sql("UPDATE runs SET status = 'interrupted', record = ? WHERE run_id = ?").run(JSON.stringify(run), row.run_id);
          ids.push(row.run_id);
        }
        return ids;
      });
    },
  };
}
