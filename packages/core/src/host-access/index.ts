export {
  composeHostAccess,
  openLease,
  playgroundShares,
  wrapLease,
  type HostAccess,
  type HostAccessPart,
  type HostAccessRequest,
  type HostLease,
  type HostPurpose,
} from './host-access.js';
export { DEFAULT_LEASE_TTL_MS, exclusiveLease, type ExclusiveLeaseOptions } from './exclusive-lease.js';
export { foreignTrafficGuard, type ActivitySource } from './foreign-traffic.js';
export { DEFAULT_WAIT_POLL_MS, waitForAccess } from './wait.js';
export { acquireHostAccess, createHostAccess, type HostAccessOptions } from './default-policy.js';
export { foreignRequests, type ActivityCount } from './foreign-count.js';
