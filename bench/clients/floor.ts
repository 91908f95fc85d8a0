/**
 * The floor: the least a Node client can do. `node:net`, hand-written HTTP/1.1 with keep-alive, one socket
 * per in-flight stream, all open before the first request; it stamps each read and counts content deltas by
 * byte search, parsing nothing. Its TTFT starts just before the request is written on the socket.
 * Whatever skew and CPU this client shows is the cost of Node and the loopback, not of a client's code.
 */
import { connect, type Socket } from 'node:net';
import { chatBody, withPeakMemory, type ClientRequestRecord, type ClientRun, type ClientRunOptions } from './types.ts';

const CONTENT = Buffer.from('"delta":{"content":"');
const END = Buffer.from('0\r\n\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');
const ID = Buffer.from('"id":"');

export async function runFloorClient(options: ClientRunOptions): Promise<ClientRun> {
  const { hostname, port } = new URL(options.url);
  const records: ClientRequestRecord[] = [];
  const { peakMemoryBytes } = await withPeakMemory(async () => {
    const workers = Math.min(options.concurrency, options.requests);
    let next = 0;
    const conns = Array.from({ length: workers }, () => new Connection(hostname, Number(port)));
    // Open before the load, as swapbench's own reserve is: no TTFT of the floor includes a TCP connect.
    await Promise.all(conns.map((conn) => conn.connected));
    await Promise.all(
      conns.map(async (conn) => {
        while (next < options.requests) records.push(await conn.request(options, next++));
        conn.socket.destroy();
      }),
    );
  });
  return { records, peakMemoryBytes };
}

class Connection {
  socket: Socket;
  /** Settles when the first socket is connected, or failed to (its first request then reports the error). */
  readonly connected: Promise<void>;
  private current: { record: ClientRequestRecord; t0: bigint; tail: Buffer; first: boolean; done: () => void } | undefined;
  private closed = false;

  private readonly host: string;
  private readonly port: number;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.socket = this.open();
    const socket = this.socket;
    this.connected = new Promise((resolve) => {
      socket.once('connect', resolve);
      socket.once('close', resolve);
    });
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.closed = false;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.finish(err.message));
    socket.on('close', () => {
      this.closed = true;
      this.finish('connection closed');
    });
    return socket;
  }

  request(options: ClientRunOptions, n: number): Promise<ClientRequestRecord> {
    if (this.closed) this.socket = this.open();
    const body = chatBody(options.model, options.maxTokens, n);
    const record: ClientRequestRecord = { id: undefined, tokenStamps: [] };
    return new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      record.t0Ms = Number(t0) / 1e6;
      this.current = { record, t0, tail: Buffer.alloc(0), first: true, done: () => resolve(record) };
      this.socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
      );
    });
  }

  private onData(chunk: Buffer): void {
    const now = process.hrtime.bigint();
    const cur = this.current;
    if (!cur) return;
    if (cur.first) {
      cur.first = false;
      if (chunk.indexOf('HTTP/1.1 200') !== 0) {
        this.finish(`HTTP ${chunk.subarray(9, 12).toString()}`);
        return;
      }
      // Only the body can end the response: headers may end with the same bytes (`Keep-Alive: …, max=100`).
      chunk = chunk.subarray(chunk.indexOf(HEADERS_END) + HEADERS_END.length);
      if (chunk.length === 0) return;
    }
    if (cur.record.id === undefined) {
      const at = chunk.indexOf(ID);
      if (at >= 0) cur.record.id = chunk.toString('latin1', at + ID.length, chunk.indexOf(34, at + ID.length));
    }
    // A pattern may straddle two reads: search the seam too.
    const seam = cur.tail.length > 0 ? Buffer.concat([cur.tail, chunk.subarray(0, CONTENT.length - 1)]) : undefined;
    let count = seam && seam.indexOf(CONTENT) >= 0 ? 1 : 0;
    for (let at = chunk.indexOf(CONTENT); at >= 0; at = chunk.indexOf(CONTENT, at + CONTENT.length)) count++;
    for (let i = 0; i < count; i++) cur.record.tokenStamps.push(now);
    const last =
      chunk.length >= END.length ? chunk.subarray(chunk.length - END.length) : Buffer.concat([cur.tail, chunk]).subarray(-END.length);
    cur.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - CONTENT.length + 1)));
    if (last.equals(END)) this.finish();
  }

  private finish(error?: string): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    const first = cur.record.tokenStamps[0];
    if (first !== undefined) cur.record.reportedTtftMs = Number(first - cur.t0) / 1e6;
    if (error) {
      cur.record.error = error;
      this.socket.destroy();
      this.closed = true;
    }
    cur.done();
  }
}
