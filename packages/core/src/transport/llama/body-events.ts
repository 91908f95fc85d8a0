/**
 * Reads a response body into transport events, parsing each network read the moment it arrives, so an
 * event's `at` is the arrival time even when the consumer is busy and reads later.
 */
import type { Readable } from 'node:stream';
import { StreamProtocolError } from '../../errors.js';
import type { TransportEvent } from '../transport.js';
import type { StreamParser } from './stream-parser.js';

/** Parsed events held for a slow consumer before the socket is paused (TCP then pushes back). */
const HIGH_WATER = 256;

/**
 * Start reading `body` now; the returned generator yields its events, then the final one, and throws what
 * broke the stream (the raw error: the caller maps it). The caller destroys the body when it leaves early.
 */
export function bodyEvents(body: Readable, parser: StreamParser, clock: () => number): AsyncGenerator<TransportEvent> {
  let wake: (() => void) | undefined;
  let ended = false;
  let endAt = 0;
  let failed = false;
  let failure: unknown;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    failure = err;
    notify();
  };
  const onData = (bytes: Buffer) => {
    try {
      parser.feed(bytes, clock());
    } catch (err) {
      fail(err);
      body.destroy();
      return;
    }
    if (parser.pending.length >= HIGH_WATER) body.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    endAt = clock();
    notify();
  };
  const onClose = () => {
    if (!ended) fail(new StreamProtocolError('connection closed mid-response'));
  };
  body.on('data', onData);
  body.once('end', onEnd);
  body.once('error', fail);
  body.once('close', onClose);

  return (async function* () {
    try {
      for (;;) {
        // Events parsed before a failure are still delivered: the consumer keeps what it measured.
        while (parser.pending.length > 0) yield parser.pending.shift()!;
        if (failed) throw failure;
        if (ended) {
          const final = parser.end(endAt);
          // Flushing may complete a last event that lacked its blank line.
          while (parser.pending.length > 0) yield parser.pending.shift()!;
          if (final) yield final;
          return;
        }
        if (body.isPaused()) body.resume();
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      // Keep a listener: a late socket error with none would crash the process.
      body.off('error', fail);
      body.on('error', () => {});
    }
  })();
}
