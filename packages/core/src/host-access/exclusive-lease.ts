/**
 * One benchmark per host at a time, across every process that shares a store: a lease record with an
 * expiry, renewed by a heartbeat. A process killed with its lease frees the host when the expiry passes.
 */
import { hostname } from 'node:os';
import { LeaseHeldError } from '../errors/errors.js';
import type { LeaseStore } from '../store/store.js';
import type { HostAccessPart, HostLease } from './host-access.js';

/** How long a lease lives without a heartbeat, ms: a crashed run holds the host this long at most. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

export interface ExclusiveLeaseOptions {
  /** The store's lease records (processes that share the store agree on who holds a host). */
  leases: LeaseStore;
  /** Lease lifetime without renewal, ms; default 30 000. Renewed every third of it. */
  ttlMs?: number;
  /** Who asks, as others will read it; default `swapbench pid <pid> on <hostname>`. "since <time>" is added. */
  holder?: string;
}

/** The exclusive-lease part: refuses with `LeaseHeldError` (holder, purpose, expiry) while another holds it. */
export function exclusiveLease(options: ExclusiveLeaseOptions): HostAccessPart {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const who = options.holder ?? `swapbench pid ${process.pid} on ${hostname()}`;
  return async (request, next) => {
    const { hostId, purpose, signal } = request;
    const holder = `${who} since ${new Date().toISOString()}`;
    const got = await options.leases.acquire({ hostId, holder, purpose, ttlMs }, { signal });
    if (!got.acquired) {
      const c = got.current;
      throw new LeaseHeldError(hostId, c.holder, { expiresAt: c.expiresAt, purpose: c.purpose });
    }
    const { token } = got.lease;
    const lost = new AbortController();
    // The heartbeat: a renewal that fails for a moment (store busy) is retried at the next beat; one that
    // says the lease is gone means another job owns the host now.
    const beat = setInterval(
      () => {
        options.leases.renew(hostId, token, ttlMs).then(
          (held) => held || lost.abort(new LeaseHeldError(hostId, 'another job (this lease expired before it was renewed)')),
          () => {},
        );
      },
      Math.max(10, Math.floor(ttlMs / 3)),
    );
    beat.unref();
    const giveBack = async () => {
      clearInterval(beat);
      await options.leases.release(hostId, token).catch(() => false);
    };
    let inner: HostLease;
    try {
      inner = await next(request);
    } catch (err) {
      await giveBack();
      throw err;
    }
    let released: Promise<void> | undefined;
    const release = () =>
      (released ??= (async () => {
        await giveBack();
        await inner.release();
      })());
    return {
      hostId,
      purpose,
      notes: inner.notes,
      lost: AbortSignal.any([lost.signal, inner.lost]),
      release,
      [Symbol.asyncDispose]: release,
    };
  };
}
