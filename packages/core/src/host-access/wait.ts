/** Waiting for a host: retry the rest of the policy while it says busy or held, until `waitMs` runs out. */
import { HostBusyError, LeaseHeldError } from '../errors/errors.js';
import type { HostAccessPart } from './host-access.js';

/** Between two tries, ms. */
export const DEFAULT_WAIT_POLL_MS = 1_000;

/** The waiting part: with `waitMs` > 0, a refusal is retried every `pollMs`; the last refusal is rethrown. */
export function waitForAccess(pollMs = DEFAULT_WAIT_POLL_MS): HostAccessPart {
  return async (request, next) => {
    const deadline = performance.now() + Math.max(0, request.waitMs ?? 0);
    for (;;) {
      request.signal?.throwIfAborted();
      try {
        return await next(request);
      } catch (err) {
        const refused = err instanceof HostBusyError || err instanceof LeaseHeldError;
        const left = deadline - performance.now();
        if (!refused || left <= 0) throw err;
        await sleep(Math.min(pollMs, left), request.signal);
      }
    }
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
