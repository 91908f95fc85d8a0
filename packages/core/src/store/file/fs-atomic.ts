/**
 * Whole-file writes a reader never sees half done, and reads of versioned JSON documents. A document is
 * written to a temp file in the same directory and flushed (fsync) before it takes its name: by rename to
 * replace, by link to create only if the name is free (link fails with EEXIST, atomically, across
 * processes). Either way the name points at the old content or the whole new content, even after a crash.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CorruptRecordError, SchemaVersionError, type SwapbenchError } from '../../errors/errors.js';
import { FORMAT_VERSION } from './layout.js';

/** What identifies one version of a file: a rename or link keeps it, any rewrite changes it. */
export interface FileKey {
  ino: string;
  size: string;
  mtimeNs: string;
}

/** Replace `path` with `data`; returns the key of the file now at `path`. */
export async function writeAtomic(path: string, data: string): Promise<FileKey> {
  const temp = tempName(path);
  try {
    const key = await writeSynced(temp, data);
    await rename(temp, path);
    return key;
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** Create `path` with `data` unless it exists: false if it does (someone else created it first). */
export async function createExclusive(path: string, data: string): Promise<FileKey | false> {
  const temp = tempName(path);
  try {
    const key = await writeSynced(temp, data);
    await link(temp, path);
    return key;
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Flush a directory's entries (a new or renamed name) to disk; not every platform can, and that is fine. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle
    ?.sync()
    .catch(() => undefined)
    .finally(() => handle.close());
}

/**
 * Read a JSON document of this store: undefined when the file is missing; a CorruptRecordError naming it
 * when it does not parse or is not an object; a SchemaVersionError when a newer swapbench wrote it.
 */
export async function readDoc(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
  return parseDoc(text, path);
}

/** Parse a document's text (see `readDoc`); `file` names it in errors. */
export function parseDoc(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CorruptRecordError(file, undefined, `not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CorruptRecordError(file, undefined, 'not a JSON object');
  checkVersion((doc as Record<string, unknown>).formatVersion, file);
  return doc as Record<string, unknown>;
}

/** Refuse a document of a newer format; a missing or malformed version is corruption. */
export function checkVersion(version: unknown, file: string, line?: number): void {
  if (version === FORMAT_VERSION) return;
  if (typeof version === 'number' && Number.isInteger(version) && version > FORMAT_VERSION) {
    const where = line === undefined ? file : `${file}:${line}`;
    throw new SchemaVersionError(`${where}: written in store format ${version}; this swapbench reads format ${FORMAT_VERSION}: upgrade it`);
  }
  throw new CorruptRecordError(file, line, `formatVersion must be ${FORMAT_VERSION}, got ${JSON.stringify(version)}`);
}

/** A document as the text to store: indented, for people reading it and for readable git diffs. */
export function docText(doc: Record<string, unknown>): string {
  return `${JSON.stringify({ formatVersion: FORMAT_VERSION, ...doc }, null, 2)}\n`;
}

/** A record that cannot be read (CORRUPT_RECORD, SCHEMA_VERSION): reported and skipped by listings. */
export function isRecordError(err: unknown): err is SwapbenchError {
  const code = errno(err);
  return code === 'CORRUPT_RECORD' || code === 'SCHEMA_VERSION';
}

/** The errno code of a system error (`ENOENT`, ...), if it is one. */
export function errno(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function writeSynced(path: string, data: string): Promise<FileKey> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    const s = await handle.stat({ bigint: true });
    return { ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs) };
  } finally {
    await handle.close();
  }
}

/** A temp name beside `path` (same filesystem, so rename and link work); hidden, so listings skip it. */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}
