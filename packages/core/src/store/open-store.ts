/**
 * `@swapbench/core/stores`: open a store from a URI (`sqlite:<file>`, `file:<dir>`, `memory:`,
 * `postgres://…`), and where history lives when nobody says (`defaultStoreUri`). The durable stores are
 * imported only when asked for, so this entry loads neither `node:sqlite`, the file store nor `pg` until a
 * URI names one.
 */
import { open, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, posix, resolve, win32 } from 'node:path';
import { StoreUnavailableError, SwapbenchError } from '../errors/errors.js';
import { checkPostgresUri, shownPostgresUri } from './postgres/uri.js';
import { createMemoryStore } from './memory/index.js';
import type { Store } from './store.js';

/** The kinds of store a URI can name. */
export type StoreScheme = 'sqlite' | 'file' | 'memory' | 'postgres';

/** A store URI, resolved: its kind, its absolute path (none for `memory:`), and the URI written out in full. */
export interface StoreLocation {
  scheme: StoreScheme;
  path?: string | undefined;
  /**
   * `sqlite:/abs/path.db`, `file:/abs/dir` or `memory:`: what to print as "stored in …". A Postgres URI
   * shows with its credentials and query values redacted (`postgres://***@db.lan:5432/bench`).
   */
  uri: string;
  /** For `postgres`: the URI to connect with, credentials included (never print it). */
  connectionString?: string | undefined;
}

/** Where relative paths resolve and `~` expands; defaults are the process's own. */
export interface ResolveStoreOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const FORMS = 'use sqlite:<file>, file:<dir>, postgres://host/database or memory:';
const SQLITE_EXTENSIONS = /\.(db|sqlite|sqlite3)$/i;
/** The first 16 bytes of every SQLite database file. */
const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Resolve a store URI. `sqlite:` and `file:` take a path (relative to `cwd`; `~/` is the home folder;
 * `sqlite:///abs` and `file:///abs` work too). A bare path is a SQLite file when it ends in `.db`,
 * `.sqlite` or `.sqlite3` or already is one, and a file store when it is an existing directory; anything
 * else, or an unknown scheme, is a StoreUnavailableError that names the URI and the three forms.
 */
export async function resolveStoreUri(uri: string, options: ResolveStoreOptions = {}): Promise<StoreLocation> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const trimmed = uri.trim();
  if (trimmed === '') throw new StoreUnavailableError('""', `no store named; ${FORMS}`);
  // Two letters at least, so a Windows drive (`C:\x.db`) is a path, not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(trimmed);
  if (!scheme) return resolveBarePath(uri, trimmed, cwd, env);
  const name = scheme[1]!.toLowerCase();
  const rest = trimmed.slice(scheme[0].length);
  if (name === 'memory') {
    if (rest !== '' && rest !== '//') throw new StoreUnavailableError(uri, 'memory: takes no path');
    return { scheme: 'memory', uri: 'memory:' };
  }
  if (name === 'postgres' || name === 'postgresql') return resolvePostgresUri(trimmed);
  if (name !== 'sqlite' && name !== 'file') throw new StoreUnavailableError(uri, `unknown scheme "${name}:"; ${FORMS}`);
  const path = schemePath(uri, name, rest, cwd, env);
  return { scheme: name, path, uri: `${name}:${path}` };
}

/** Open the store a URI names (see `resolveStoreUri`). Durable stores create what is missing and recover interrupted runs. */
export async function openStore(
  uri: string,
  options: ResolveStoreOptions & {
    /** A record that could not be read and was skipped (a corrupt line of a file store); default: a process warning. */
    onWarning?: (warning: SwapbenchError) => void;
  } = {},
): Promise<Store> {
  const location = await resolveStoreUri(uri, options);
  try {
    switch (location.scheme) {
      case 'memory':
        return createMemoryStore();
      case 'sqlite': {
        const { openSqliteStore } = await import('./sqlite/index.js');
        return await openSqliteStore(location.path!);
      }
      case 'file': {
        const { openFileStore } = await import('./file/index.js');
        return await openFileStore(location.path!, options.onWarning ? { onWarning: options.onWarning } : {});
      }
      case 'postgres': {
        // Loaded only here: no other store, nor the CLI's --help, loads `pg`.
        const { openPostgresStore } = await import('./postgres/index.js');
        return await openPostgresStore(location.connectionString!);
      }
    }
  } catch (err) {
    // The store's own errors already name the file and the fix; a bare system error (EACCES, ENOTDIR, a
    // SQLite error) is the disk or the path the user gave. Anything else is a bug and stays as it is.
    if (SwapbenchError.is(err) || !isEnvironmentError(err)) throw err;
    throw new StoreUnavailableError(location.uri, (err as Error).message, { cause: err });
  }
}

