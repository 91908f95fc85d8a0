/**
 * llama-server's connection handling, as measured on b10470 (cpp-httplib) with keep-alive requests:
 * - a 2xx answer ends its headers with `Keep-Alive: timeout=5, max=100` and sends no `Connection` header;
 * - a 4xx or 5xx answer (400, 404, 501 seen) says `Connection: close` instead;
 * - a request that says `Connection: close` gets `Connection: close` back, and the connection closes;
 * - after every **streamed** answer (chat, `/completion`, `/v1/completions`) the server closes the connection
 *   0.05–0.3 ms after the last byte, although it offered keep-alive; a request the client sends on it in
 *   that moment never reaches the server ("other side closed"). Non-streamed answers keep the connection.
 * The simulator closes about 1 ms after the last byte and never reads a request sent in between, so a client
 * that sends its next request on that connection at once nearly always loses it (undici at concurrency 1
 * against the real server: about 6 in 10 such requests).
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** The keep-alive llama-server offers on every 2xx answer: cpp-httplib's defaults. */
export const LLAMA_KEEP_ALIVE = 'timeout=5, max=100';

/** Requests cpp-httplib serves on one connection; the last of them is answered with `Connection: close`. */
const MAX_REQUESTS_PER_CONNECTION = 100;

/** Connections about to close after a streamed answer. */
export type ClosingSockets = WeakSet<Socket>;

/**
 * A ServerResponse class that adds llama-server's connection headers to every answer and, with
 * `closeAfterStream`, closes the connection after a streamed one (adding the socket to `closing`, so the
 * server can drop a request that arrives on it before it is closed, as llama-server never reads one).
 */
export function llamaServerResponse(closeAfterStream: boolean, closing: ClosingSockets): typeof ServerResponse {
  const served = new WeakMap<Socket, number>();
  return class LlamaServerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
    override writeHead(
      statusCode: number,
      messageOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
      maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[],
    ): this {
      const message = typeof messageOrHeaders === 'string' ? messageOrHeaders : undefined;
      const given = typeof messageOrHeaders === 'string' ? maybeHeaders : messageOrHeaders;
      const socket = this.socket;
      // A client that asked to close is answered by Node itself with `Connection: close`, last, as recorded.
      if (!this.shouldKeepAlive || Array.isArray(given) || !socket) return super.writeHead(statusCode, message, given);
      const count = (served.get(socket) ?? 0) + 1;
      served.set(socket, count);
      const headers: OutgoingHttpHeaders = { ...given };
      if (statusCode >= 400 || count >= MAX_REQUESTS_PER_CONNECTION) {
        // llama-server keeps even these connections open, but no client reuses one that said close.
        headers.Connection = 'close';
        return super.writeHead(statusCode, message, headers);
      }
      // With its `Connection` header removed, Node adds neither `Connection` nor a `Keep-Alive` of its own.
      this.removeHeader('Connection');
      headers['Keep-Alive'] = LLAMA_KEEP_ALIVE;
      const closeAfter = closeAfterStream && isEventStream(headers);
      if (closeAfter) {
        closing.add(socket);
        // Not at once: a client in this process would see the close with the last bytes and never race it.
        // A timer's shortest wait (about 1 ms, where llama-server takes 0.05–0.3 ms) lets it read them first.
        this.once('finish', () => setTimeout(() => socket.destroySoon(), 0).unref());
      }
      super.writeHead(statusCode, message, headers);
      // Node would end the connection after any answer whose `Connection` header was removed (its
      // `_removedConnHeader` rule); llama-server keeps it open, except after a stream with `closeAfterStream`.
      if (!closeAfter) (this as unknown as { _last: boolean })._last = false;
      return this;
    }
  };
}

function isEventStream(headers: OutgoingHttpHeaders): boolean {
  const type = headers['Content-Type'] ?? headers['content-type'];
  return typeof type === 'string' && type.startsWith('text/event-stream');
}
