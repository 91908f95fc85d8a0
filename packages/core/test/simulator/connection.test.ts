/**
 * Connections as llama-server b10470 handles them, measured with keep-alive requests: `Keep-Alive: timeout=5,
 * max=100` on every 2xx answer, `Connection: close` on errors, and the connection closed after every streamed
 * answer although it was offered. Non-streamed answers keep it; so does llama-swap, and `closeAfterStream: false`.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { chatBody, recordedHeaders, useSimulator } from './helpers.js';

const start = useSimulator();
const fast = { name: 'tiny', genTps: 5000, ttftMs: 1, promptTps: 1e6 };

interface Answer {
  status: number;
  /** Header lines, in order: [lowercase name, value]. */
  headers: [string, string][];
}

/** One keep-alive connection: requests sent one at a time, and whether the server has closed it. */
class Connection {
  private readonly socket: Socket;
  private buffered = '';
  private onData: (() => void) | undefined;
  /** Resolves when the server ends the connection. */
  readonly closedByServer: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.buffered += d;
      this.onData?.();
    });
    this.closedByServer = new Promise((resolve) => this.socket.once('end', resolve));
  }

  /** Send a request and read its whole answer (Content-Length or chunked); `extra` is more header lines. */
  request(method: string, path: string, body?: unknown, extra = ''): Promise<Answer> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    this.socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n${extra}\r\n${payload}`,
    );
    return new Promise((resolve) => {
      this.onData = () => {
        const answer = this.take();
        if (!answer) return;
        this.onData = undefined;
        resolve(answer);
      };
      this.onData();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** The first complete answer in the buffer, removed from it; undefined until one is complete. */
  private take(): Answer | undefined {
    const split = this.buffered.indexOf('\r\n\r\n');
    if (split < 0) return undefined;
    const [statusLine, ...lines] = this.buffered.slice(0, split).split('\r\n');
    const headers = lines.map((l): [string, string] => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
    const rest = this.buffered.slice(split + 4);
    const length = headers.find(([k]) => k === 'content-length')?.[1];
    const end = length === undefined ? rest.indexOf('\r\n0\r\n\r\n') + 7 : Number(length);
    if ((length === undefined && end < 7) || rest.length < end) return undefined;
    this.buffered = rest.slice(end);
    return { status: Number(statusLine!.split(' ')[1]), headers };
  }
}

const names = (a: Answer) => a.headers.map(([k]) => k);
const header = (a: Answer, name: string) => a.headers.find(([k]) => k === name)?.[1];
/** The recorded header names, recorded with `Connection: close`: a keep-alive client gets `Keep-Alive` there. */
const keepAliveNames = async (meta: string) => (await recordedHeaders(meta)).map((k) => (k === 'connection' ? 'keep-alive' : k));

const connections: Connection[] = [];
afterEach(() => {
  for (const c of connections.splice(0)) c.close();
});

/** A new connection, closed after the test. */
function open(port: number): Connection {
  const c = new Connection(port);
  connections.push(c);
  return c;
}

describe('llama-server mode', () => {
  for (const [path, body] of [
    ['/v1/chat/completions', chatBody('tiny')],
    ['/completion', { prompt: 'Once upon a time', n_predict: 4, stream: true }],
    ['/v1/completions', { prompt: 'Once upon a time', max_tokens: 4, stream: true }],
  ] as const) {
    it(`${path} streamed: offers keep-alive as llama-server does, then closes the connection`, async () => {
      const s = await start({ mode: 'llama-server', models: [fast] });
      const c = open(s.port);
      const answer = await c.request('POST', path, body);
      expect(answer.status).toBe(200);
      expect(names(answer)).toEqual(await keepAliveNames('01_chat_stream_usage.meta.json'));
      expect(header(answer, 'keep-alive')).toBe('timeout=5, max=100');
      await c.closedByServer;
    });
  }

  it('non-streamed: the same Keep-Alive, and the connection stays open for the next request', async () => {
    const s = await start({ mode: 'llama-server', models: [fast] });
    const c = open(s.port);
    const answer = await c.request('POST', '/v1/chat/completions', chatBody('tiny', { stream: false }));
    expect(names(answer)).toEqual(await keepAliveNames('02_chat_nonstream.meta.json'));
    expect(header(answer, 'keep-alive')).toBe('timeout=5, max=100');
    expect((await c.request('GET', '/health')).status).toBe(200);
    expect((await c.request('POST', '/v1/chat/completions', chatBody('tiny', { stream: false }))).status).toBe(200);
    expect(s.groundTruth).toHaveLength(2);
  });

  it('an error answer says Connection: close instead', async () => {
    const s = await start({ mode: 'llama-server', models: [fast] });
    const c = open(s.port);
    const answer = await c.request('GET', '/no-such-route');
    expect(answer.status).toBe(404);
    expect(answer.headers.at(-1)).toEqual(['connection', 'close']);
    expect(header(answer, 'keep-alive')).toBeUndefined();
  });

  it('the 100th request of a connection is answered with Connection: close (max=100)', async () => {
    const s = await start({ mode: 'llama-server', models: [fast] });
    const c = open(s.port);
    for (let i = 1; i < 100; i++) expect(header(await c.request('GET', '/health'), 'keep-alive')).toBe('timeout=5, max=100');
    const last = await c.request('GET', '/health');
    expect(last.headers.at(-1)).toEqual(['connection', 'close']);
    await c.closedByServer;
  });

  it('closeAfterStream: false keeps the connection after a stream', async () => {
    const s = await start({ mode: 'llama-server', models: [fast], closeAfterStream: false });
    const c = open(s.port);
    const first = await c.request('POST', '/v1/chat/completions', chatBody('tiny'));
    expect(header(first, 'keep-alive')).toBe('timeout=5, max=100');
    expect((await c.request('POST', '/v1/chat/completions', chatBody('tiny'))).status).toBe(200);
    expect(s.groundTruth).toHaveLength(2);
  });
});

describe('llama-server mode, a client that asks for keep-alive (Connection: keep-alive, as curl and raw clients send)', () => {
  const keepAlive = 'Connection: keep-alive\r\n';
  it('non-streamed answers and closeAfterStream: false keep the connection; a stream closes it', async () => {
    const s = await start({ mode: 'llama-server', models: [fast] });
    const c = open(s.port);
    expect((await c.request('POST', '/v1/chat/completions', chatBody('tiny', { stream: false }), keepAlive)).status).toBe(200);
    expect((await c.request('POST', '/v1/chat/completions', chatBody('tiny', { stream: false }), keepAlive)).status).toBe(200);
    expect((await c.request('POST', '/v1/chat/completions', chatBody('tiny'), keepAlive)).status).toBe(200);
    await c.closedByServer;
    expect(s.groundTruth).toHaveLength(3);

    const kept = await start({ mode: 'llama-server', models: [fast], closeAfterStream: false });
    const k = open(kept.port);
    for (let i = 0; i < 3; i++) expect((await k.request('POST', '/v1/chat/completions', chatBody('tiny'), keepAlive)).status).toBe(200);
    expect(kept.groundTruth).toHaveLength(3);
  });
});

describe('llama-swap mode', () => {
  it('keeps the connection after a stream, as Go net/http does', async () => {
    const s = await start({ mode: 'llama-swap', models: [fast], initiallyLoaded: 'tiny' });
    const c = open(s.port);
    expect((await c.request('POST', '/v1/chat/completions', chatBody('tiny'))).status).toBe(200);
    expect((await c.request('POST', '/v1/chat/completions', chatBody('tiny'))).status).toBe(200);
    expect(s.groundTruth).toHaveLength(2);
  });
});
