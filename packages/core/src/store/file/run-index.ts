/**
 * The runs of a file store, fast enough to list a thousand: `.index/runs.jsonl` caches each run's summary
 * with the key (inode, size, mtime) of the run file it was read from. A listing reads the folder and the
 * index, stats every run file, and parses only files whose key the index does not have: ones written by a
 * process that died before noting them, edited by hand, or fresh from a git checkout. The run files stay
 * the truth; the index can be deleted at any time. Lines are appended (one write each, so processes do not
 * interleave them) and the file is rewritten when it has grown to several lines per run.
 */
import { makeDirs } from '../make-dirs.js';
import { appendFile, readdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SwapbenchError } from '../../errors/errors.js';
import type { RunSummary } from '../store.js';
import { errno, type FileKey, isRecordError, writeAtomic } from './fs-atomic.js';
import { type Layout, nameOf, RUN_SUFFIX } from './layout.js';
import { readRunDoc, summaryOf } from './run-docs.js';

interface IndexLine extends FileKey {
  v: 1;
  runId: string;
  summary: RunSummary;
}

/** Stats and reads at most this many files at once (file descriptors are finite). */
const PARALLEL = 32;

/** The ids of the stored runs, from the run files' names. */
export async function storedRunIds(layout: Layout): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(layout.runs);
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw err;
  }
  const ids: string[] = [];
  for (const n of names) {
    if (!n.endsWith(RUN_SUFFIX)) continue;
    const id = nameOf(n.slice(0, -RUN_SUFFIX.length));
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/** Note a run file just written, with the key of the content written. */
export async function noteRun(layout: Layout, summary: RunSummary, key: FileKey): Promise<void> {
  const line: IndexLine = { v: 1, runId: summary.runId, ...key, summary };
  await appendIndex(layout, `${JSON.stringify(line)}\n`);
}

/** Every stored run's summary. A run file that cannot be read is reported through `warn` and left out. */
export async function scanRuns(layout: Layout, warn: (err: SwapbenchError) => void): Promise<RunSummary[]> {
  const [ids, cached] = await Promise.all([storedRunIds(layout), readIndex(layout)]);
  const fresh: string[] = [];
  const rows = await mapLimit(ids, PARALLEL, async (runId): Promise<RunSummary | undefined> => {
    const path = layout.runFile(runId);
    const s = await stat(path, { bigint: true }).catch((err: unknown) => {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (!s) return undefined;
    const key: FileKey = { ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs) };
    const hit = cached.lines.get(runId);
    if (hit && hit.ino === key.ino && hit.size === key.size && hit.mtimeNs === key.mtimeNs) return hit.summary;
    try {
      const doc = await readRunDoc(layout, runId);
      if (!doc) return undefined;
      const summary = summaryOf(doc.run, path);
      // The key stat'ed before the read: if the file changed since, the next listing reads it again.
      fresh.push(JSON.stringify({ v: 1, runId, ...key, summary } satisfies IndexLine));
      return summary;
    } catch (err) {
      if (isRecordError(err)) {
        warn(err);
        return undefined;
      }
      throw err;
    }
  });
  if (cached.count > 2 * ids.length + 64) {
    // Rebuilt from what was just listed; a line another process appends meanwhile may be lost (a cache miss).
    await rewriteIndex(layout, ids, cached.lines, fresh);
  } else if (fresh.length) {
    await appendIndex(layout, `${fresh.join('\n')}\n`);
  }
  return rows.filter((r): r is RunSummary => r !== undefined);
}

async function readIndex(layout: Layout): Promise<{ lines: Map<string, IndexLine>; count: number }> {
  const lines = new Map<string, IndexLine>();
  let text: string;
  try {
    text = await readFile(layout.index, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return { lines, count: 0 };
    throw err;
  }
  let count = 0;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    count++;
    try {
      const line = JSON.parse(raw) as IndexLine;
      if (line.v === 1 && typeof line.runId === 'string' && typeof line.ino === 'string' && line.summary) lines.set(line.runId, line);
    } catch {
      // A cache: a line cut short by a crash is simply not used.
    }
  }
  return { lines, count };
}

async function rewriteIndex(layout: Layout, ids: string[], cached: Map<string, IndexLine>, fresh: string[]): Promise<void> {
  const listed = new Set(ids);
  const freshIds = new Set(fresh.map((l) => (JSON.parse(l) as IndexLine).runId));
  const lines = [...cached.values()].filter((l) => listed.has(l.runId) && !freshIds.has(l.runId)).map((l) => JSON.stringify(l));
  lines.push(...fresh);
  await makeDirs(dirname(layout.index));
  await writeAtomic(layout.index, lines.length ? `${lines.join('\n')}\n` : '');
}

async function appendIndex(layout: Layout, text: string): Promise<void> {
  try {
    await appendFile(layout.index, text);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
    await makeDirs(dirname(layout.index));
    await appendFile(layout.index, text);
  }
}

/** `fn` over `items` with at most `limit` calls in flight, results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
