import type { RunStatus } from '../result/types.js';
import { encodeCursor } from './memory/run-list.js';
import type { Page, RunSummary } from './store.js';

/** A run listing row as a SQL store reads it; `models` as its driver returns the list (JSON text, an array). */
export interface SummaryRowOf<Models> {
  run_id: string;
  job_type: string;
  suite_name: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  host_id: string | null;
  base_url: string | null;
  tool_version: string;
  models: Models;
}

/** The page `rows` (at most limit + 1 of them, newest first) make; the extra row only says there is more. */
export function pageOfRows<Models>(rows: SummaryRowOf<Models>[], limit: number, models: (m: Models) => string[]): Page<RunSummary> {
  const items = rows.slice(0, limit).map(
    (row): RunSummary => ({
      runId: row.run_id,
      jobType: row.job_type,
      suiteName: row.suite_name,
      status: row.status as RunStatus,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      ...(row.host_id === null ? {} : { hostId: row.host_id }),
      ...(row.base_url === null ? {} : { baseUrl: row.base_url }),
      models: models(row.models),
      toolVersion: row.tool_version,
    }),
  );
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : undefined };
}
