import { once } from 'node:events';
import { lstat, open, rename, rm } from 'node:fs/promises';
import type { RunRecord, Sample } from '@swapbench/core';
import { ConfigError } from '@swapbench/core/errors';
import type { OutputStream } from '../context.js';
import { jsonText } from '../output/json.js';
import { csvRecord } from './csv.js';
import { SAMPLE_COLUMNS, sampleRecord, sampleValues } from './sample-columns.js';

/** What `swapbench export` writes: the run record (json), or one row per request (csv, jsonl). */
export type ExportFormat = 'json' | 'csv' | 'jsonl';

/** Write in pieces of about this many characters: one write per sample would be a syscall per row. */
const CHUNK_CHARS = 64 * 1024;

/** The format an output file's name implies, if any. */
export function formatOfFile(file: string): ExportFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'csv' || ext === 'json' || ext === 'jsonl') return ext;
  return ext === 'ndjson' ? 'jsonl' : undefined;
}

/** How an export went: rows written (samples; 0 for json), and whether `out` took all of it. */
export interface ExportOutcome {
  rows: number;
  complete: boolean;
}

/**
 * Write `run` in `format` to `out`, reading its samples as they stream from the store, with backpressure.
 * Stops early when `out` was closed (a reader that went away, as `| head` does).
 */
export async function writeExport(
  out: OutputStream,
  format: ExportFormat,
  run: RunRecord,
  samples: AsyncIterable<Sample>,
): Promise<ExportOutcome> {
  if (format === 'json') return { rows: 0, complete: await put(out, jsonText(run)) };
  let buffer = format === 'csv' ? csvRecord(SAMPLE_COLUMNS) : '';
  let rows = 0;
  for await (const sample of samples) {
    buffer += format === 'csv' ? csvRecord(sampleValues(sample)) : `${JSON.stringify(sampleRecord(sample))}\n`;
    rows += 1;
    if (buffer.length >= CHUNK_CHARS) {
      if (!(await put(out, buffer))) return { rows, complete: false };
      buffer = '';
    }
  }
  return { rows, complete: await put(out, buffer) };
}

/**
 * Write to the file `path` through a temporary file beside it, renamed into place when complete: a failed
 * export never leaves half a file where a whole one was expected. A path that cannot be written is
 * CONFIG_INVALID naming `--out` (exit 2).
 */
export async function exportToFile<T>(path: string, write: (out: OutputStream) => Promise<T>): Promise<T> {
  // Only a regular file (or none yet) is replaced by a rename: a device, a pipe or a symlink is written
  // through, as a shell redirection would (a rename over /dev/stdout would replace the device node).
  const existing = await lstat(path).catch(() => undefined);
  const atomic = existing === undefined || existing.isFile();
  const temp = atomic ? `${path}.${process.pid}.tmp` : path;
  const handle = await open(temp, 'w').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError([{ path: '--out', message: `cannot write ${path}: ${err.code ?? err.message}` }], { cause: err });
  });
  const stream = handle.createWriteStream();
  let failed: Error | undefined;
  stream.on('error', (err) => {
    failed ??= err;
  });
  try {
    const result = await write(stream);
    if (!stream.destroyed) stream.end();
    // An error here is `failed`, reported below.
    if (!stream.closed) await once(stream, 'close').catch(() => undefined);
    // A full disk mid-way: the file is not complete, so it does not replace anything.
    if (failed) throw new ConfigError([{ path: '--out', message: `cannot write ${path}: ${failed.message}` }], { cause: failed });
    if (atomic) await rename(temp, path);
    return result;
  } catch (err) {
    stream.destroy();
    if (atomic) await rm(temp, { force: true });
    throw err;
  }
}

/** Write, waiting for the stream to drain when its buffer is full; false when the stream is gone. */
async function put(out: OutputStream, text: string): Promise<boolean> {
  if (text === '') return true;
  if ((out as { destroyed?: boolean }).destroyed) return false;
  // An error while waiting (EPIPE: the reader went away) ends the export; the output guard judges the exit code.
  if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'close')]).catch(() => undefined);
  return !(out as { destroyed?: boolean }).destroyed;
}
