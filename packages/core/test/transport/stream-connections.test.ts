/**
 * Streams' connections: opened ahead of a load, one per stream, replaced while the load runs, limited when
 * asked, and the X-Request-Id header on every stream. Against the simulator on loopback, counting the TCP
 * connections it accepts.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import type { Transport, TransportEvent } from '../../src/transport/transport.js';
import { collect } from './collect.js';
import { chatRequest, closeAfterEach } from './helpers.js';
import { startRawServer } from './raw-server.js';

const keep = closeAfterEach();
const model = { name: 'tiny-llama', genTps: 2000, ttftMs: 1, promptTps: 1e9, slots: 8, jitter: 0 };

type Start = Extract<TransportEvent, { type: 'response-start' }>;

/** A simulator behind a TCP relay that counts the connections it accepts. */
async function countedSimulator(closeAfterStream = true) {
  const sim = keep(await startSimulator({ mode: 'llama-server', models: [model], closeAfterStream }));
  let accepted = 0;
  const front = createServer((client: Socket) => {
    accepted++;
    const upstream = connect(sim.port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  keep({ close: () => new Promise<void>((resolve) => front.close(() => resolve())) });
  return { sim, url, accepted: () => accepted };
}

const streams = (transport: Transport, n: number) =>
  Promise.all(Array.from({ length: n }, () => collect(transport.stream(chatRequest({ model: 'tiny-llama' })))));

describe('stream connections', () => {
  it('reserveConnections opens them before any request; streams then need no connect of their own', async () => {
    const { sim, url, accepted } = await countedSimulator();
    const transport = keep(createLlamaTransport({ baseUrl: url, kind: 'llama-server' }));
    await transport.reserveConnections!(4);
    // Open on the client's side; the relay's accept callbacks may run a moment later.
    await vi.waitFor(() => expect(accepted()).toBe(4));
    expect(sim.groundTruth).toHaveLength(0);
    const done = await streams(transport, 4);
    for (const events of done) {
      expect(events.at(-1)?.type).toBe('final');
      expect((events[0] as Start).connectMs).toBeUndefined();
    }
    await transport.reserveConnections!(0);
  });

  it('without a reserve, a stream opens its connection and says how long that took', async () => {
    const { url } = await countedSimulator();
    const transport = keep(createLlamaTransport({ baseUrl: url, kind: 'llama-server' }));
    const [events] = await streams(transport, 1);
    const start = events![0] as Start;
    expect(start.connectMs).toBeGreaterThanOrEqual(0);
    expect(start.sentAt).toBeLessThanOrEqual(start.at);
  });

  it('each stream has a connection of its own, and a running load keeps replacements ready', async () => {
    const { sim, url, accepted } = await countedSimulator();
    const transport = keep(createLlamaTransport({ baseUrl: url, kind: 'llama-server' }));
    await transport.reserveConnections!(2);
    for (let i = 0; i < 10; i++) {
      const [events] = await streams(transport, 1);
      expect(events!.at(-1)?.type).toBe('final');
    }
    expect(sim.groundTruth).toHaveLength(10);
    // Ten streams on ten connections, and a spare opened behind the last one.
    expect(accepted()).toBeGreaterThanOrEqual(11);
    await transport.reserveConnections!(0);
  });

  it('with a server that keeps connections, a connection carries one stream after another', async () => {
    const { sim, url, accepted } = await countedSimulator(false);
    const transport = keep(createLlamaTransport({ baseUrl: url, kind: 'openai' }));
    await transport.reserveConnections!(2);
    for (let i = 0; i < 5; i++) expect((await streams(transport, 2)).every((events) => events.at(-1)?.type === 'final')).toBe(true);
    expect(sim.groundTruth).toHaveLength(10);
    expect(accepted()).toBe(2);
  });

  it('holds streams beyond `connections` in the client, and starts them as others end', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [{ ...model, genTps: 200 }] }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 2 }));
    const t0 = performance.now();
    const done = await streams(transport, 4);
    const sentAt = done.map((events) => (events[0] as Start).sentAt! - t0).sort((a, b) => a - b);
    // Two went at once; the other two waited for a whole stream (8 tokens at 200/s: 35 ms or more).
    expect(sentAt[1]!).toBeLessThan(20);
    expect(sentAt[2]!).toBeGreaterThan(30);
    expect(done.every((events) => events.at(-1)?.type === 'final')).toBe(true);
  });

  it('sends the request id as X-Request-Id', async () => {
    const server = keep(
      await startRawServer((socket) => void socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n')),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'llama-server' }));
    await collect(transport.stream({ ...chatRequest(), requestId: 'run-1-7' })).catch(() => {});
    expect(server.hits[0]!.head).toMatch(/^x-request-id: run-1-7$/im);
  });
});
