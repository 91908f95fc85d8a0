/**
 * How the simulator answers over HTTP: llama-server's headers and llama-swap's, in their order, and bodies
 * sent whole with a Content-Length. Stream bodies write their own chunks after `SSE_HEADERS`.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** llama-server's JSON headers. */
export const JSON_HEADERS = { Server: 'llama.cpp', 'Access-Control-Allow-Origin': '', 'Content-Type': 'application/json; charset=utf-8' };
// Transfer-Encoding named here so the headers come in llama-server's order.
export const SSE_HEADERS = {
  Server: 'llama.cpp',
  'Access-Control-Allow-Origin': '',
  'X-Accel-Buffering': 'no',
  'Content-Type': 'text/event-stream',
  'Transfer-Encoding': 'chunked',
};

/** Send a whole body: these headers, then its Content-Length. */
export function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A llama-server JSON body, already serialized. */
export function sendJson(res: ServerResponse, status: number, body: string): void {
  send(res, status, JSON_HEADERS, body);
}

/** A llama-swap JSON body (no `Server` header): serialized here. */
export function sendSwapJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify(body));
}

/** A llama-swap plain-text body (`OK`, Go's `404 page not found`). */
export function sendSwapText(res: ServerResponse, status: number, body: string): void {
  send(res, status, { 'Content-Type': 'text/plain; charset=utf-8' }, body);
}

/** llama-swap's error body (new router, v218–v250). */
export function swapError(res: ServerResponse, status: number, message: string): void {
  sendSwapJson(res, status, { src: 'llama-swap', error: message });
}
