/**
 * A body is kept only up to a limit: a 50 MiB error page yields an HttpStatusError with the server's message
 * from its first bytes, and no more than ERROR_BODY_LIMIT of it is ever held (the rest is never read); a
 * short call's answer past CALL_BODY_LIMIT is refused. What is kept is measured where the client hands it
 * to the error, not through RSS.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpStatusError, StreamProtocolError } from '../../src/errors/index.js';
import { HUGE_BODY_MESSAGE } from '../../src/simulator/early-faults.js';
import { startSimulator } from '../../src/simulator/index.js';
import { EventStream } from '../../src/transport/http/event-stream.js';
import { HttpClient, type HttpRequest } from '../../src/transport/http/http-client.js';
import { CALL_BODY_LIMIT, ERROR_BODY_LIMIT, readLimited } from '../../src/transport/http/read-body.js';
import { serverMessage } from '../../src/transport/http/server-message.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { StreamParser } from '../../src/transport/llama/stream-parser.js';
import { collect, collectUntilError } from './collect.js';
import { chatRequest, closeAfterEach } from './helpers.js';
import { startRawServer } from './raw-server.js';

const keep = closeAfterEach();
const model = { name: 'm', genTps: 2000, ttftMs: 1, loadMs: 0 };
const prompt = { endpoint: 'completion', prompt: 'hello' } as const;

/** A simulator answering every request to `paths` (or every generation) with a 50 MiB error body. */
const hugeErrors = async (paths?: string[]) =>
  keep(await startSimulator({ mode: 'llama-server', models: [model], faults: [{ kind: 'huge-error-body', ...(paths ? { paths } : {}) }] }));

/** An HttpClient whose `failure` records the length of the body text it was given. */
function recordingClient(baseUrl: string) {
  const http = keep(new HttpClient({ baseUrl, connections: 4 }));
  const kept: number[] = [];
  const failure = http.failure.bind(http);
  http.failure = (status, request, text) => {
    kept.push(text.length);
    return failure(status, request, text);
  };
  return { http, kept };
}

describe('huge error bodies', () => {
  it("a stream's 50 MiB error: HttpStatusError with the server's message", async () => {
    const sim = await hugeErrors();
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    const { error } = await collectUntilError(transport.stream(chatRequest({ model: 'm' })));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(500);
    expect((error as Error).message).toContain(HUGE_BODY_MESSAGE);
  });

  it("a short call's 50 MiB error: HttpStatusError with the server's message", async () => {
    const sim = await hugeErrors(['/tokenize']);
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    const error = await transport.tokenize!('m', prompt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as Error).message).toContain(`HTTP 500 from ${sim.url}/tokenize: ${HUGE_BODY_MESSAGE}`);
  });

  it('no more than ERROR_BODY_LIMIT of it is kept, on either path, eight at a time', async () => {
    const sim = await hugeErrors(['/tokenize', '/v1/chat/completions']);
    const { http, kept } = recordingClient(sim.url);
    const call = (): Promise<unknown> => http.text({ method: 'POST', path: '/tokenize', body: { content: 'x' } }).catch((e: unknown) => e);
    const request: HttpRequest = { method: 'POST', path: '/v1/chat/completions', body: { model: 'm', messages: [], stream: true } };
    const stream = () => collect(new EventStream(http, request, new StreamParser(false), () => performance.now())).catch((e: unknown) => e);
    const errors = await Promise.all([...Array.from({ length: 4 }, call), ...Array.from({ length: 4 }, stream)]);
    for (const error of errors) expect(error).toBeInstanceOf(HttpStatusError);
    expect(kept).toHaveLength(8);
    for (const length of kept) {
      expect(length).toBeGreaterThan(0);
      expect(length).toBeLessThanOrEqual(ERROR_BODY_LIMIT);
    }
    // The connections were dropped, not drained: the simulator is free at once for the next call.
    expect(await keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' })).listModels()).toHaveLength(1);
  });

  it('an error body cut by the server part way still gives the status and what came', async () => {
    const server = keep(
      await startRawServer((socket) => {
        socket.write('HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"error":"upstream died"');
        setImmediate(() => socket.resetAndDestroy());
      }),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'openai', connections: 1 }));
    const call = await transport.listModels().catch((e: unknown) => e);
    const { error: streamed } = await collectUntilError(transport.stream(chatRequest()));
    for (const error of [call, streamed]) {
      expect(error).toBeInstanceOf(HttpStatusError);
      expect(error).toMatchObject({ status: 502, message: expect.stringContaining('upstream died') });
    }
  });
});

describe('a short call answering past CALL_BODY_LIMIT', () => {
  it('is refused with StreamProtocolError, and the rest is never read', async () => {
    let written = 0;
    const server = keep(
      await startRawServer(async (socket: Socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        const block = Buffer.alloc(256 * 1024, ' ');
        const frame = Buffer.concat([Buffer.from(`${block.length.toString(16)}\r\n`), block, Buffer.from('\r\n')]);
        // An endless answer, written as fast as the client reads it.
        while (!socket.destroyed) {
          written += block.length;
          if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
        }
      }),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'openai' }));
    const error = await transport.listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect((error as Error).message).toContain(`answered more than ${CALL_BODY_LIMIT} bytes`);
    // Socket buffers hold a few MiB at most: far from endless.
    expect(written).toBeLessThan(4 * CALL_BODY_LIMIT);
  });
});

describe('readLimited', () => {
  /** `count` chunks of `size` bytes, counting how many were pulled. */
  function source(count: number, size: number) {
    const state = { pulled: 0, destroyed: false };
    const body = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < count; i++) {
          state.pulled++;
          yield Buffer.alloc(size, 'a');
        }
      },
      destroy: () => {
        state.destroyed = true;
      },
    };
    return { body, state };
  }

  it('keeps the limit, stops pulling there, and destroys the body', async () => {
    const { body, state } = source(1000, 1000);
    const { text, truncated } = await readLimited(body, 4500);
    expect([text.length, truncated, state.pulled, state.destroyed]).toEqual([4500, true, 5, true]);
  });

  it('a body of exactly the limit is whole', async () => {
    const { body } = source(3, 1000);
    expect(await readLimited(body, 3000)).toEqual({ text: 'a'.repeat(3000), truncated: false });
  });

  it('with keepOnError, a body that fails part way gives what came first', async () => {
    const body = {
      async *[Symbol.asyncIterator]() {
        yield Buffer.from('{"error":"bad');
        throw new Error('reset');
      },
      destroy: () => {},
    };
    await expect(readLimited(body, 100)).rejects.toThrow('reset');
    expect(await readLimited(body, 100, { keepOnError: true })).toEqual({ text: '{"error":"bad', truncated: true });
  });
});

describe('serverMessage of a body cut at the limit', () => {
  it('finds the message at the start of JSON that no longer parses', () => {
    expect(serverMessage(`{"error":{"code":500,"message":"out of \\"memory\\"","type":"server_error","padding":"xxxx`)).toBe(
      'out of "memory"',
    );
    expect(serverMessage('{"src":"llama-swap","error":"upstream gone","pad":"xx')).toBe('upstream gone');
    expect(serverMessage('<html><title>502 Bad Gateway</title>')).toBe('<html><title>502 Bad Gateway</title>');
  });
});
