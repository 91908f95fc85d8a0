/**
 * Foreign requests at one instant: what the host says it is processing, minus what we have in flight. The
 * server counts requests holding a slot; ours includes requests still queued for one, so when the server is
 * saturated (our own requests fill every slot) foreign requests hide, and the figure is a lower bound.
 */
import type { ActivityProbe } from '../transport/transport.js';

/** A probe that may carry a count (`probeActivity` of the llama transport does). */
export type ActivityCount = ActivityProbe;

/**
 * Foreign requests seen by `probe` while `ours` were in flight. Without a count, a busy host with nothing of
 * ours in flight counts as one; otherwise it cannot be told apart from our own load (undefined).
 */
export function foreignRequests(probe: ActivityCount, ours: number): number | undefined {
  if (typeof probe.inFlight === 'number' && Number.isFinite(probe.inFlight)) return Math.max(0, probe.inFlight - ours);
  if (!probe.busy) return 0;
  return ours === 0 ? 1 : undefined;
}
