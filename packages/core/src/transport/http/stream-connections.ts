/**
 * Connections for streamed requests, chosen so that no request waits in the client.
 *
 * Each stream goes out on a connection of its own, opened ahead of time, and asks the server to close it
 * after the answer (`Connection: close`). Why not keep-alive, measured in `pnpm bench`: undici writes a
 * request on a reused idle connection only after one turn of the event loop (it first checks that the
 * server has not closed it), and a Pool hands a freed connection to the next request only after another
 * turn; at 256 streams a turn is milliseconds, and the request sat in the client for them. A connection
 * that never carried a request is written at once. llama-server closes its connection after every stream
 * anyway, and pre-opening makes the TCP (and TLS) handshake nobody's latency: `reserve(n)` opens n before a
 * load, and each connection taken is replaced in the background while the load runs.
 *
 * Requests beyond `limit` in flight wait here (first come, first served); that wait is the sample's
 * `queueMs`. A request that found no connection ready opens one, and says how long it took (`connectMs`).
 */
import type { Socket } from 'node:net';
import { buildConnector, Client, errors, type Dispatcher } from 'undici';

/** What one stream's send found: how long it took to open a connection, if it had to. */
export interface StreamSend {
  connectMs?: number;
}

export interface StreamConnectionsOptions {
  /** Longest wait for a TCP (and TLS) connection, ms. */
  connectTimeoutMs: number;
  /** Streams in flight at most; more wait in the client. Undefined: no limit. */
  limit: number | undefined;
  /** The clock `connectMs` is measured on. */
  clock: () => number;
}

/**
 * A pre-opened connection older than this is not used: servers close connections that stay idle (llama-server
 * after 5 s), and one closed just as a request is written on it would fail that request.
 */
const MAX_IDLE_MS = 3000;

/** Connections kept ready during a load, per request in flight: enough for the requests that start while replacements open. */
const SPARE_SHARE = 0.25;

interface Ready {
  socket: Socket;
  openedAt: number;
  onClose: () => void;
}

/** Opens and hands out connections for streams; see the module comment. */
export class StreamConnections {
  private readonly connector: buildConnector.connector;
  private readonly params: buildConnector.Options;
  /** Opened connections waiting for a request, oldest first. */
  private ready: Ready[] = [];
  private opening = 0;
  /** Connections to keep ready while a load runs; 0 between loads. */
  private spare = 0;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly clients = new Set<Client>();
  private closed = false;

  constructor(
    private readonly origin: URL,
    private readonly options: StreamConnectionsOptions,
  ) {
    this.connector = buildConnector({ timeout: options.connectTimeoutMs });
    const hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
    this.params = { hostname, host: origin.host, protocol: origin.protocol, port: origin.port, servername: null as unknown as string };
  }

  /**
   * Open connections ahead of a load of `count` requests in flight, and keep some ready while it runs;
   * resolves when they are open (or failed: a request that needs one then opens its own and reports that
   * failure). `reserve(0)` ends the load: the connections still waiting are closed.
   */
  async reserve(count: number): Promise<void> {
    if (this.closed) return;
    if (count <= 0) {
      this.spare = 0;
      for (const r of this.ready.splice(0)) this.discard(r);
      return;
    }
    this.spare = Math.max(1, Math.ceil(count * SPARE_SHARE));
    const wanted = count - this.usable() - this.opening;
    await Promise.all(Array.from({ length: Math.max(0, wanted) }, () => this.open()));
  }

  /**
   * Send one request on a connection of its own; `handler` sees undici's callbacks as usual. Throws
   * undici's ClientClosedError after `close()`.
   */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): StreamSend {
    if (this.closed) throw new errors.ClientClosedError();
    const send: StreamSend = {};
    const start = () => {
      this.inFlight++;
      const client = new Client(this.origin, { pipelining: 1, connect: (params, callback) => this.connect(send, params, callback) });
      this.clients.add(client);
      client.dispatch({ ...options, reset: true }, new Tracked(handler, () => this.finished(client)));
    };
    const limit = this.options.limit;
    if (limit !== undefined && this.inFlight >= limit) this.waiting.push(start);
    else start();
    return send;
  }

  /** Wait for the streams in flight and queued, then close every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.spare = 0;
    for (const r of this.ready.splice(0)) this.discard(r);
    while (this.clients.size > 0 || this.waiting.length > 0) await Promise.all([...this.clients].map((c) => c.close()));
  }

  /** undici's connector for one request's Client: a ready connection if there is one, else a new one. */
  private connect(send: StreamSend, params: buildConnector.Options, callback: buildConnector.Callback): void {
    const ready = this.take();
    this.refill();
    if (ready) {
      // Not from inside undici's connect: it is resuming the client, and would not write the request.
      queueMicrotask(() => callback(null, ready));
      return;
    }
    const t0 = this.options.clock();
    this.connector(params, (err, socket) => {
      send.connectMs = this.options.clock() - t0;
      // undici's callback type has the socket only on success.
      if (err) callback(err, null);
      else callback(null, socket!);
    });
  }

  /** The newest usable ready connection, handed over to undici. */
  private take(): Socket | undefined {
    const now = this.options.clock();
    for (let r = this.ready.pop(); r; r = this.ready.pop()) {
      const s = r.socket;
      if (now - r.openedAt > MAX_IDLE_MS || s.destroyed || s.readableEnded || s.bytesRead > 0 || s.readableLength > 0) {
        this.discard(r);
        continue;
      }
      s.off('close', r.onClose);
      s.ref();
      return s;
    }
    return undefined;
  }

  private usable(): number {
    const now = this.options.clock();
    return this.ready.filter((r) => now - r.openedAt <= MAX_IDLE_MS && !r.socket.destroyed).length;
  }

  /** Open what a running load is missing, in the background. */
  private refill(): void {
    for (let n = this.spare - this.ready.length - this.opening; n > 0; n--) void this.open();
  }

  /** Open one connection and add it to the ready ones; never rejects. */
  private open(): Promise<void> {
    this.opening++;
    return new Promise((resolve) => {
      this.connector(this.params, (err, socket) => {
        this.opening--;
        resolve();
        if (err || !socket) return;
        if (this.closed || this.spare === 0) {
          socket.destroy();
          return;
        }
        // Waiting connections do not keep the process alive; the server may close them at any time.
        socket.unref();
        const r: Ready = { socket, openedAt: this.options.clock(), onClose: () => this.forget(r) };
        socket.once('close', r.onClose);
        this.ready.push(r);
      });
    });
  }

  private forget(r: Ready): void {
    const i = this.ready.indexOf(r);
    if (i >= 0) this.ready.splice(i, 1);
  }

  private discard(r: Ready): void {
    r.socket.off('close', r.onClose);
    r.socket.destroy();
  }

  /** A stream ended (or failed): its Client goes, and the next waiting request starts. */
  private finished(client: Client): void {
    this.inFlight--;
    this.clients.delete(client);
    // After undici's own bookkeeping for this response, which runs once this callback returns.
    queueMicrotask(() => {
      client.close().catch(() => {});
      const next = this.waiting.shift();
      if (next) next();
    });
  }
}

/** Forwards undici's callbacks to a handler and says once when the request is over. */
class Tracked implements Dispatcher.DispatchHandler {
  private done = false;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly onDone: () => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[]>,
    text: string,
  ): void {
    this.inner.onResponseStart?.(controller, status, headers, text);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[]>): void {
    this.inner.onResponseEnd?.(controller, trailers);
    this.end();
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(controller, error);
    this.end();
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }
}
