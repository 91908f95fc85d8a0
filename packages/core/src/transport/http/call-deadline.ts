/**
 * The deadline of one short call: it covers everything the call waits for (a free connection, connecting,
 * the headers, the whole body), so a server that accepts a request and never answers fails the call in
 * time whatever undici's own per-phase timers say. It aborts the request the way the caller's signal does.
 */
import { RequestTimeoutError } from '../../errors/errors.js';

/** A signal that aborts with the caller's reason, or with a RequestTimeoutError once the time is up. */
export class CallDeadline {
  /** Pass this to the request instead of the caller's signal. */
  readonly signal: AbortSignal;
  /** Where the call is, named by the timeout error: waiting for the answer, or reading its body. */
  phase: 'headers' | 'body' = 'headers';
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = () => this.controller.abort(this.outer!.reason);

  constructor(
    readonly timeoutMs: number,
    private readonly outer: AbortSignal | undefined,
  ) {
    this.signal = this.controller.signal;
    if (outer?.aborted) {
      this.controller.abort(outer.reason);
      return;
    }
    outer?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = setTimeout(() => this.controller.abort(new RequestTimeoutError(this.phase, timeoutMs)), timeoutMs);
  }

  /** The call is over: stop the timer and let go of the caller's signal (it may outlive many calls). */
  clear(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }
}