/**
 * Where swapbench keeps history when `--store` and `SWAPBENCH_STORE` say nothing: a SQLite file in the user's
 * data folder. Linux (and other Unixes): `$XDG_DATA_HOME/swapbench/swapbench.db`, else
 * `~/.local/share/swapbench/swapbench.db`; macOS: `~/Library/Application Support/swapbench/swapbench.db`;
 * Windows: `%LOCALAPPDATA%\swapbench\swapbench.db`.
 */
export function defaultStoreUri(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const base = nonEmpty(env.LOCALAPPDATA) ?? win32.join(home(env, platform), 'AppData', 'Local');
    return `sqlite:${win32.join(base, 'swapbench', 'swapbench.db')}`;
  }
  if (platform === 'darwin')
    return `sqlite:${posix.join(home(env, platform), 'Library', 'Application Support', 'swapbench', 'swapbench.db')}`;
  // The XDG spec says to ignore a relative XDG_DATA_HOME.
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  const base = xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home(env, platform), '.local', 'share');
  return `sqlite:${posix.join(base, 'swapbench', 'swapbench.db')}`;
}

/** `postgres://` or `postgresql://`, as libpq takes it (host, port, database, `?sslmode=`, …; `?schema=` is ours). */
function resolvePostgresUri(trimmed: string): StoreLocation {
  const connectionString = trimmed;
  const shown = shownPostgresUri(connectionString);
  checkPostgresUri(connectionString);
  if (!URL.canParse(connectionString))
    throw new StoreUnavailableError(shown, 'is not a valid URI; use postgres://user:password@host:port/database');
  return { scheme: 'postgres', uri: shown, connectionString };
}

/** The path after `sqlite:` or `file:`, absolute. */
function schemePath(uri: string, scheme: string, rest: string, cwd: string, env: NodeJS.ProcessEnv): string {
  let path = rest;
  if (rest.startsWith('//')) {
    // URL form: only an empty authority (`file:///abs`) makes sense for a store on this machine. The path is
    // taken as written (no %-decoding), as in the short form.
    if (!rest.startsWith('///'))
      throw new StoreUnavailableError(
        uri,
        `takes a path, not a host: ${scheme}:/abs/path, ${scheme}:relative/path or ${scheme}:///abs/path`,
      );
    path = rest.slice(2);
    // `file:///C:/x` on Windows: the drive follows the third slash.
    if (process.platform === 'win32' && /^\/[a-z]:/i.test(path)) path = path.slice(1);
  }
  if (path === '') throw new StoreUnavailableError(uri, `${scheme}: needs a path; ${FORMS}`);
  return absolute(path, cwd, env);
}

/** A path given without a scheme: decided by its name or by what is there. */
async function resolveBarePath(uri: string, path: string, cwd: string, env: NodeJS.ProcessEnv): Promise<StoreLocation> {
  const abs = absolute(path, cwd, env);
  const info = await stat(abs).catch(() => undefined);
  if (info?.isDirectory()) return { scheme: 'file', path: abs, uri: `file:${abs}` };
  if (SQLITE_EXTENSIONS.test(abs) || (info?.isFile() && (await isSqliteFile(abs))))
    return { scheme: 'sqlite', path: abs, uri: `sqlite:${abs}` };
  const what = info ? 'neither a directory nor a SQLite database' : 'no such directory, and not named .db, .sqlite or .sqlite3';
  throw new StoreUnavailableError(uri, `${what}; ${FORMS}`);
}

async function isSqliteFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(16), 0, 16, 0);
    return bytesRead === 16 && buffer.toString('latin1') === SQLITE_MAGIC;
  } finally {
    await handle.close();
  }
}

function absolute(path: string, cwd: string, env: NodeJS.ProcessEnv): string {
  if (path === '~' || path.startsWith('~/') || path.startsWith('~\\')) return resolve(home(env, process.platform), path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}

function home(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  return nonEmpty(platform === 'win32' ? env.USERPROFILE : env.HOME) ?? homedir();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** A system error (`EACCES`, `ENOTDIR`, …) or node:sqlite's: about the disk or the path, not a bug. */
function isEnvironmentError(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code.startsWith('ERR_SQLITE'));
}
