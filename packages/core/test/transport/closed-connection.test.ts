/**
 * No request is lost to a connection the server closes. llama-server closes its connection right after every
 * streamed answer although it offered keep-alive, so a keep-alive client that sends its next request at once
 * writes it on a dying connection ("other side closed"; the server never reads it). The simulator does the
 * same in llama-server mode: a plain undici Pool loses requests to it, swapbench's transport loses none (its
 * streams ask to close when the server would close anyway, and a stream lost on a reused connection is resent).
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { ConnectionResetError, SwapbenchError } from '../../src/errors/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import type { Transport, TransportEvent } from '../../src/transport/transport.js';
import { collect, collectUntilError } from './collect.js';
import { chatRequest, chunk, closeAfterEach, sse } from './helpers.js';
import { startRawServer } from './raw-server.js';

const keep = closeAfterEach();
const model = { name: 'tiny-llama', genTps: Number.POSITIVE_INFINITY, ttftMs: 0, promptTps: 1e9, slots: 4, jitter: 0 };
const STREAMS = 300;
const chatBody = JSON.stringify({ model: 'tiny-llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true });

/** Back-to-back streams through a plain keep-alive undici Pool of one connection; how many were lost, and how. */
async function plainPoolStreams(url: string, count: number): Promise<{ lost: number; codes: Set<unknown> }> {
  const pool = keep(new Pool(url, { connections: 1, pipelining: 1 }));
  let lost = 0;
  const codes = new Set<unknown>();
  for (let i = 0; i < count; i++) {
    try {
      const res = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chatBody,
      });
      await res.body.text();
    } catch (err) {
      lost++;
      codes.add((err as { code?: unknown }).code);
    }
  }
  return { lost, codes };
}

/** `count` streams through `transport`, `concurrency` at a time, each started as soon as one ends. */
async function transportStreams(transport: Transport, count: number, concurrency: number): Promise<TransportEvent[][]> {
  const done: TransportEvent[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      done.push(await collect(transport.stream(chatRequest({ model: 'tiny-llama' }))));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done;
}

/** A whole HTTP answer with a JSON body, kept alive. */
const okJson = (body: unknown) => {
  const text = JSON.stringify(body);
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
};

/** A whole streamed answer: one token, then the finish. */
const okSse = `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: ${Buffer.byteLength(sse(chunk({ content: 'a' }), chunk({}, 'length'), '[DONE]'))}\r\n\r\n${sse(chunk({ content: 'a' }), chunk({}, 'length'), '[DONE]')}`;

/** A loopback server that reads every request of a connection in turn; `answer` gets the n-th request (from 1) of all. */
async function startKeepAliveServer(answer: (socket: Socket, n: number) => void) {
  const state = { url: '', hits: 0, connections: 0, close: async () => {} };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (data: Buffer) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const length = Number(/content-length:\s*(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        answer(socket, ++state.hits);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

const resent = (streams: TransportEvent[][]) => streams.filter((s) => s[0]?.type === 'response-start' && s[0].resent).length;

describe('the simulator reproduces the race', () => {
  it('a plain keep-alive undici Pool loses requests: closed before any answer, never seen by the server', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model] }));
    const { lost, codes } = await plainPoolStreams(sim.url, STREAMS);
    expect(lost).toBeGreaterThan(0);
    // "other side closed" (a reset, if the client wrote before it saw the close).
    for (const code of codes) expect(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']).toContain(code);
    expect(sim.groundTruth).toHaveLength(STREAMS - lost);
  });

  it('with closeAfterStream: false the same Pool loses none', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model], closeAfterStream: false }));
    expect((await plainPoolStreams(sim.url, STREAMS)).lost).toBe(0);
  });
});

