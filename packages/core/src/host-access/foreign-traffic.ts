/**
 * The foreign-traffic guard: before a job starts, ask the host what is in flight. Anything in flight then
 * is somebody else's (the job has sent nothing yet): refuse with `HostBusyError` unless the user confirmed a
 * takeover. A host that cannot tell (no `probeActivity`) is let through with a note.
 */
import { HostBusyError } from '../errors/errors.js';
import type { ActivityProbe } from '../transport/transport.js';
import { errorMessage } from '../util/error-message.js';
import type { HostAccessPart } from './host-access.js';
import { wrapLease } from './host-access.js';

/** Anything with `probeActivity` (a Transport); without it the guard cannot look. */
export interface ActivitySource {
  probeActivity?(options?: { signal?: AbortSignal }): Promise<ActivityProbe>;
}

/** The guard part. `takeover` in the request turns a refusal into a note. */
export function foreignTrafficGuard(source: ActivitySource): HostAccessPart {
  return async (request, next) => {
    const probe = source.probeActivity?.bind(source);
    let notes: string[];
    if (!probe) {
      notes = ['foreign traffic not checked before the run: the transport cannot probe activity'];
    } else {
      let seen: ActivityProbe;
      try {
        seen = await probe({ signal: request.signal });
      } catch (err) {
        request.signal?.throwIfAborted();
        seen = { busy: false, evidence: [] };
        notes = [`foreign traffic not checked before the run: ${errorMessage(err)}`];
      }
      notes ??= [];
      if (seen.busy && !request.takeover) throw new HostBusyError(request.hostId, seen.evidence);
      if (seen.busy) notes.push(`took over a busy host (--takeover): ${seen.evidence.join('; ')}`);
    }
    const inner = await next(request);
    return wrapLease(inner, async () => {}, notes);
  };
}
