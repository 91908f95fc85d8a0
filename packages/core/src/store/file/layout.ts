/**
 * Where a file store keeps what, and how user-given names become file names.
 *
 * ```
 * <dir>/
 *   swapbench-store.json          { formatVersion }: marks the folder as a store of this format
 *   .gitignore                    written once: ignores .index/, leases/ and *.tmp (derived or transient)
 *   runs/<runId>.json             { formatVersion, writer: { pid, hostname }, run }: replaced atomically
 *   runs/<runId>.samples.jsonl    line 1 { formatVersion }, then one Sample per line, appended per batch
 *   suites/<name>.json            { formatVersion, name, suite, updatedAt }
 *   baselines/<name>.json         { formatVersion, name, runId, setAt }
 *   hosts/<id>.json               { formatVersion, id, baseUrl, kind?, labels?, updatedAt }
 *   leases/<hostId>/<gen>.json    { formatVersion, lease | null }: the highest generation is the lease
 *   .index/runs.jsonl             listing cache: a run's summary, keyed by its file's inode, size and mtime
 * ```
 *
 * One file per record, so no write ever reads, changes and rewrites a file another process may be writing.
 */
import { join } from 'node:path';
import { ConfigError } from '../../errors/errors.js';

/** The format this version writes; a document with a higher one is refused (SCHEMA_VERSION). */
export const FORMAT_VERSION = 1;

export interface Layout {
  root: string;
  marker: string;
  gitignore: string;
  runs: string;
  suites: string;
  baselines: string;
  hosts: string;
  leases: string;
  index: string;
  runFile(runId: string): string;
  samplesFile(runId: string): string;
  recordFile(dir: string, what: NameKind, name: string): string;
  leaseDir(hostId: string): string;
}

/** What a name names, for the error that refuses it. */
export type NameKind = 'runId' | 'suite name' | 'baseline name' | 'host id';

export const RUN_SUFFIX = '.json';
export const SAMPLES_SUFFIX = '.samples.jsonl';

export function layoutOf(root: string): Layout {
  const runs = join(root, 'runs');
  return {
    root,
    marker: join(root, 'swapbench-store.json'),
    gitignore: join(root, '.gitignore'),
    runs,
    suites: join(root, 'suites'),
    baselines: join(root, 'baselines'),
    hosts: join(root, 'hosts'),
    leases: join(root, 'leases'),
    index: join(root, '.index', 'runs.jsonl'),
    runFile: (runId) => join(runs, fileName('runId', runId) + RUN_SUFFIX),
    samplesFile: (runId) => join(runs, fileName('runId', runId) + SAMPLES_SUFFIX),
    recordFile: (dir, what, name) => join(dir, `${fileName(what, name)}.json`),
    leaseDir: (hostId) => join(root, 'leases', fileName('host id', hostId)),
  };
}

/** Longest encoded name: leaves room for suffixes and temp names under the usual 255-byte limit. */
const MAX_ENCODED = 180;

/**
 * A name as a file name: letters, digits, `_`, `-` and `.` stay (a leading `.` does not, so no name is a
 * hidden or temp file); every other byte becomes `%XX`. Refuses what cannot be a name at all: empty,
 * `.` or `..`, a path separator or NUL. `%`-encoding keeps names readable and round-trips exactly.
 */
export function fileName(what: NameKind, name: string): string {
  const problem =
    typeof name !== 'string' || name === ''
      ? 'must be a non-empty string'
      : name === '.' || name === '..'
        ? 'must not be "." or ".."'
        : /[/\\\0]/.test(name)
          ? 'must not contain "/", "\\" or NUL'
          : undefined;
  if (problem) throw new ConfigError([{ path: what, message: `${problem}, got ${JSON.stringify(name)}` }]);
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) || (c === '.' && out !== '') ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_ENCODED)
    throw new ConfigError([{ path: what, message: `is too long to be a file name (${out.length} bytes encoded, at most ${MAX_ENCODED})` }]);
  return out;
}

/** The name a file name stands for, or undefined for a file that is not one of ours (temp, hand-made). */
export function nameOf(base: string): string | undefined {
  if (base === '' || base.startsWith('.')) return undefined;
  try {
    const name = decodeURIComponent(base);
    // Only names this module could have written: anything else is someone else's file.
    return fileNameOrUndefined(name) === base ? name : undefined;
  } catch {
    return undefined;
  }
}

function fileNameOrUndefined(name: string): string | undefined {
  try {
    return fileName('runId', name);
  } catch {
    return undefined;
  }
}
