/**
 * A loopback TCP server that answers each HTTP request with bytes the test writes itself: recorded wire
 * bytes (status line, headers, chunk framing), a reset, or silence. For what node:http will not produce.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawRequest {
  head: string;
  body: string;
}

export interface RawServer {
  url: string;
  readonly hits: RawRequest[];
  close(): Promise<void>;
}

export async function startRawServer(respond: (socket: Socket, request: RawRequest) => void | Promise<void>): Promise<RawServer> {
  const hits: RawRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString();
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      socket.off('data', onData);
      const request = { head, body: buffered.subarray(end + 4, end + 4 + length).toString() };
      hits.push(request);
      void respond(socket, request);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Write `bytes` cut at `cuts` (byte offsets), one write per piece, yielding to the event loop between. */
export async function writePieces(socket: Socket, bytes: Uint8Array, cuts: number[]): Promise<void> {
  const points = [...new Set([0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length])].sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    if (socket.destroyed) return;
    socket.write(bytes.subarray(points[i], points[i + 1]));
    await new Promise((r) => setImmediate(r));
  }
}
