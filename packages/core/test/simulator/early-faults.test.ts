/**
 * The faults that take the place of an answer: no answer at all, a reset or a clean close before any byte,
 * a huge error page; on generation requests, or on any route through `paths`. Seen from a plain socket,
 * so what the simulator writes (or does not) is not filtered through an HTTP client.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HUGE_BODY_BYTES, HUGE_BODY_MESSAGE } from '../../src/simulator/early-faults.js';
import type { Fault } from '../../src/simulator/index.js';
import { chatBody, post, useSimulator } from './helpers.js';

const start = useSimulator();
const model = { name: 'm', genTps: 2000, ttftMs: 1, loadMs: 0 };
const server = (faults: Fault[], mode: 'llama-server' | 'llama-swap' = 'llama-server') =>
  start({ mode, models: [model], faults, ...(mode === 'llama-swap' ? { initiallyLoaded: 'm' } : {}) });

/** How a raw exchange ended: the bytes that came back, and whether the socket was reset, closed, or is still open. */
interface Ending {
  bytes: number;
  how: 'reset' | 'closed' | 'open';
}

/**
 * Send one chat request over a plain socket and report how it ended. A socket still open after `waitMs`
 * with no byte is `open` (only the never-answer fault waits that long); it is then destroyed.
 */
function exchange(port: number, waitMs = 300): Promise<Ending> {
  const payload = JSON.stringify(chatBody('m'));
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let bytes = 0;
    let how: Ending['how'] | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ bytes, how: how ?? 'open' });
    }, waitMs);
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', (err: NodeJS.ErrnoException) => (how = err.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, how: how ?? 'closed' });
    });
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
  });
}

describe('faults before the answer', () => {
  it('accept-and-never-answer reads the request and writes nothing, until the client leaves', async () => {
    const s = await server([{ kind: 'accept-and-never-answer' }]);
    expect(await exchange(s.port)).toEqual({ bytes: 0, how: 'open' });
    // The client left: the request is over, and no slot was ever taken.
    await expect.poll(() => s.groundTruth[0]?.finishedAt).toBeDefined();
    expect(s.groundTruth[0]).toMatchObject({ fault: 'accept-and-never-answer', tokenWrites: [] });
    expect(s.groundTruth[0]!.headersAt).toBeUndefined();
    expect(s.stats().active).toBe(0);
  });

  it('accept-and-never-answer ends when the simulator closes', async () => {
    const s = await server([{ kind: 'accept-and-never-answer' }]);
    const pending = post(`${s.url}/v1/chat/completions`, chatBody('m')).catch((e: unknown) => e);
    await expect.poll(() => s.groundTruth.length).toBe(1);
    await s.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('reset-before-headers resets the connection before any byte; the next request is answered', async () => {
    const s = await server([{ kind: 'reset-before-headers', requests: [1] }]);
    expect(await exchange(s.port)).toEqual({ bytes: 0, how: 'reset' });
    expect(s.groundTruth[0]).toMatchObject({ fault: 'reset-before-headers', tokenWrites: [] });
    expect((await post(`${s.url}/v1/chat/completions`, chatBody('m'))).status).toBe(200);
  });

  it('eof-before-headers closes the connection cleanly before any byte', async () => {
    const s = await server([{ kind: 'eof-before-headers' }]);
    expect(await exchange(s.port)).toEqual({ bytes: 0, how: 'closed' });
    expect(s.groundTruth[0]).toMatchObject({ fault: 'eof-before-headers', tokenWrites: [] });
  });

  it('huge-error-body answers 500 with llama.cpp’s error object, message first, padded to bodyBytes', async () => {
    const s = await server([{ kind: 'huge-error-body', bodyBytes: 1_000_000 }], 'llama-swap');
    const r = await post(`${s.url}/v1/chat/completions`, chatBody('m'));
    const text = await r.text();
    expect([r.status, Buffer.byteLength(text)]).toEqual([500, 1_000_000]);
    const json = JSON.parse(text) as { error: { code: number; message: string; type: string } };
    expect(json.error).toMatchObject({ code: 500, type: 'server_error' });
    expect(json.error.message).toContain(HUGE_BODY_MESSAGE);
    expect(text.indexOf(HUGE_BODY_MESSAGE)).toBeLessThan(100);
  });

  it('huge-error-body is 50 MiB by default, and stops writing when the client leaves', async () => {
    const s = await server([{ kind: 'huge-error-body' }]);
    const r = await post(`${s.url}/v1/chat/completions`, chatBody('m'));
    expect([r.status, Number(r.headers.get('content-length'))]).toEqual([500, DEFAULT_HUGE_BODY_BYTES]);
    const reader = r.body!.getReader();
    await reader.read();
    await reader.cancel();
    await expect.poll(() => s.groundTruth[0]?.finishedAt).toBeDefined();
  });
});

describe('faults on any route (paths)', () => {
  const tokenize = (url: string, path = '/tokenize') => post(`${url}${path}`, { content: 'hello' });

  it('hit only the listed paths, counted per fault, and leave the ground truth alone', async () => {
    const s = await server([{ kind: 'http-500', paths: ['/tokenize'], requests: [2] }]);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await tokenize(s.url)).status);
    expect(statuses).toEqual([200, 500, 200]);
    expect((await post(`${s.url}/v1/chat/completions`, chatBody('m'))).status).toBe(200);
    expect(s.groundTruth.map((g) => g.fault)).toEqual([undefined]);
  });

  it('act before llama-swap routes the request: /upstream/<model>/… and /running', async () => {
    const s = await server(
      [
        { kind: 'http-503', paths: ['/upstream/m/tokenize'] },
        { kind: 'eof-before-headers', paths: ['/running'] },
      ],
      'llama-swap',
    );
    expect((await tokenize(s.url, '/upstream/m/tokenize')).status).toBe(503);
    await expect(fetch(`${s.url}/running`)).rejects.toThrow();
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(200);
  });

  it('setFaults starts the counts over', async () => {
    const s = await server([{ kind: 'http-500', paths: ['/tokenize'], requests: [1] }]);
    expect((await tokenize(s.url)).status).toBe(500);
    expect((await tokenize(s.url)).status).toBe(200);
    s.setFaults([{ kind: 'http-500', paths: ['/tokenize'], requests: [1] }]);
    expect((await tokenize(s.url)).status).toBe(500);
  });

  it('a fault list that could never fire as written is refused', async () => {
    const s = await server([]);
    expect(() => s.setFaults([{ kind: 'reset', paths: ['/tokenize'] }])).toThrow(/act before the answer/);
    expect(() => s.setFaults([{ kind: 'http-500', paths: ['tokenize'] }])).toThrow(/starting with \//);
    expect(() => s.setFaults([{ kind: 'http-500', paths: [] }])).toThrow(/non-empty/);
    expect(() => s.setFaults([{ kind: 'http-500', paths: ['/props'], model: 'm' }])).toThrow(/model does not apply/);
    expect(() => s.setFaults([{ kind: 'huge-error-body', bodyBytes: 0 }])).toThrow(/bodyBytes/);
  });
});
