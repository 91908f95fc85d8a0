/**
 * The seam between a job and a shared host: before its first request a job asks for access, and gives it
 * back when done. The default policy (`createHostAccess`) is composed of small parts; an embedding app may
 * pass its own function instead (a scheduler, a queue, a calendar).
 */

/** What a job is for. `playground` (a person trying prompts) never excludes anyone. */
export type HostPurpose = 'bench' | 'eval' | 'playground' | (string & {});

/** One request for a host. */
export interface HostAccessRequest {
  /** The host's registered name, or its base URL. */
  hostId: string;
  purpose: HostPurpose;
  /** Run even though the host is busy with requests that are not ours (the user confirmed it). */
  takeover?: boolean | undefined;
  /** Wait up to this long for the host to become free, ms; default 0 (refuse at once). */
  waitMs?: number | undefined;
  /** Abort to stop waiting; the call then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** Access granted: hold it for the job, then `release()` (also through `await using`). */
export interface HostLease extends AsyncDisposable {
  readonly hostId: string;
  readonly purpose: HostPurpose;
  /** What the job should know: a takeover, a check that could not be made. Empty when nothing. */
  readonly notes: string[];
  /** Aborts when the lease was lost (renewal failed and another job took the host). */
  readonly lost: AbortSignal;
  /** Give the host back. Idempotent; never rejects. */
  release(): Promise<void>;
}

/** A host-access policy: resolves to a lease, or rejects with `HostBusyError` / `LeaseHeldError`. */
export type HostAccess = (request: HostAccessRequest) => Promise<HostLease>;

/** One part of a policy, wrapping the rest of it (`next`), as middleware does. */
export type HostAccessPart = (request: HostAccessRequest, next: HostAccess) => Promise<HostLease>;

/** A lease that holds nothing: the end of every chain. */
export function openLease(request: HostAccessRequest, notes: string[] = []): HostLease {
  const lost = new AbortController();
  return {
    hostId: request.hostId,
    purpose: request.purpose,
    notes,
    lost: lost.signal,
    release: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}

/** Chain parts: the first one wraps the second, and so on; the last one's `next` grants an open lease. */
export function composeHostAccess(...parts: HostAccessPart[]): HostAccess {
  return parts.reduceRight<HostAccess>(
    (next, part) => (request) => part(request, next),
    async (request) => openLease(request),
  );
}

/** `playground` never takes an exclusive lease and is never refused for foreign traffic: it skips the rest. */
export const playgroundShares: HostAccessPart = (request, next) =>
  request.purpose === 'playground' ? Promise.resolve(openLease(request)) : next(request);

/** A lease that also runs `onRelease` (once) when released, and carries more notes. */
export function wrapLease(inner: HostLease, onRelease: () => Promise<void>, notes: string[] = []): HostLease {
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= (async () => {
      await onRelease().catch(() => {});
      await inner.release();
    })());
  return {
    hostId: inner.hostId,
    purpose: inner.purpose,
    notes: [...inner.notes, ...notes],
    lost: inner.lost,
    release,
    [Symbol.asyncDispose]: release,
  };
}
