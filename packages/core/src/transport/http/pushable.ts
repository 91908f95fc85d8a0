/**
 * Push mode for a transport's stream: its events handed to a callback as they are parsed, with no promise
 * per event (EventStream has it). Apart from EventStream so the engine can test for it without loading the
 * transport's classes.
 */
import type { TransportEvent } from '../transport.js';

/**
 * A stream that can push its events to a callback as they are parsed, instead of being iterated. Read it
 * one way only: `drain` or `for await`.
 */
export interface PushableEventStream extends AsyncIterable<TransportEvent> {
  /**
   * Send the request and call `onEvent` with each event, in order, as it arrives; resolves when the stream
   * ends, rejects with what the iterator would throw. An `onEvent` that throws fails the stream.
   */
  drain(onEvent: (event: TransportEvent) => void): Promise<void>;
}

/** Whether a transport's stream can be drained (any other stream is read with `for await`). */
export function isPushable(stream: AsyncIterable<TransportEvent>): stream is PushableEventStream {
  return typeof (stream as Partial<PushableEventStream>).drain === 'function';
}
