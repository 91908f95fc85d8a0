/**
 * What a postgres:// URI may show of itself, without loading `pg` (open-store.ts uses it for every URI).
 * A password with an unencoded `/` ends the URI's authority early (`postgres://u:p@ss/w0rd@db.lan/bench`
 * parses, as in libpq, as host `ss` and database `w0rd@db.lan/bench`): the usual redaction would then print
 * the rest of the password, and the driver would look up a piece of it as a host name. So an `@` after the
 * authority, before any `?`, is refused, and the URI is shown redacted up to that last `@`.
 */
import { StoreUnavailableError } from '../../errors/errors.js';
import { redactUrl } from '../../util/redact-url.js';

/** The URI as printed: credentials, and anything up to the last `@` before the query, and query values as `***`. */
export function shownPostgresUri(uri: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(uri)?.[0] ?? '';
  const query = uri.indexOf('?');
  const head = query === -1 ? uri : uri.slice(0, query);
  const at = head.lastIndexOf('@');
  return redactUrl(at === -1 || !scheme ? uri : `${scheme}***${uri.slice(at)}`);
}

/** A StoreUnavailableError when `@` follows the authority: a password that needs percent-encoding. */
export function checkPostgresUri(uri: string): void {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(uri)?.[0] ?? '';
  const rest = uri.slice(scheme.length);
  const query = rest.indexOf('?');
  const head = query === -1 ? rest : rest.slice(0, query);
  const slash = head.indexOf('/');
  if (slash !== -1 && head.indexOf('@', slash) !== -1)
    throw new StoreUnavailableError(
      shownPostgresUri(uri),
      'has an @ after its host: percent-encode a password or user name holding / ? # @ or % (%2F %3F %23 %40 %25)',
    );
}
