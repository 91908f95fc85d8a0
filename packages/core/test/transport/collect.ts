import type { TransportEvent } from '../../src/transport/transport.js';

/** Every event of a stream; rejects with what the stream threw. */
export async function collect(stream: AsyncIterable<TransportEvent>): Promise<TransportEvent[]> {
  const out: TransportEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

/** The events a stream yielded before it threw, and what it threw (undefined if it ended normally). */
export async function collectUntilError(stream: AsyncIterable<TransportEvent>): Promise<{ events: TransportEvent[]; error: unknown }> {
  const events: TransportEvent[] = [];
  try {
    for await (const e of stream) events.push(e);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}
