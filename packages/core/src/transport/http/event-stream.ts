/**
 * One streamed request as an async iterator of transport events, fed by undici's low-level dispatch
 * handler. Each network read is stamped and parsed inside the socket's read callback, with no body stream
 * or promise in between: an event's `at` is its arrival time whatever the consumer is doing, and the
 * parser is all that runs per token. The events wait in this stream's queue until the consumer pulls them;
 * a queue past its high-water mark pauses the response, so TCP pushes back on the server.
 *
 * A consumer that can take each event at once may `drain` the stream instead: its callback then runs in the
 * read callback, and no promise is made per event (the engine's measurement does; see `isPushable`).
 *
 * A request the server never ran (it closed the reused connection the request went out on without a byte
 * of answer) is sent once more; `response-start` then says `resent`, and its `sentAt` is the second send's.
 */
import type { Dispatcher } from 'undici';
import type { TransportEvent } from '../transport.js';
import type { BodyParser } from './body-parser.js';
import type { HttpClient, HttpRequest, SendInfo } from './http-client.js';
import type { PushableEventStream } from './pushable.js';
import { ERROR_BODY_LIMIT, LimitedCollector } from './read-body.js';

/** Parsed events held for a slow consumer before the response is paused (TCP then pushes back). */
const HIGH_WATER = 256;

/** A streamed request: the async iterator the consumer reads, and the handler undici calls. */
export class EventStream implements AsyncIterableIterator<TransportEvent>, PushableEventStream, Dispatcher.DispatchHandler {
  /** Events parsed and not yet taken by the consumer. Only this class adds to it or takes from it. */
  private readonly queue: TransportEvent[] = [];
  private started = false;
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
  private ended = false;
  /** What broke the stream, delivered once the events parsed before it have been taken. */
  private failure: Promise<never> | undefined;
  /** The consumer is done with the stream (it ended, failed, or the consumer left early). */
  private closed = false;
  private waiter: { resolve: (r: IteratorResult<TransportEvent> | Promise<never>) => void } | undefined;
  /** Push mode (`drain`): where each event goes, and how the drain settles. */
  private sink: ((event: TransportEvent) => void) | undefined;
  private drained: ((outcome: Promise<never> | undefined) => void) | undefined;
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
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Push mode: send the request, hand each event to `onEvent` as it is parsed. */
  drain(onEvent: (event: TransportEvent) => void): Promise<void> {
    if (this.started) return Promise.reject(new Error('stream already read'));
    this.sink = onEvent;
    const done = new Promise<void>((resolve) => {
      // Resolved with the failure (a rejected promise) or nothing: the drain then rejects or resolves.
      this.drained = resolve as (outcome: Promise<never> | undefined) => void;
    });
    this.start();
    this.wake();
    return done;
  }

  /** The next event; the first call sends the request. */
  next(): Promise<IteratorResult<TransportEvent>> {
    if (!this.started) this.start();
    const result = this.take();
    return result ? (result instanceof Promise ? result : Promise.resolve(result)) : new Promise((resolve) => (this.waiter = { resolve }));
  }

  /** The consumer left early (break, throw): cancel the request so its socket is freed. */
  return(): Promise<IteratorResult<TransportEvent>> {
    if (!this.ended && !this.closed) this.abort(new Error('stream closed by its consumer'));
    this.close();
    this.queue.length = 0;
    return Promise.resolve({ done: true, value: undefined });
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

  private start(): void {
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

  private enqueue(events: readonly TransportEvent[]): void {
    // An indexed loop: this runs per read, and allocates nothing.
    for (let i = 0; i < events.length; i++) this.enqueueOne(events[i]!);
  }

  /** Queue an event for the iterator, or hand it to the drain's callback now. */
  private enqueueOne(event: TransportEvent): void {
    const sink = this.sink;
    if (!sink) {
      this.queue.push(event);
      return;
    }
    if (this.closed || this.failure) return;
    try {
      sink(event);
    } catch (err) {
      this.fail(err);
      this.abort(err as Error);
    }
  }

  /** The next result if there is one now: an event, the failure (once), or the end. */
  private take(): IteratorResult<TransportEvent> | Promise<never> | undefined {
    const queue = this.queue;
    if (queue.length > 0) {
      const value = queue.shift()!;
      if (this.controller?.paused && queue.length < HIGH_WATER / 2) this.controller.resume();
      return { value, done: false };
    }
    if (this.closed) return { value: undefined, done: true };
    if (this.failure) {
      this.close();
      return this.failure;
    }
    if (this.ended) {
      this.close();
      return { value: undefined, done: true };
    }
    return undefined;
  }

  private wake(): void {
    if (this.sink) {
      const drained = this.drained;
      if (!drained || !(this.failure || this.ended || this.closed)) return;
      this.drained = undefined;
      const failure = this.failure;
      this.close();
      drained(failure);
      return;
    }
    const waiter = this.waiter;
    if (!waiter) return;
    const result = this.take();
    if (!result) return;
    this.waiter = undefined;
    waiter.resolve(result);
  }

  /** Record the first failure (an error, or a promise of one); later ones are its consequences. */
  private fail(error: unknown): void {
    if (this.failure || this.closed) return;
    // A request sent twice that failed anyway: say so on the error, so the failed sample counts both sends.
    if (this.sends > 1 && typeof error === 'object' && error !== null && Object.isExtensible(error)) Object.assign(error, { resent: true });
    this.failure = Promise.resolve(error).then((e) => Promise.reject(e as Error));
    // Delivered through next(); never an unhandled rejection if the consumer has gone.
    this.failure.catch(() => {});
    this.wake();
  }

  private abort(reason: Error): void {
    if (this.controller) {
      if (!this.controller.aborted) this.controller.abort(reason);
    } else {
      this.abortReason = reason;
    }
  }

  private close(): void {
    this.closed = true;
    this.detach();
  }

  private detach(): void {
    this.request.signal?.removeEventListener('abort', this.onAbort);
  }
}
