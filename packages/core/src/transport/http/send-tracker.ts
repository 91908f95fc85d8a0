/**
 * When may a request that failed be sent again? A keep-alive connection can be closed by the server just as
 * the client writes its next request on it (llama-server closes every connection after a streamed answer,
 * other servers when a connection has been idle too long). If that connection had carried an earlier
 * exchange and not one byte came back after the request was written, the close was the server's own, not
 * an answer to this request, which it never ran: sending it again on a new connection is safe, even a POST.
 * curl, Chromium and Go's net/http retry on the same evidence. A new connection closed without an answer
 * proves nothing (the server may have read the request and died), so that request is not sent again.
 *
 * undici's handler API does not say which connection a request went out on, so this reads its
 * `undici:client:sendHeaders` diagnostics channel (published as each request's headers are written) and
 * finds our request there by its body, a Buffer undici keeps as it was given.
 */
import { subscribe } from 'node:diagnostics_channel';

/** The part of a socket this module reads. */
interface SocketLike {
  readonly bytesRead: number;
}

/** What undici publishes on `undici:client:sendHeaders`, as far as it is read here. */
interface SendHeadersMessage {
  request: { body?: unknown };
  socket: SocketLike;
}

/** Error codes of a connection the other side closed or reset. */
const CONNECTION_CLOSED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** One send of a request: which connection it went out on, once undici has written its headers. */
export class SendRecord {
  private socket: SocketLike | undefined;
  private readAtSend = 0;
  private reused = false;

  /** Called from the channel when the request's headers are written on `socket`. */
  sent(socket: SocketLike, reused: boolean): void {
    this.socket = socket;
    this.reused = reused;
    this.readAtSend = socket.bytesRead;
  }

  /**
   * Whether `error` shows the server never ran the request: the connection was closed or reset, it had
   * carried an earlier request, and nothing was read from it after this one was written. False when undici
   * never reported the send (a mock dispatcher, a request that never reached a connection).
   */
  neverRan(error: unknown): boolean {
    const socket = this.socket;
    return socket !== undefined && this.reused && socket.bytesRead === this.readAtSend && isConnectionClosed(error);
  }
}

/** Requests dispatched and not yet written, by body. */
const pending = new WeakMap<object, SendRecord>();
/** Sockets that have carried a request. */
const used = new WeakSet<SocketLike>();
let subscribed = false;

/** Track the send of the request with this `body` (pass the same Buffer to undici); one without a body is not tracked. */
export function trackSend(body: Buffer | null): SendRecord {
  const record = new SendRecord();
  if (!body || body.byteLength === 0) return record;
  if (!subscribed) {
    subscribed = true;
    // One subscriber for the process, only once a request is tracked; it ignores requests that are not ours.
    subscribe('undici:client:sendHeaders', onSendHeaders);
  }
  pending.set(body, record);
  return record;
}

function onSendHeaders(message: unknown): void {
  const { request, socket } = message as SendHeadersMessage;
  const reused = used.has(socket);
  used.add(socket);
  const body = request.body;
  if (typeof body !== 'object' || body === null) return;
  const record = pending.get(body);
  if (!record) return;
  pending.delete(body);
  record.sent(socket, reused);
}

/** Whether an error means the connection was closed or reset under the request (not a timeout or an abort). */
export function isConnectionClosed(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CLOSED.has(code);
}
