/**
 * The password from libpq's password file, for a URI that has none and no PGPASSWORD. Read here rather than
 * left to `pg`: its own `.pgpass` support prints a DeprecationWarning on stderr on every use (pg 8.x).
 * Format (libpq "The Password File"): `hostname:port:database:username:password` per line, `*` matches
 * anything, `\:` and `\\` escape; the first matching line wins; a file that others can read is ignored, as
 * libpq does. The file is PGPASSFILE, else `~/.pgpass` (`%APPDATA%\postgresql\pgpass.conf` on Windows).
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PgpassTarget {
  host: string;
  port: string;
  database: string;
  user: string;
}

/** The file libpq would read. */
export function pgpassFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'postgresql', 'pgpass.conf');
  return join(homedir(), '.pgpass');
}

/** The password for `target` in the password file, or undefined (no file, no line, or a file others can read). */
export function pgpassPassword(target: PgpassTarget, file = pgpassFile()): string | undefined {
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile() || (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = [target.host, target.port, target.database, target.user];
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = splitLine(line);
    if (fields.length < 5) continue;
    if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value)) return fields.slice(4).join(':');
  }
  return undefined;
}

/** Split on unescaped `:`, undoing `\:` and `\\`. */
function splitLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) field += line[++i];
    else if (c === ':' && fields.length < 4) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/**
 * `url` (a postgres:// URL with no password) with the password file's password for it set, when there is
 * one and PGPASSWORD is not set. Defaults as libpq's: host localhost, port 5432, user PGUSER else the OS
 * user, database the user.
 */
export function withPgpassPassword(url: URL, env: NodeJS.ProcessEnv = process.env): URL {
  if (url.password || env.PGPASSWORD) return url;
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const user = decodeURIComponent(url.username) || param('user') || env.PGUSER || safeUserName();
  const host = param('host') ?? (url.hostname ? decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') : env.PGHOST || 'localhost');
  const target: PgpassTarget = {
    // libpq: a host that is a socket folder matches `localhost` in the file.
    host: host.startsWith('/') ? 'localhost' : host,
    port: param('port') ?? (url.port || env.PGPORT || '5432'),
    database: decodeURIComponent(url.pathname.slice(1)) || env.PGDATABASE || user,
    user,
  };
  const password = pgpassPassword(target, pgpassFile(env));
  if (password === undefined) return url;
  const out = new URL(url);
  if (!out.username) out.username = encodeURIComponent(user);
  out.password = encodeURIComponent(password);
  return out;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
