/**
 * msw does not see undici's Pool, so the edge cases run over real loopback HTTP: a node:http server that
 * answers every request from msw handlers (`getResponse`), streaming the handler's body chunk by chunk.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse, type RequestHandler } from 'msw';

export interface MswServer {
  url: string;
  /** Requests the handlers answered. */
  readonly hits: { method: string; path: string; body: string }[];
  close(): Promise<void>;
}

export async function startMswServer(handlers: RequestHandler[]): Promise<MswServer> {
  const hits: MswServer['hits'] = [];
  let url = '';
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    const request = new Request(new URL(req.url ?? '/', url), {
      method: req.method ?? 'GET',
      headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : [])),
      ...(body && req.method !== 'GET' ? { body } : {}),
    });
    const response = await getResponse(handlers, request);
    if (!response) {
      res.writeHead(599).end('no msw handler');
      return;
    }
    hits.push({ method: req.method ?? 'GET', path: req.url ?? '/', body });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    // Headers go out now, as a streaming server sends them, not with the body's first piece.
    res.flushHeaders();
    // One write per chunk the handler produced, so split points reach the client as separate reads.
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (res.destroyed) break;
        res.write(value);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    } catch {
      res.destroy();
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A body that sends `bytes` in pieces cut at `cuts` (byte offsets), each after a short pause. */
export function chunkedBody(bytes: Uint8Array, cuts: number[], pauseMs = 0): ReadableStream<Uint8Array> {
  const points = [...new Set([0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length])].sort((a, b) => a - b);
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (i >= points.length - 1) return controller.close();
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      controller.enqueue(bytes.slice(points[i], points[i + 1]));
      i++;
    },
  });
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream' };

/** A response body the test writes piece by piece, for as long as it likes. */
export interface ControlledBody {
  body: ReadableStream<Uint8Array>;
  push(piece: string | Uint8Array): void;
  end(): void;
}

/** A body that sends what the test pushes, when it pushes it, and ends when the test says so. */
export function controlledBody(): ControlledBody {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
  });
  return {
    body,
    push: (piece) => controller.enqueue(typeof piece === 'string' ? new TextEncoder().encode(piece) : piece),
    end: () => controller.close(),
  };
}
