import { open } from 'node:fs/promises';
import { ConfigError } from '../errors/errors.js';
import { formatCount, SUITE_LIMITS } from './limits.js';

/**
 * Read a suite file as text: at most `limit` bytes (checked before anything is parsed), UTF-8 with a leading
 * BOM dropped. Throws a ConfigError naming the file for anything else: missing, a directory, too big, binary.
 */
export async function readSuiteText(path: string, limit: number = SUITE_LIMITS.fileBytes): Promise<string> {
  const bytes = await readAtMost(path, limit);
  if (bytes.length > limit)
    throw fileError(path, `is larger than ${formatCount(limit)} bytes, the limit for a suite file (a suite is a few KB)`);
  // A UTF-16 BOM: saved as "Unicode" by an editor; the fix is to save it as UTF-8.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw fileError(path, 'is UTF-16 text; save it as UTF-8');
  let text: string;
  try {
    // `fatal`: a binary file fails here instead of becoming replacement characters; the BOM is dropped.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw fileError(path, 'is not UTF-8 text (a binary file?)', cause);
  }
  if (text.includes('\0')) throw fileError(path, 'contains NUL bytes: a binary file, not a suite');
  return text;
}

/** The file's first `limit + 1` bytes: one more than allowed tells a file over the limit without reading it all. */
async function readAtMost(path: string, limit: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw fileError(path, describeFsError(cause), cause);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw fileError(path, 'is a directory, not a suite file');
    // A regular file's size is known; a pipe or device (`/dev/stdin`) is read up to the limit instead.
    if (info.isFile() && info.size > limit)
      throw fileError(
        path,
        `is ${formatCount(info.size)} bytes; a suite file may have at most ${formatCount(limit)} (a suite is a few KB)`,
      );
    const buffer = Buffer.alloc(limit + 1);
    let size = 0;
    while (size < buffer.length) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, null);
      if (bytesRead === 0) break;
      size += bytesRead;
    }
    return buffer.subarray(0, size);
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw fileError(path, describeFsError(cause), cause);
  } finally {
    await handle.close();
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a suite file';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    case 'ENOTDIR':
      return 'no such file (a part of the path is not a directory)';
    default:
      return `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
}

function fileError(path: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError([{ path: '', message }], { source: path, cause });
}
