/**
 * A run's samples as JSON Lines: line 1 is `{ "formatVersion": 1 }`, then one Sample per line. A batch is
 * one write of whole lines, flushed to disk (datasync) before `appendSamples` resolves, so a batch the engine
 * saw stored survives a killed process or a power cut. Reading skips a line that does not parse (a hand
 * edit, or the last line of a writer killed mid-write) and reports it with its file and line number: the
 * lines around it are kept.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { Sample } from '../../result/types.js';
import { CorruptRecordError } from '../../errors/errors.js';
import { checkVersion } from './fs-atomic.js';
import { FORMAT_VERSION } from './layout.js';

/** The first line of every samples file. */
export const SAMPLES_HEADER = `${JSON.stringify({ formatVersion: FORMAT_VERSION })}\n`;

const CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

/** An open samples file that batches are appended to. */
export interface SampleAppender {
  append(samples: Sample[]): Promise<void>;
  close(): Promise<void>;
}

/** Open `path` for appending (created with its header if missing). */
export async function openAppender(path: string): Promise<SampleAppender> {
  const handle = await open(path, 'a+');
  let prefix = '';
  try {
    const { size } = await handle.stat();
    if (size === 0) prefix = SAMPLES_HEADER;
    // A writer killed mid-line left no newline: start on a line of our own, so the cut line stays one bad
    // line instead of swallowing the first sample of this batch.
    else if ((await lastByte(handle, size)) !== NEWLINE) prefix = '\n';
  } catch (err) {
    await handle.close();
    throw err;
  }
  return {
    async append(samples) {
      if (samples.length === 0) return;
      let text = prefix;
      for (const s of samples) text += `${JSON.stringify(s)}\n`;
      prefix = '';
      await writeAll(handle, Buffer.from(text, 'utf8'));
      await handle.datasync();
    },
    close: () => handle.close(),
  };
}

/**
 * The samples in `path`, in file order. A missing file has none. `onBadLine` gets each line that is
 * skipped, except an unfinished last line when `live` (the run is still being written: that line is most
 * likely being appended right now); `check` runs before each sample is handed out (abort, close).
 */
export async function* readSamples(
  path: string,
  live: boolean,
  onBadLine: (err: CorruptRecordError) => void,
  check: () => void,
): AsyncGenerator<Sample> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    let lineNo = 0;
    let rest = Buffer.alloc(0);
    const parse = (bytes: Buffer, cut: boolean): Sample | undefined => {
      lineNo++;
      const text = bytes.toString('utf8').trim();
      if (text === '') return undefined;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        if (cut && live) return undefined;
        const why = cut ? 'cut off: its writer stopped mid-line' : 'not valid JSON';
        onBadLine(new CorruptRecordError(path, lineNo, `${why}; line skipped`));
        return undefined;
      }
      if (lineNo === 1 && isObject(value) && 'formatVersion' in value) {
        checkVersion(value.formatVersion, path, 1);
        return undefined;
      }
      if (isObject(value) && typeof value.seq === 'number' && typeof value.runId === 'string') return value as unknown as Sample;
      onBadLine(new CorruptRecordError(path, lineNo, 'not a sample; line skipped'));
      return undefined;
    };
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const data = rest.length ? Buffer.concat([rest, buffer.subarray(0, bytesRead)]) : Buffer.from(buffer.subarray(0, bytesRead));
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        const sample = parse(data.subarray(start, nl), false);
        start = nl + 1;
        if (sample) {
          check();
          yield sample;
        }
      }
      rest = data.subarray(start);
    }
    // No newline at the end: a line still being written, or one cut by a crash. Kept if it is whole.
    const last = rest.length ? parse(rest, true) : undefined;
    if (last) {
      check();
      yield last;
    }
  } finally {
    await handle.close();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function lastByte(handle: FileHandle, size: number): Promise<number> {
  const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
  return buffer[0]!;
}

/** One write call as a rule; loops on a short write so a batch is never left half written by us. */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}
