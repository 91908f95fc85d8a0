/**
 * Run listing for the memory store: newest-first order, filters, and keyset cursors. Nothing here is
 * memory-specific, so a file store can reuse it over its index.
 */
import { ConfigError } from '../../errors/errors.js';
import type { Page, RunQuery, RunRecord, RunSummary } from '../store.js';

/** Page size when the query gives none. */
export const DEFAULT_RUN_PAGE_SIZE = 50;

type SortKey = Pick<RunSummary, 'startedAt' | 'runId'>;

/** The listing row of a stored run. */
export function runSummary(run: RunRecord): RunSummary {
  return {
    runId: run.runId,
    jobType: run.jobType,
    suiteName: run.suite.name,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    ...(run.host.id === undefined ? {} : { hostId: run.host.id }),
    baseUrl: run.host.baseUrl,
    models: [...run.suite.models],
    toolVersion: run.environment.client.swapbenchVersion,
  };
}

/** One page of `summaries` for `query`: filtered, newest first, after the query's cursor. */
export function pageOfRuns(summaries: Iterable<RunSummary>, query: RunQuery): Page<RunSummary> {
  const limit = query.limit ?? DEFAULT_RUN_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ConfigError([{ path: 'limit', message: `must be a positive integer, got ${String(limit)}` }]);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const since = query.since === undefined ? undefined : isoTime(query.since, 'since');
  const until = query.until === undefined ? undefined : isoTime(query.until, 'until');
  const rest = [...summaries]
    .filter(
      (s) =>
        (query.suiteName === undefined || s.suiteName === query.suiteName) &&
        (query.status === undefined || s.status === query.status) &&
        (query.jobType === undefined || s.jobType === query.jobType) &&
        (query.hostId === undefined || s.hostId === query.hostId) &&
        (query.baseUrl === undefined || s.baseUrl === query.baseUrl) &&
        (query.model === undefined || s.models.includes(query.model)) &&
        (since === undefined || startTime(s) >= since) &&
        (until === undefined || startTime(s) < until),
    )
    // The cursor is the last item's sort key, not an offset, so runs created meanwhile do not shift pages.
    .filter((s) => after === undefined || newestFirst(s, after) > 0)
    .sort(newestFirst);
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rest.length > limit && last ? encodeCursor(last) : undefined };
}

/** An ISO 8601 time of a query, in ms; a ConfigError naming the field when it is not one. */
export function isoTime(value: string, field: 'since' | 'until'): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ConfigError([{ path: field, message: `must be an ISO 8601 time, got ${JSON.stringify(value)}` }]);
  return t;
}

/** Newest first by start time, then by run id descending: a total order, so cursors are unambiguous. */
function newestFirst(a: SortKey, b: SortKey): number {
  const at = startTime(a);
  const bt = startTime(b);
  if (at !== bt) return at < bt ? 1 : -1;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}

/** Start time in ms; an unreadable timestamp sorts as the oldest rather than breaking the order. */
function startTime(s: SortKey): number {
  const t = Date.parse(s.startedAt);
  return Number.isNaN(t) ? -Infinity : t;
}

/** A page's cursor: the last item's sort key (the same format in every store). */
export function encodeCursor(s: SortKey): string {
  return Buffer.from(JSON.stringify([s.startedAt, s.runId])).toString('base64url');
}

/** The sort key of a cursor from `encodeCursor`; a ConfigError when it is not one. */
export function decodeCursor(cursor: string): SortKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && !Number.isNaN(Date.parse(value[0])) && typeof value[1] === 'string') {
      return { startedAt: value[0], runId: value[1] };
    }
  } catch {
    // Not base64url JSON: reported below like any other unreadable cursor.
  }
  throw new ConfigError([{ path: 'cursor', message: 'not a cursor from a previous page' }]);
}
