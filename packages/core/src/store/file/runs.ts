/**
 * The runs of a file store: one document per run (created exclusively, replaced atomically on finish and
 * recovery) and its samples file (appended a batch at a time). Calls on one run are queued behind each
 * other, so a finish never overtakes an append that came first.
 */
import { stat, writeFile } from 'node:fs/promises';
import { RunExistsError, RunNotFoundError, type SwapbenchError } from '../../errors/errors.js';
import { pageOfRuns } from '../memory/run-list.js';
import type { RunStore, StoreCallOptions } from '../store.js';
import { currentWriter, DEFAULT_STALE_AFTER_MS, writerGone } from '../writer.js';
import { createExclusive, errno, isRecordError, syncDir, writeAtomic } from './fs-atomic.js';
import type { Layout } from './layout.js';
import { type RunDoc, readRunDoc, runDocText, summaryOf } from './run-docs.js';
import { noteRun, scanRuns, storedRunIds } from './run-index.js';
import { openAppender, readSamples, SAMPLES_HEADER, type SampleAppender } from './samples-file.js';

export interface FileRuns extends RunStore {
  /** Flush and close every samples file this store has open. */
  closeFiles(): Promise<void>;
}

export function fileRuns(layout: Layout, enter: (o?: StoreCallOptions) => void, warn: (err: SwapbenchError) => void): FileRuns {
  const appenders = new Map<string, Promise<SampleAppender>>();
  const queues = new Map<string, Promise<unknown>>();

  /** Run `task` after every earlier call on the same run has settled. */
  const queued = <T>(runId: string, task: () => Promise<T>): Promise<T> => {
    const result = (queues.get(runId) ?? Promise.resolve()).then(task, task);
    const tail = result.catch(() => undefined);
    queues.set(runId, tail);
    void tail.then(() => queues.get(runId) === tail && queues.delete(runId));
    return result;
  };
  const write = async (doc: RunDoc): Promise<void> => {
    const path = layout.runFile(doc.run.runId);
    const key = await writeAtomic(path, runDocText(doc));
    await noteRun(layout, summaryOf(doc.run, path), key);
  };
  const closeAppender = async (runId: string): Promise<void> => {
    const appender = appenders.get(runId);
    appenders.delete(runId);
    await (await appender?.catch(() => undefined))?.close();
  };

  return {
    async create(run, o) {
      enter(o);
      const path = layout.runFile(run.runId);
      const doc: RunDoc = { writer: currentWriter(), run };
      const key = await createExclusive(path, runDocText(doc));
      if (!key) throw new RunExistsError(run.runId);
      // Kept if it exists: samples of a run whose document was lost are not ours to drop.
      await writeFile(layout.samplesFile(run.runId), SAMPLES_HEADER, { flag: 'wx' }).catch((err: unknown) => {
        if (errno(err) !== 'EEXIST') throw err;
      });
      await syncDir(layout.runs);
      await noteRun(layout, summaryOf(run, path), key);
    },
    async appendSamples(runId, samples, o) {
      enter(o);
      const path = layout.samplesFile(runId);
      return queued(runId, async () => {
        let appender = appenders.get(runId);
        if (!appender) {
          // The run must exist; checked once per store, then the file stays open.
          appender = stat(layout.runFile(runId)).then(
            () => openAppender(path),
            (err: unknown) => {
              throw errno(err) === 'ENOENT' ? new RunNotFoundError(runId) : err;
            },
          );
          appenders.set(runId, appender);
          appender.catch(() => appenders.delete(runId));
        }
        await (await appender).append(samples);
      });
    },
    async finish(run, o) {
      enter(o);
      layout.runFile(run.runId); // refuses a bad id before anything is queued
      return queued(run.runId, async () => {
        // The final result replaces the document whole: one that no longer parses keeps no writer worth saving.
        const current = await readRunDoc(layout, run.runId).catch((err: unknown) => {
          if (!isRecordError(err)) throw err;
          return { writer: currentWriter() };
        });
        if (!current) throw new RunNotFoundError(run.runId);
        const { writer } = current;
        await closeAppender(run.runId);
        await write({ writer, run });
        await syncDir(layout.runs);
      });
    },
    async get(runId, o) {
      enter(o);
      return (await readRunDoc(layout, runId))?.run;
    },
    async list(query = {}, o) {
      enter(o);
      return pageOfRuns(await scanRuns(layout, warn), query);
    },
    samples(runId, o) {
      return (async function* () {
        enter(o);
        // Samples do not depend on the run's document: one that cannot be read hides none of them.
        const doc = await readRunDoc(layout, runId).catch((err: unknown) => {
          if (!isRecordError(err)) throw err;
          return 'unreadable' as const;
        });
        if (!doc) throw new RunNotFoundError(runId);
        const live = doc !== 'unreadable' && doc.run.status === 'running';
        yield* readSamples(layout.samplesFile(runId), live, warn, () => enter(o));
      })();
    },
    async findIds(prefix, limit = 2, o) {
      enter(o);
      return (await storedRunIds(layout))
        .filter((id) => id.startsWith(prefix))
        .sort()
        .slice(0, limit);
    },
    async recoverInterrupted(o = {}) {
      enter(o);
      const staleAfterMs = o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
      const running = (await scanRuns(layout, warn)).filter((s) => s.status === 'running');
      const ids: string[] = [];
      for (const { runId } of running) {
        await queued(runId, async () => {
          // Read again: the summary may be stale, and the writer is only in the document.
          const doc = await readRunDoc(layout, runId).catch((err: unknown) => {
            if (!isRecordError(err)) throw err;
            warn(err);
            return undefined;
          });
          if (doc?.run.status !== 'running') return;
          // File times are the filesystem's wall clock (shared across processes), so staleness is judged on the
          // wall clock too: a monotonic reading could not be compared with an mtime.
          if (!o.force && !writerGone(doc.writer, await lastWriteAt(layout, runId), Date.now(), staleAfterMs)) return;
          // Only the status changes: when the writer died is unknown, so finishedAt stays null.
          await write({ writer: doc.writer, run: { ...doc.run, status: 'interrupted' } });
          ids.push(runId);
        });
      }
      return ids;
    },
    async closeFiles() {
      await Promise.all([...queues.values()]);
      await Promise.all([...appenders.keys()].map(closeAppender));
    },
  };
}

/** When the run was last written: its document or its samples file, whichever changed last. */
async function lastWriteAt(layout: Layout, runId: string): Promise<string> {
  const times = await Promise.all(
    [layout.runFile(runId), layout.samplesFile(runId)].map((p) =>
      stat(p).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  return new Date(Math.max(...times)).toISOString();
}
