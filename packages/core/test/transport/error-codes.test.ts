/**
 * Error codes that mean what they say, over real loopback connections: nobody at the address is
 * HOST_UNREACHABLE, one exchange cut before its answer while the host answers others is CONNECTION_RESET,
 * https:// to a server without TLS is HOST_UNREACHABLE in words (not OpenSSL's text, not UNKNOWN).
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionResetError, errorCode, HostUnreachableError } from '../../src/errors/index.js';
import { startSimulator, type Fault } from '../../src/simulator/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { collect, collectUntilError } from './collect.js';
import { chatRequest, closeAfterEach } from './helpers.js';

const keep = closeAfterEach();
const model = { name: 'm', genTps: 2000, ttftMs: 1, loadMs: 0 };
const chat = chatRequest({ model: 'm' });
const prompt = { endpoint: 'completion', prompt: 'hello' } as const;

async function llamaServer(faults: Fault[]) {
  const sim = keep(await startSimulator({ mode: 'llama-server', models: [model], faults }));
  // A new transport: its first stream goes out on a new connection, which is never sent twice.
  const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 2 }));
  return { sim, transport };
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('nobody at the address: HOST_UNREACHABLE', () => {
  it('connection refused, for a call and for a stream', async () => {
    const transport = keep(createLlamaTransport({ baseUrl: `http://127.0.0.1:${await closedPort()}`, kind: 'llama-server' }));
    const call = await transport.listModels().catch((e: unknown) => e);
    expect(call).toBeInstanceOf(HostUnreachableError);
    expect((call as Error).message).toMatch(/ECONNREFUSED/);
    const { error } = await collectUntilError(transport.stream(chat));
    expect(errorCode(error)).toBe('HOST_UNREACHABLE');
  });

  it('a name that does not resolve', async () => {
    const transport = keep(createLlamaTransport({ baseUrl: 'http://swapbench-no-such-host.invalid:8080', kind: 'llama-server' }));
    const error = await transport.listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostUnreachableError);
    expect((error as Error).message).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});

describe('one exchange cut before its answer, the host still answering: CONNECTION_RESET', () => {
  it('a stream reset before its headers; the next stream is answered', async () => {
    const { sim, transport } = await llamaServer([{ kind: 'reset-before-headers', requests: [1] }]);
    const { error } = await collectUntilError(transport.stream(chat));
    expect(error).toBeInstanceOf(ConnectionResetError);
    expect((error as Error).message).toContain(sim.url);
    expect((await collect(transport.stream(chat))).at(-1)).toMatchObject({ type: 'final' });
    // Each ran once on the server: a stream the server may have read is never sent twice.
    expect(sim.groundTruth.map((g) => g.fault)).toEqual(['reset-before-headers', undefined]);
  });

  it('a stream closed cleanly before its headers ("other side closed")', async () => {
    const { transport } = await llamaServer([{ kind: 'eof-before-headers', requests: [1] }]);
    const { error } = await collectUntilError(transport.stream(chat));
    expect(error).toBeInstanceOf(ConnectionResetError);
    expect((error as Error).message).toMatch(/UND_ERR_SOCKET|other side closed/);
  });

  it('a short call cut once is sent again and answered; cut every time, it is ConnectionResetError', async () => {
    const once = await llamaServer([{ kind: 'reset-before-headers', paths: ['/tokenize'], requests: [1] }]);
    expect(await once.transport.tokenize!('m', prompt)).toBeGreaterThan(0);
    const always = await llamaServer([{ kind: 'eof-before-headers', paths: ['/tokenize'] }]);
    await expect(always.transport.tokenize!('m', prompt)).rejects.toBeInstanceOf(ConnectionResetError);
    expect(await always.transport.listModels()).toHaveLength(1);
  });

  it('a reset after the answer started stays a broken stream (STREAM_PROTOCOL)', async () => {
    const { transport } = await llamaServer([{ kind: 'reset', afterTokens: 2 }]);
    const { events, error } = await collectUntilError(transport.stream(chat));
    expect(errorCode(error)).toBe('STREAM_PROTOCOL');
    expect((error as Error).message).toContain('closed mid-response');
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(2);
  });
});

describe('TLS', () => {
  it('https:// to a server without TLS: HOST_UNREACHABLE saying so, without OpenSSL’s text', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model] }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url.replace('http:', 'https:'), kind: 'llama-server' }));
    for (const error of [await transport.listModels().catch((e: unknown) => e), (await collectUntilError(transport.stream(chat))).error]) {
      expect(error).toBeInstanceOf(HostUnreachableError);
      const { message } = error as Error;
      expect(message).toContain('the TLS handshake failed (ERR_SSL_');
      expect(message).toContain('a server without TLS needs http://');
      expect(message).not.toMatch(/SSL routines|ssl3_get_record/);
      // The original error is still there, for whoever debugs it.
      expect(((error as Error).cause as Error).cause).toMatchObject({ code: expect.stringMatching(/^ERR_SSL_/) });
    }
  });
});
