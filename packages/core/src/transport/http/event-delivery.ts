/**
 * The consumer's side of one streamed request: the events wait in a queue until `for await` takes them, or go
 * to `drain`'s callback at once (no promise per event); a failure is delivered after the events that came
 * before it, then the end. EventStream, the side undici calls, feeds it.
 */
import type { TransportEvent } from '../transport.js';
import type { PushableEventStream } from './pushable.js';

/** Parsed events held for a slow consumer before the response is paused (TCP then pushes back). */
export const HIGH_WATER = 256;

export abstract class EventDelivery implements AsyncIterableIterator<TransportEvent>, PushableEventStream {
  /** Events parsed and not yet taken by the consumer. Only this class adds to it or takes from it. */
  protected readonly queue: TransportEvent[] = [];
  protected started = false;
  protected ended = false;
  /** What broke the stream, delivered once the events parsed before it have been taken. */
  protected failure: Promise<never> | undefined;
  /** The consumer is done with the stream (it ended, failed, or the consumer left early). */
  protected closed = false;
  private waiter: { resolve: (r: IteratorResult<TransportEvent> | Promise<never>) => void } | undefined;
  /** Push mode (`drain`): where each event goes, and how the drain settles. */
  private sink: ((event: TransportEvent) => void) | undefined;
  private drained: ((outcome: Promise<never> | undefined) => void) | undefined;

  /** Send the request: once, on the first read. */
  protected abstract start(): void;
  /** Cancel the request (the consumer left early, or its callback threw). */
  protected abstract abort(reason: Error): void;
  /** Stop following the request's signal. */
  protected abstract detach(): void;
  /** The consumer took an event and `queued` are left: a paused response may go on. */
  protected abstract taken(queued: number): void;

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

  protected enqueue(events: readonly TransportEvent[]): void {
    // An indexed loop: this runs per read, and allocates nothing.
    for (let i = 0; i < events.length; i++) this.enqueueOne(events[i]!);
  }

  /** Queue an event for the iterator, or hand it to the drain's callback now. */
  protected enqueueOne(event: TransportEvent): void {
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

  /** Hand the consumer what is due: the waiting iterator its next result, or the drain its end. */
  protected wake(): void {
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
  protected fail(error: unknown): void {
    if (this.failure || this.closed) return;
    this.failure = Promise.resolve(error).then((e) => Promise.reject(e as Error));
    // Delivered through next(); never an unhandled rejection if the consumer has gone.
    this.failure.catch(() => {});
    this.wake();
  }

  protected close(): void {
    this.closed = true;
    this.detach();
  }

  /** The next result if there is one now: an event, the failure (once), or the end. */
  private take(): IteratorResult<TransportEvent> | Promise<never> | undefined {
    const queue = this.queue;
    if (queue.length > 0) {
      const value = queue.shift()!;
      this.taken(queue.length);
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
}
