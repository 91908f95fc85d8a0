/**
 * A run's baseline names: the default one (`<suite>@<host>`), and the lookup of the baseline of its server and
 * suite under whichever of the server's names it was set (the CLI's `--baseline auto`, the dashboard's run view).
 */
import type { RunResult } from '../result/types.js';
import type { BaselineRecord, Store } from '../store/store.js';
import { redactUrl } from '../util/redact-url.js';

/**
 * The default baseline name of a run: its host (registered name, else the base URL's host and port) and its
 * suite, `nightly@gpu-box`. One host and suite have one current baseline. No `/`: the file store keeps a
 * baseline as a file named after it.
 */
export function defaultBaselineName(run: Pick<RunResult, 'host' | 'suite'>): string {
  const host =
    run.host.id ??
    redactUrl(run.host.baseUrl)
      .replace(/^https?:\/\//i, '')
      .replace(/\/+$/, '');
  return `${run.suite.name}@${host}`;
}

/** A base URL as typed, without surrounding space or trailing slashes. */
const normalizeBaseUrl = (url: string): string => url.trim().replace(/\/+$/, '');

/** What the automatic lookup found for a run. */
export interface AutoBaseline {
  /** The run's own baseline name (`<suite>@<host>`): the one `baseline set <run>` stores it under. */
  name: string;
  /** The baseline to compare with, if one is stored under any of the server's names. */
  record?: BaselineRecord | undefined;
  /** Which baseline that is and, when others of the same server were passed over, which and why. */
  note?: string | undefined;
}

/**
 * The baseline of `run`'s server and suite. The run's own name comes first; a baseline stored under another
 * name of the same server (the `host:port` form of its URL, or a host registered at that URL) is used when
 * that baseline's run was measured at the same URL. The server's name changes under a stored baseline when a
 * host is registered at its URL, or a second one is (a URL takes a registered name only when one host has it).
 */
export async function findAutoBaseline(store: Store, run: Pick<RunResult, 'host' | 'suite'>): Promise<AutoBaseline> {
  const name = defaultBaselineName(run);
  const own = await store.baselines.get(name);
  const others: BaselineRecord[] = [];
  for (const other of await otherNames(store, run, name)) {
    const record = await store.baselines.get(other);
    // The same run under two names is one baseline, not a choice.
    if (!record || record.runId === own?.runId || others.some((r) => r.runId === record.runId)) continue;
    if (await measuredAt(store, record.runId, run.host.baseUrl)) others.push(record);
  }
  others.sort((a, b) => b.setAt.localeCompare(a.setAt));
  const chosen = own ?? others.shift();
  if (!chosen) return { name };
  let note = `compared with baseline "${chosen.name}" (run ${chosen.runId})`;
  if (!own) note += `, stored under another name of this server (this run's is "${name}")`;
  if (others.length > 0) {
    note += own ? ", under this run's own name" : ', the most recently set';
    note += `; also stored for this server, not used: ${others.map((r) => `"${r.name}" (run ${r.runId})`).join(', ')}`;
  }
  return { name, record: chosen, note };
}

/** The server's names other than `own`, as baseline names: its `host:port` form, then the hosts registered at its URL. */
async function otherNames(store: Store, run: Pick<RunResult, 'host' | 'suite'>, own: string): Promise<string[]> {
  const url = normalizeBaseUrl(run.host.baseUrl);
  // A run keeps its base URL redacted: compare the registered URLs in that form.
  const registered = (await store.hosts.list()).filter((h) => redactUrl(normalizeBaseUrl(h.baseUrl)) === url);
  const names = [
    defaultBaselineName({ suite: run.suite, host: { baseUrl: run.host.baseUrl } }),
    ...registered.map((h) => defaultBaselineName({ suite: run.suite, host: { id: h.id, baseUrl: h.baseUrl } })),
  ];
  return [...new Set(names)].filter((n) => n !== own);
}

/** Whether the stored run `runId` measured the server at `baseUrl` (a name may have pointed elsewhere then). */
async function measuredAt(store: Store, runId: string, baseUrl: string): Promise<boolean> {
  const stored = await store.runs.get(runId);
  return stored !== undefined && normalizeBaseUrl(stored.host.baseUrl) === normalizeBaseUrl(baseUrl);
}
