import type { RunQuery, RunSummary, Store } from '@swapbench/core';

/** Up to `limit` stored runs, newest first, and whether the store has more that match. */
export interface RunListing {
  items: RunSummary[];
  more: boolean;
}

/**
 * The runs that match `query` and any one of `alternatives` (a store matches one value per field, and
 * `runs --host 127.0.0.1:8080` means either scheme): each alternative is listed up to `limit`, and the lists
 * merged in the stores' order. Without alternatives, `query` alone.
 */
export async function listRuns(store: Store, query: RunQuery, limit: number, alternatives: RunQuery[] = [{}]): Promise<RunListing> {
  const lists = await Promise.all(alternatives.map((alternative) => listUpTo(store, { ...query, ...alternative }, limit)));
  if (lists.length === 1) return lists[0]!;
  // A run may match several alternatives (a name, and its URL): each is listed once.
  const byId = new Map(lists.flatMap((list) => list.items).map((run) => [run.runId, run]));
  const merged = [...byId.values()].sort(newestFirst);
  return { items: merged.slice(0, limit), more: merged.length > limit || lists.some((list) => list.more) };
}

/** Page through `query` until `limit` runs: a store may return shorter pages than asked. */
async function listUpTo(store: Store, query: RunQuery, limit: number): Promise<RunListing> {
  const items: RunSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.runs.list({ ...query, limit: limit - items.length, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && items.length < limit);
  return { items, more: cursor !== undefined };
}

/** The stores' order: newest start first, then run id descending; a start time that does not parse last. */
function newestFirst(a: RunSummary, b: RunSummary): number {
  const time = (s: RunSummary) => {
    const t = Date.parse(s.startedAt);
    return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
  };
  const at = time(a);
  const bt = time(b);
  if (at !== bt) return at < bt ? 1 : -1;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}