describe("swapbench's transport loses no stream", () => {
  for (const concurrency of [1, 4]) {
    it(`llama-server at concurrency ${concurrency}: every stream asks to close, none is sent twice`, async () => {
      const sim = keep(await startSimulator({ mode: 'llama-server', models: [model] }));
      const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: concurrency }));
      const streams = await transportStreams(transport, STREAMS, concurrency);
      expect(streams.filter((s) => s.at(-1)?.type === 'final')).toHaveLength(STREAMS);
      expect(resent(streams)).toBe(0);
      expect(sim.groundTruth).toHaveLength(STREAMS);
    });
  }

  for (const injected of [false, true]) {
    it(`an unknown server that closes like llama-server${injected ? ', through an injected Pool' : ''}: a stream lost on a reused connection is sent once more`, async () => {
      const sim = keep(await startSimulator({ mode: 'llama-server', models: [model] }));
      // Kind `openai` keeps connections alive, so the server's close races the next request.
      const dispatcher = injected ? keep(new Pool(sim.url, { connections: 1, pipelining: 1 })) : undefined;
      const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'openai', ...(dispatcher ? { dispatcher } : {}) }));
      const streams = await transportStreams(transport, STREAMS, 1);
      expect(streams.filter((s) => s.at(-1)?.type === 'final')).toHaveLength(STREAMS);
      expect(resent(streams)).toBeGreaterThan(0);
      // Each stream ran once on the server: the first send of a resent one was never read.
      expect(sim.groundTruth).toHaveLength(STREAMS);
    });
  }

  it('response-start says when the request was written on its connection', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model] }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1 }));
    const t0 = performance.now();
    const [start] = await collect(transport.stream(chatRequest({ model: 'tiny-llama' })));
    expect(start).toMatchObject({ type: 'response-start', sentAt: expect.any(Number) });
    const { sentAt, at } = start as Extract<TransportEvent, { type: 'response-start' }>;
    expect(sentAt).toBeGreaterThanOrEqual(t0);
    expect(sentAt).toBeLessThanOrEqual(at);
  });
});

describe('a request the server may have read is never sent twice', () => {
  it('a new connection closed without an answer: ConnectionResetError (the host accepted it), sent once', async () => {
    const server = keep(await startRawServer((socket) => void socket.destroy()));
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'llama-server', connections: 1 }));
    const { error } = await collectUntilError(transport.stream(chatRequest()));
    expect(error).toBeInstanceOf(ConnectionResetError);
    expect(server.hits).toHaveLength(1);
  });

  it('a reused connection closed after part of an answer: an error, sent once', async () => {
    // The first request (the model list) is answered and the connection kept; the stream gets half a status line.
    const server = keep(
      await startKeepAliveServer((socket, n) => (n === 1 ? socket.write(okJson({ data: [] })) : socket.end('HTTP/1.1 2'))),
    );
    // Streams have connections of their own, apart from the calls': an injected Pool shares one.
    const dispatcher = keep(new Pool(server.url, { connections: 1, pipelining: 1 }));
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'openai', dispatcher }));
    await transport.listModels();
    const { error } = await collectUntilError(transport.stream(chatRequest()));
    expect(SwapbenchError.is(error)).toBe(true);
    expect(server.connections).toBe(1);
    expect(server.hits).toBe(2);
  });

  it('a reused connection closed without a byte of answer: the stream is sent again, on a new connection', async () => {
    const server = keep(
      await startKeepAliveServer((socket, n) =>
        n === 1 ? socket.write(okJson({ data: [] })) : n === 2 ? socket.end() : socket.end(okSse),
      ),
    );
    const dispatcher = keep(new Pool(server.url, { connections: 1, pipelining: 1 }));
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'openai', dispatcher }));
    await transport.listModels();
    const events = await collect(transport.stream(chatRequest()));
    expect(events[0]).toMatchObject({ type: 'response-start', resent: true });
    expect(events.at(-1)).toMatchObject({ type: 'final', finishReason: 'length' });
    expect(server.connections).toBe(2);
  });
});

describe('idempotent requests (everything but a stream)', () => {
  it('are sent once more when the connection closes before the answer', async () => {
    let requests = 0;
    const server = keep(
      await startRawServer((socket) => {
        if (++requests === 1) socket.destroy();
        else socket.end(okJson({ data: [{ id: 'only' }] }));
      }),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'openai', connections: 1 }));
    expect((await transport.listModels()).map((m) => m.id)).toEqual(['only']);
    expect(server.hits).toHaveLength(2);
  });

  it('but only once: a server that keeps closing gives ConnectionResetError', async () => {
    const server = keep(await startRawServer((socket) => void socket.destroy()));
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'openai', connections: 1 }));
    await expect(transport.listModels()).rejects.toBeInstanceOf(ConnectionResetError);
    expect(server.hits).toHaveLength(2);
  });
});
