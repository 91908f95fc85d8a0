import type { RunQuery, Store } from '@swapbench/core';
import { baseUrlProblem, redactUrl } from '@swapbench/core';
import { ConfigError } from '@swapbench/core/errors';

/**
 * A registered host's name: a letter first, then letters, digits, `.`, `_`, `-` (at most 64), so a name is
 * never taken for an address (`127.0.0.1`), a `host:port` or a URL.
 */
const HOST_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/** Whether `--host` holds a name to look up in the store rather than a URL. */
export function isHostName(value: string): boolean {
  return HOST_NAME.test(value.trim());
}

/** A host name for `hosts add`; anything else is CONFIG_INVALID saying what a name may hold. */
export function checkHostName(name: string): string {
  if (!isHostName(name))
    throw new ConfigError([
      {
        path: '<name>',
        message: `${JSON.stringify(name)} is not a host name: a letter first, then letters, digits, ".", "_" or "-" (at most 64)`,
      },
    ]);
  return name.trim();
}

/** A base URL as swapbench stores and matches it: trimmed, without trailing slashes (the transport adds its paths). */
export function normalizeBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** The server a run measures: its base URL, the kind registered with it, and its registered name. */
export interface HostTarget {
  baseUrl: string;
  kind?: string | undefined;
  hostId?: string | undefined;
}

/**
 * `--host` of `run`, already checked when it is a URL: a registered name becomes its URL and kind; a URL
 * stays itself and takes the name of the one registered host at that URL, so its runs list under the name.
 * An unknown name is CONFIG_INVALID naming `flag`, with the fix either way (a URL, or `hosts add`).
 */
export async function resolveHostFlag(store: Store, storeUri: string, value: string, flag: string): Promise<HostTarget> {
  const given = value.trim();
  if (isHostName(given)) {
    const host = await store.hosts.get(given);
    if (host) return { baseUrl: host.baseUrl, kind: host.kind, hostId: host.id };
    throw new ConfigError([
      {
        path: flag,
        message: `${baseUrlProblem(given)}; no host of that name is registered in ${storeUri} either (swapbench hosts add ${given} <url>)`,
      },
    ]);
  }
  const baseUrl = normalizeBaseUrl(given);
  const named = (await store.hosts.list()).filter((h) => normalizeBaseUrl(h.baseUrl) === baseUrl);
  return { baseUrl, hostId: named.length === 1 ? named[0]!.id : undefined };
}

/**
 * The filters of `runs --host`, any one of which matches. A base URL matches the runs against it. A URL
 * without its scheme, as the `host` column shows it (`127.0.0.1:8080`), matches the runs against it over
 * http or https. A name matches the runs started through it, and also (the column shows both alike) those
 * against a server of that name on the default port (`http://gpu-box`).
 */
export function hostQueries(value: string): Array<Pick<RunQuery, 'hostId' | 'baseUrl'>> {
  const given = normalizeBaseUrl(value);
  // Stored base URLs are redacted: match the same form.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) return [{ baseUrl: redactUrl(given) }];
  const byUrl = ['http', 'https'].map((scheme) => ({ baseUrl: redactUrl(`${scheme}://${given}`) }));
  return isHostName(given) ? [{ hostId: given }, ...byUrl] : byUrl;
}
