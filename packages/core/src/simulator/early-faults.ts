/**
 * The faults that take the place of an answer, before any byte of it: an error status, a huge error page,
 * a connection reset or closed, or no answer at all. They are what a client's deadlines, error codes and
 * body limits are tested against, on any route.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { llamaError } from './responses.js';
import { JSON_HEADERS, sendJson } from './send.js';
import type { Fault, FaultKind } from './types.js';

/** The fault kinds that act instead of the answer; the only ones `Fault.paths` takes. */
export const EARLY_FAULTS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  'http-500',
  'http-503',
  'accept-and-never-answer',
  'reset-before-headers',
  'eof-before-headers',
  'huge-error-body',
]);

/** huge-error-body's size unless the fault says: eight of these at once once took a client to 805 MB. */
export const DEFAULT_HUGE_BODY_BYTES = 50 * 1024 * 1024;

/** The message of a huge error body, which comes first in it (a client that keeps only the start finds it). */
export const HUGE_BODY_MESSAGE = 'simulated huge error body';

/** Padding written per write: a block the socket takes in one go. */
const BLOCK = Buffer.alloc(64 * 1024, 'x');

/**
 * Answer as `fault` says (one of EARLY_FAULTS). Resolves when the fault is over: the body written, or the
 * client gone (for `accept-and-never-answer`, only then: `signal` aborts when the client leaves or the
 * simulator closes).
 */
export async function applyEarlyFault(fault: Fault, res: ServerResponse, signal: AbortSignal): Promise<void> {
  switch (fault.kind) {
    case 'http-500':
      return sendJson(res, 500, llamaError(500, 'server_error', 'simulated internal server error'));
    case 'http-503':
      return sendJson(res, 503, llamaError(503, 'unavailable_error', 'Loading model'));
    case 'accept-and-never-answer':
      return untilAborted(signal);
    case 'reset-before-headers':
      res.socket?.resetAndDestroy();
      return;
    case 'eof-before-headers':
      // A clean close (FIN) of the whole connection, where a reset would send RST.
      res.socket?.end();
      return;
    case 'huge-error-body':
      return writeHugeErrorBody(res, fault.bodyBytes ?? DEFAULT_HUGE_BODY_BYTES, signal);
    default:
      throw new TypeError(`simulator: fault "${fault.kind}" does not act before the answer`);
  }
}

/** A 500 of `bytes` bytes: llama.cpp's error object with the message first, then padding in one field. */
async function writeHugeErrorBody(res: ServerResponse, bytes: number, signal: AbortSignal): Promise<void> {
  const head = `{"error":{"code":500,"message":"${HUGE_BODY_MESSAGE} (${bytes} bytes)","type":"server_error","padding":"`;
  const tail = '"}}';
  const padding = Math.max(0, bytes - head.length - tail.length);
  res.writeHead(500, { ...JSON_HEADERS, 'Content-Length': head.length + padding + tail.length });
  res.write(head);
  for (let left = padding; left > 0; left -= BLOCK.length) {
    if (signal.aborted || res.destroyed) return;
    // Written only as fast as the client reads: the simulator never holds the whole body either.
    if (!res.write(left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left))) {
      try {
        await once(res, 'drain', { signal });
      } catch {
        return; // the client left (or the simulator closed)
      }
    }
  }
  res.end(tail);
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
