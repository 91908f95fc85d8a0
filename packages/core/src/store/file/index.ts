/**
 * `@swapbench/core/stores/file`: a Store in a folder of plain JSON files that people can read, diff and
 * commit to git (layout: ./layout.ts). Several processes may share the folder: records are written
 * atomically, leases are compare-and-set, and a run whose writing process died is marked `interrupted` the
 * next time the store is opened.
 */
import { makeDirs } from '../make-dirs.js';
import { access, constants, readdir, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RunNotFoundError, StoreClosedError, StoreUnavailableError, type SwapbenchError } from '../../errors/errors.js';
import type { BaselineRecord, HostRecord, Store, StoreCallOptions, SuiteRecord } from '../store.js';
import { guardIo } from './guard-io.js';
import { createExclusive, docText, errno, readDoc } from './fs-atomic.js';
import { layoutOf, type Layout } from './layout.js';
import { fileLeases } from './leases.js';
import { recordFiles } from './records.js';
import { fileRuns } from './runs.js';

export interface FileStoreOptions {
  /**
   * Wall clock for record timestamps and lease expiry; default `new Date()`. (Whether a run from another
   * machine has gone silent is judged from file times, on the real clock.)
   */
  now?: () => Date;
  /**
   * Told about each record skipped while reading (a CorruptRecordError with the file and line, or a
   * SchemaVersionError): a sample line that does not parse, a run file a listing cannot read. Default:
   * `process.emitWarning`. Reading one record by name (`runs.get`) throws instead.
   */
  onWarning?: (warning: SwapbenchError) => void;
}

const GITIGNORE = '# swapbench file store: a cache and transient files, not history\n.index/\nleases/\n*.tmp\n';

/**
 * Open (and create, if missing) the file store in `dir`, then mark runs whose writer is gone as
 * `interrupted`. A path that is not a writable folder, or a folder with other things in it, is a
 * StoreUnavailableError naming it; a store written by a newer swapbench is a SchemaVersionError.
 */
export async function openFileStore(dir: string, options: FileStoreOptions = {}): Promise<Store> {
  const layout = layoutOf(resolve(dir));
  const uri = `file:${layout.root}`;
  await prepare(layout, uri);
  const now = options.now ?? (() => new Date());
  const onWarning = options.onWarning ?? ((w: SwapbenchError) => process.emitWarning(w));
  // Quiet while opening: the recovery scan would report a bad run file that the next listing reports again.
  let quiet = true;
  const warn = (w: SwapbenchError) => {
    if (!quiet) onWarning(w);
  };
  let closed = false;
  const enter = (o?: StoreCallOptions): void => {
    o?.signal?.throwIfAborted();
    if (closed) throw new StoreClosedError(`file store ${layout.root}`);
  };

  const runs = fileRuns(layout, enter, warn);
  const suites = recordFiles<SuiteRecord>(layout, layout.suites, 'suite name', 'name', ['name', 'suite', 'updatedAt'], enter, warn);
  const baselines = recordFiles<BaselineRecord>(layout, layout.baselines, 'baseline name', 'name', ['name', 'runId', 'setAt'], enter, warn);
  const hosts = recordFiles<HostRecord>(layout, layout.hosts, 'host id', 'id', ['id', 'baseUrl', 'updatedAt'], enter, warn);

  const store: Store = {
    runs,
    suites: {
      get: suites.get,
      list: suites.list,
      remove: suites.remove,
      async put(name, suite, o) {
        enter(o);
        return suites.put({ name, suite: structuredClone(suite), updatedAt: now().toISOString() });
      },
    },
    baselines: {
      get: baselines.get,
      list: baselines.list,
      clear: baselines.remove,
      async set(name, runId, o) {
        enter(o);
        if (!(await runs.get(runId))) throw new RunNotFoundError(runId);
        return baselines.put({ name, runId, setAt: now().toISOString() });
      },
    },
    hosts: {
      get: hosts.get,
      list: hosts.list,
      remove: hosts.remove,
      async put(host, o) {
        enter(o);
        return hosts.put({ ...structuredClone(host), updatedAt: now().toISOString() });
      },
    },
    leases: fileLeases(layout, now, enter),
    async close() {
      if (closed) return;
      closed = true;
      await runs.closeFiles();
    },
    async [Symbol.asyncDispose]() {
      await store.close();
    },
  };
  const guarded = guardIo(store, uri);
  try {
    await guarded.runs.recoverInterrupted();
    quiet = false;
  } catch (err) {
    await store.close();
    throw err;
  }
  return guarded;
}

/** Make sure `layout.root` is a writable folder holding a store of a format we read, and set it up. */
async function prepare(layout: Layout, uri: string): Promise<void> {
  const { root } = layout;
  const fail = (reason: string, cause?: unknown) => new StoreUnavailableError(uri, reason, { cause });
  const info = await stat(root).catch((err: unknown) => {
    if (errno(err) === 'ENOENT') return undefined;
    if (errno(err) === 'ENOTDIR') throw fail('is inside a file, not a folder', err);
    throw fail(`cannot read it (${(err as Error).message})`, err);
  });
  if (info && !info.isDirectory()) throw fail('is not a directory; a file store is a folder');
  if (!info) {
    await makeDirs(root).catch((err: unknown) => {
      throw fail(`cannot create the folder (${(err as Error).message})`, err);
    });
  }
  await access(root, constants.W_OK | constants.X_OK).catch((err: unknown) => {
    throw fail(`the folder is not writable (${errno(err) ?? (err as Error).message})`, err);
  });
  const marker = await readDoc(layout.marker);
  if (!marker) {
    // Refuse to scatter runs/ and suites/ into a folder that holds something else (a project root, say).
    const others = (await readdir(root)).filter((n) => !n.startsWith('.'));
    // Unless another process set the store up since we looked: it writes the marker before anything else.
    if (others.length && !(await readDoc(layout.marker)))
      throw fail(`is not empty and is not a swapbench store (no swapbench-store.json); use a new or empty folder`);
    if (!others.length) await createExclusive(layout.marker, docText({ store: 'swapbench file store' }));
  }
  try {
    for (const d of [layout.runs, layout.suites, layout.baselines, layout.hosts, layout.leases]) await makeDirs(d);
    await writeFile(layout.gitignore, GITIGNORE, { flag: 'wx' }).catch((err: unknown) => {
      if (errno(err) !== 'EEXIST') throw err;
    });
  } catch (err) {
    throw fail(`cannot set up the folder (${(err as Error).message})`, err);
  }
}

export type { Store } from '../store.js';
