/**
 * One streamed request, fed by undici's low-level dispatch handler. Each network read is stamped and parsed
 * inside the socket's read callback, with no body stream or promise in between: an event's `at` is its
 * arrival time whatever the consumer is doing, and the parser is all that runs per token. The events go to
 * the consumer's side (EventDelivery: iterated, or drained); a queue past its high-water mark pauses the
 * response, so TCP pushes back on the server.
 *
 * A request the server never ran (it closed the reused connection the request went out on without a byte
 * of answer) is sent once more; `response-start` then says `resent`, and its `sentAt` is the second send's.
 */
import type { Dispatcher } from 'undici';
import type { BodyParser } from './body-parser.js';
import type { HttpClient, HttpRequest, SendInfo } from './http-client.js';
import { EventDelivery, HIGH_WATER } from './event-delivery.js';
import { ERROR_BODY_LIMIT, LimitedCollector } from './read-body.js';

/** A streamed request: the handler undici calls, feeding the consumer's side (EventDelivery). */
export class EventStream extends EventDelivery implements Dispatcher.DispatchHandler {
  /** Sends so far: 2 once a request the server never ran was sent again. */
  private sends = 0;
  /** The current send: its connection (did the server run the request?), and any time to open one. */
  private sendInfo: SendInfo | undefined;
  /** Clock reading when undici wrote the current send on a connection. */
  private sentAt: number | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  /** Why to abort a request that undici has not put on a socket yet. */
  private abortReason: Error | undefined;
  private status = 0;
  /** The start of a non-2xx answer's body, kept for its error message (ERROR_BODY_LIMIT at most). */
  private errorBody: LimitedCollector | undefined;
  private readonly onAbort = () => {
    const reason = this.request.signal!.reason as Error;
    this.fail(reason);
    this.abort(reason);
  };

  constructor(
    private readonly http: HttpClient,
    private readonly request: HttpRequest,
    private readonly parser: BodyParser,
    private readonly clock: () => number,
  ) {
    super();
  }

  /** undici: the request is on its way; keep its controller to pause, resume or abort it. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    // undici calls this as it writes the request on a connection: any wait for one, or its opening, is over.
    this.sentAt = this.clock();
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  /** undici: the status line and headers arrived. */
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode < 200) return; // informational (1xx); the real answer follows
    const at = this.clock();
    this.status = statusCode;
    if (statusCode >= 300) {
      this.errorBody = new LimitedCollector(ERROR_BODY_LIMIT);
      return;
    }
    this.enqueueOne({
      type: 'response-start',
      at,
      status: statusCode,
      ...(this.sentAt === undefined ? {} : { sentAt: this.sentAt }),
      ...(this.sendInfo?.send?.connectMs === undefined ? {} : { connectMs: this.sendInfo.send.connectMs }),
      ...(this.sends > 1 ? { resent: true } : {}),
    });
    this.wake();
  }

  /** undici: one network read of the body, stamped and parsed here. */
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.errorBody) {
      if (this.errorBody.add(chunk)) {
        // Enough for the message: fail now and drop the rest unread (an error page may be any size).
        this.failWithStatus();
        controller.abort(new Error('error body past its limit'));
      }
      return;
    }
    const events = this.parser.feed(chunk, this.clock());
    if (events.length > 0) this.enqueue(events);
    const error = this.parser.error;
    if (error) {
      // Queued before the failure, the events that came before the fault are still delivered.
      this.fail(error);
      controller.abort(error);
      return;
    }
    if (this.queue.length >= HIGH_WATER) controller.pause();
    this.wake();
  }

  /** undici: the body is complete. */
  onResponseEnd(): void {
    const at = this.clock();
    if (this.errorBody) {
      this.failWithStatus();
      return;
    }
    this.detach();
    this.enqueue(this.parser.end(at));
    if (this.parser.error) {
      this.fail(this.parser.error);
      return;
    }
    this.ended = true;
    this.wake();
  }

  /** undici: the request failed (network, timeout, or our own abort). */
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.mayResend(error)) {
      // Out of undici's error path: it is still tearing down the closed connection.
      queueMicrotask(() => this.resend());
      return;
    }
    // A connection cut inside an error body leaves what came before it: the status is what counts.
    if (this.errorBody) {
      this.failWithStatus();
      return;
    }
    this.detach();
    this.fail(this.http.mapError(error, this.request.signal, this.status === 0 ? 'headers' : 'body'));
  }

  /** Fail with the error for the non-2xx status, from the start of its body. */
  private failWithStatus(): void {
    this.detach();
    // Once only: the abort that drops the rest of a long body comes back through onResponseError.
    if (this.failure || this.closed) return;
    this.fail(this.http.failure(this.status, this.request, this.errorBody!.text()));
  }

  protected start(): void {
    this.started = true;
    const { signal } = this.request;
    if (signal?.aborted) {
      this.fail(signal.reason);
      return;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.send();
  }

  private send(): void {
    this.sends++;
    this.sentAt = undefined;
    try {
      this.sendInfo = this.http.dispatch(this.request, this);
    } catch (err) {
      this.detach();
      this.fail(this.http.mapError(err, this.request.signal, 'headers'));
    }
  }

  /** Only once, only before any answer, and only if the server closed a reused connection without answering. */
  private mayResend(error: Error): boolean {
    if (this.sends > 1 || this.status !== 0 || this.closed || this.failure || this.request.signal?.aborted) return false;
    return this.sendInfo?.record.neverRan(error) === true;
  }

  private resend(): void {
    // The consumer may have left, or the signal aborted, since the first send failed.
    if (this.closed || this.failure) return;
    this.controller = undefined;
    this.send();
  }

  /** A request sent twice that failed anyway: say so on the error, so the failed sample counts both sends. */
  protected override fail(error: unknown): void {
    if (!this.failure && !this.closed && this.sends > 1 && typeof error === 'object' && error !== null && Object.isExtensible(error))
      Object.assign(error, { resent: true });
    super.fail(error);
  }

  protected taken(queued: number): void {
    if (this.controller?.paused && queued < HIGH_WATER / 2) this.controller.resume();
  }

  protected abort(reason: Error): void {
    if (this.controller) {
      if (!this.controller.aborted) this.controller.abort(reason);
    } else {
      this.abortReason = reason;
    }
  }

  protected detach(): void {
    this.request.signal?.removeEventListener('abort', this.onAbort);
  }
}
