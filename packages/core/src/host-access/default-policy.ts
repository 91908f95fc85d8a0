/** The default host-access policy, and a one-call way to use it. */
import type { LeaseStore } from '../store/store.js';
import { exclusiveLease } from './exclusive-lease.js';
import { type ActivitySource, foreignTrafficGuard } from './foreign-traffic.js';
import { composeHostAccess, type HostAccess, type HostAccessRequest, type HostLease, playgroundShares } from './host-access.js';
import { waitForAccess } from './wait.js';

export interface HostAccessOptions {
  /** Where leases live: `store.leases`. Processes sharing it take turns on a host. */
  leases: LeaseStore;
  /** What the host is doing (a Transport with `probeActivity`). */
  activity: ActivitySource;
  /** Lease lifetime without a heartbeat, ms; default 30 000. */
  ttlMs?: number;
  /** Between two tries while waiting, ms; default 1 000. */
  pollMs?: number;
  /** Who asks, as others see it; default `swapbench pid <pid> on <hostname>`. */
  holder?: string;
  /** Defaults for every request: takeover and wait. */
  takeover?: boolean;
  waitMs?: number;
}

/**
 * The default policy, in this order: `playground` passes untouched; otherwise wait (if asked) while refused;
 * take the exclusive lease; then check for foreign traffic (holding the lease, so two jobs cannot both find
 * the host idle and start).
 */
export function createHostAccess(options: HostAccessOptions): HostAccess {
  const policy = composeHostAccess(
    playgroundShares,
    waitForAccess(options.pollMs),
    exclusiveLease(options),
    foreignTrafficGuard(options.activity),
  );
  return (request) => policy({ ...request, takeover: request.takeover ?? options.takeover, waitMs: request.waitMs ?? options.waitMs });
}

/** Ask once under the default policy. */
export function acquireHostAccess(request: HostAccessRequest & Omit<HostAccessOptions, 'takeover' | 'waitMs'>): Promise<HostLease> {
  return createHostAccess(request)(request);
}
