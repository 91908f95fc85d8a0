/** What EventStream needs of a response format: its bytes turned into transport events as they arrive. */
import type { TransportEvent } from '../transport.js';

/**
 * Turns the bytes of a response body into events, as they arrive. One parser per response. A broken body
 * sets `error` rather than throwing, so the events parsed before the fault are still returned.
 */
export interface BodyParser {
  /** The events completed by one network read that arrived at `at`. */
  feed(bytes: Uint8Array, at: number): readonly TransportEvent[];
  /** The body ended at `at`: the events still due (the final one); `error` is set if it never finished. */
  end(at: number): readonly TransportEvent[];
  /** Why the body is broken (a malformed chunk, an error sent mid-stream), once it is. */
  readonly error: Error | undefined;
}
