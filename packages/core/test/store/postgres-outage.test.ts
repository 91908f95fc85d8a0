/**
 * The Postgres server going away in the middle of a run (a restart, a failover): the store reaches it through
 * a loopback TCP proxy that the test closes (every connection dropped, new ones refused) and opens again on
 * the same port. A batch of samples appended meanwhile must land once when the server is back, not be lost
 * (before, the engine warned "could not store samples" and the batch was missing from the history), and a
 * connection that drops while the store holds it must not be an uncaught exception (before, pg emitted
 * 'error' on the checked-out client with no listener: vitest reports it as an unhandled error, a CLI dies).
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { makeRun, makeSample } from '../contracts/store.contract.js';
import { dropSchema, uniqueSchema, withPostgres } from './postgres-harness.js';

/** A TCP proxy to `target` on a fixed loopback port that can be stopped (dropping every connection) and started again. */
function tcpProxy(target: { host: string; port: number }) {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let port = 0;
  return {
    get port() {
      return port;
    },
    async start() {
      server = createServer((client) => {
        const upstream = createConnection(target);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as { port: number }).port;
    },
    async stop() {
      const closed = server ? once(server, 'close') : Promise.resolve();
      server?.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

withPostgres('Postgres store through a server outage', (url) => {
  let schema: string;
  beforeEach(() => {
    schema = uniqueSchema('outage');
  });
  afterEach(async () => {
    await dropSchema(url, schema);
  });

  it('stores a batch appended while the server is unreachable once it is back, exactly once', async () => {
    const direct = new URL(url);
    const proxy = tcpProxy({ host: direct.hostname, port: Number(direct.port) });
    await proxy.start();
    const via = new URL(url);
    via.port = String(proxy.port);
    await using store = await openPostgresStore(via.toString(), { schema });
    await store.runs.create(makeRun('outage'));
    await store.runs.appendSamples('outage', [makeSample('outage', 0), makeSample('outage', 1)]);

    // Down: open connections dropped, new ones refused. The append waits instead of failing...
    await proxy.stop();
    const appended = store.runs.appendSamples('outage', [makeSample('outage', 2), makeSample('outage', 3)], {
      signal: AbortSignal.timeout(8000),
    });
    let settled = false;
    appended.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(settled).toBe(false);
    // ...and lands when the server is back.
    await proxy.start();
    await appended;
    await store.runs.finish({ ...makeRun('outage'), status: 'completed', finishedAt: new Date().toISOString() });

    await using reader = await openPostgresStore(url, { schema });
    const seqs: number[] = [];
    for await (const s of reader.runs.samples('outage')) seqs.push(s.seq);
    expect(seqs).toEqual([0, 1, 2, 3]);
    expect((await reader.runs.get('outage'))?.status).toBe('completed');
    await proxy.stop();
  });
});
