/**
 * A run's document, `runs/<runId>.json`: the run record and the process that writes it (for
 * `recoverInterrupted`). Checked on the way in, so a hand-edited or misnamed file is a CorruptRecordError
 * naming it, not a TypeError somewhere later.
 */
import { CorruptRecordError } from '../../errors/errors.js';
import type { RunRecord, RunSummary } from '../store.js';
import { runSummary } from '../memory/run-list.js';
import type { RunWriter } from '../writer.js';
import { docText, readDoc } from './fs-atomic.js';
import type { Layout } from './layout.js';

export interface RunDoc {
  /** Who writes the run; absent in a document made by hand. */
  writer?: RunWriter | undefined;
  run: RunRecord;
}

/** The run's document; undefined when there is none. */
export async function readRunDoc(layout: Layout, runId: string): Promise<RunDoc | undefined> {
  const path = layout.runFile(runId);
  const doc = await readDoc(path);
  if (!doc) return undefined;
  const run = doc.run as RunRecord | undefined;
  if (typeof run !== 'object' || run === null || Array.isArray(run)) throw new CorruptRecordError(path, undefined, 'has no "run" object');
  if (run.runId !== runId)
    throw new CorruptRecordError(path, undefined, `holds run ${JSON.stringify(run.runId)}, not ${JSON.stringify(runId)}`);
  // Read the fields a listing needs now, so a broken record fails here with the file's name.
  summaryOf(run, path);
  const writer = doc.writer as RunWriter | undefined;
  const known = typeof writer?.pid === 'number' && typeof writer.hostname === 'string';
  return { writer: known ? { pid: writer.pid, hostname: writer.hostname } : undefined, run };
}

/** The document's text. */
export function runDocText(doc: RunDoc): string {
  return docText({ writer: doc.writer, run: doc.run });
}

/** The listing row of a run read from `file`; a CorruptRecordError when fields it needs are missing. */
export function summaryOf(run: RunRecord, file: string): RunSummary {
  let summary: RunSummary;
  try {
    summary = runSummary(run);
  } catch (err) {
    throw new CorruptRecordError(file, undefined, `not a run record (${(err as Error).message})`, { cause: err });
  }
  const bad = (['suiteName', 'status', 'startedAt', 'jobType'] as const).find((k) => typeof summary[k] !== 'string');
  if (bad) throw new CorruptRecordError(file, undefined, `not a run record: ${bad} is not a string`);
  return summary;
}
