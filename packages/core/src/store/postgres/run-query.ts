/**
 * Run listings in SQL: the RunQuery filters as WHERE terms, newest first by (started_ms, run_id), pages cut
 * by a keyset cursor in the memory store's format, so cursors, ties and bad input behave as in every other
 * store. Every filter has an index that ends in the sort key, so a page is one backward index walk that
 * stops after limit + 1 rows (`postgres-store.test.ts` holds the query plans to that).
 */
import { ConfigError } from '../../errors/errors.js';
import { DEFAULT_RUN_PAGE_SIZE, decodeCursor, isoTime } from '../memory/run-list.js';
import { sortTime } from '../sqlite/run-query.js';
import type { Page, RunQuery, RunSummary } from '../store.js';
import { pageOfRows, type SummaryRowOf } from '../summary-rows.js';

export { sortTime };

/** A query's SQL and its parameters, in order. */
export interface ListSql {
  sql: string;
  params: Array<string | number>;
  limit: number;
}

/** The SQL for one page of `query` (limit + 1 rows: one more than a page tells whether another follows). */
export function listSql(query: RunQuery): ListSql {
  const limit = query.limit ?? DEFAULT_RUN_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ConfigError([{ path: 'limit', message: `must be a positive integer, got ${String(limit)}` }]);
  const where: string[] = [];
  const params: Array<string | number> = [];
  const param = (value: string | number) => {
    params.push(value);
    return `$${params.length}`;
  };
  const equal = (column: string, value: string | undefined) => {
    if (value !== undefined) where.push(`r.${column} = ${param(value)}`);
  };
  equal('status', query.status);
  equal('suite_name', query.suiteName);
  equal('job_type', query.jobType);
  equal('host_id', query.hostId);
  equal('base_url', query.baseUrl);
  if (query.model !== undefined)
    where.push(`EXISTS (SELECT 1 FROM run_models m WHERE m.run_id = r.run_id AND m.model = ${param(query.model)})`);
  if (query.since !== undefined) where.push(`r.started_ms >= ${param(isoTime(query.since, 'since'))}`);
  if (query.until !== undefined) where.push(`r.started_ms < ${param(isoTime(query.until, 'until'))}`);
  if (query.cursor !== undefined) {
    const { startedAt, runId } = decodeCursor(query.cursor);
    // The cursor is the last row's sort key, not an offset: runs created meanwhile do not shift pages.
    where.push(`(r.started_ms, r.run_id) < (${param(sortTime(startedAt))}, ${param(runId)})`);
  }
  const sql = `SELECT r.run_id, r.job_type, r.suite_name, r.status, r.started_at, r.finished_at, r.host_id, r.base_url, r.tool_version,
  ARRAY(SELECT m.model FROM run_models m WHERE m.run_id = r.run_id ORDER BY m.pos) AS models
FROM runs r${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
ORDER BY r.started_ms DESC, r.run_id DESC LIMIT ${param(limit + 1)}`;
  return { sql, params, limit };
}

/** A listing row as `pg` returns it. */
export type SummaryRow = SummaryRowOf<string[]>;

/** The page `rows` (from `listSql`, at most limit + 1 of them) make. */
export function pageOf(rows: SummaryRow[], limit: number): Page<RunSummary> {
  return pageOfRows(rows, limit, (models) => models);
}
