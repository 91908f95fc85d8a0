/** A loopback proxy in front of a server that keeps a copy of every response body it passes on. */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TeeProxy {
  url: string;
  /** Each proxied response's body, in order, as received from the server behind. */
  bodies: string[];
  close(): Promise<void>;
}

export async function teeProxy(target: string): Promise<TeeProxy> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => {
        chunks.push(c);
        res.write(c);
      });
      up.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.end();
      });
    });
    req.pipe(upstream);
    // The client left: so does the request behind.
    res.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
