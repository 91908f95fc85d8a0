/**
 * Connections for streamed requests, chosen so that no request waits in the client for one.
 *
 * Two ways, by what the server does with a connection after a stream (measured with `pnpm bench` and a
 * CPU profile at 64 streams in lockstep):
 * - It keeps it (llama-swap, vLLM, most servers): each connection is a lane that carries one stream after
 *   another. A lane is handed back the moment its stream ends, so the next request never waits for undici's
 *   Pool to notice a connection is free (a whole event-loop turn). undici still checks a reused connection for
 *   one turn before writing on it; that turn is in the sample's `queueMs`, not its latencies, which start
 *   when the request is written. A new stream costs about 120 µs of client CPU here.
 * - It closes it after every stream (llama-server, although it offers keep-alive): each stream goes out on a
 *   connection of its own, asking the server to close it (`Connection: close`), so none is ever written on a
 *   connection the server is closing. About 240 µs of client CPU a stream, most of it opening and closing
 *   connections, so they are opened ahead: before a load, and in the background while it runs.
 *
 * `reserve(n)` opens connections for a load of n streams in flight before it starts. Requests beyond
 * `limit` in flight wait here (first come, first served); that wait is their `queueMs`. A request that found
 * no connection ready opens one, and says how long that took (`connectMs`).
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

/** A connection's client and the send it is carrying now. */
interface Lane {
  client: Client;
  send: StreamSend;
  /** Carries one stream and closes (the server closes after every stream); else it carries one after another. */
  once: boolean;
}

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
  private readonly lanes = new Set<Lane>();
  /** Lanes whose connection is free (reuse only), the last freed last. */
  private readonly idle: Lane[] = [];
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
    // Streams that close their connections take replacements from these while the load runs.
    this.spare = Math.max(1, Math.ceil(count * SPARE_SHARE));
    const wanted = count - this.idle.length - this.usable() - this.opening;
    await Promise.all(Array.from({ length: Math.max(0, wanted) }, () => this.open(true)));
  }

  /**
   * Send one stream; `handler` sees undici's callbacks as usual. `once`: the server closes the connection
   * after this stream, so it goes out on a connection of its own that asks to close; else on a free lane.
   * Throws undici's ClientClosedError after `close()`.
   */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, once: boolean): StreamSend {
    if (this.closed) throw new errors.ClientClosedError();
    const send: StreamSend = {};
    const start = () => {
      this.inFlight++;
      const lane = (once ? undefined : this.idle.pop()) ?? this.newLane(once);
      lane.send = send;
      lane.client.dispatch(once ? { ...options, reset: true } : options, new Tracked(handler, () => this.finished(lane)));
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
    this.idle.length = 0;
    for (let left = this.lanes.size + this.waiting.length; left > 0; left = this.lanes.size + this.waiting.length) {
      await Promise.all([...this.lanes].map((lane) => lane.client.close()));
      // Lanes leave the set as their streams end; a waiting stream starts on one and ends the same way.
      for (const lane of this.lanes) if (lane.client.closed) this.lanes.delete(lane);
    }
  }

  private newLane(once: boolean): Lane {
    const lane: Lane = { client: undefined as unknown as Client, send: {}, once };
    lane.client = new Client(this.origin, { pipelining: 1, connect: (params, callback) => this.connect(lane, params, callback) });
    this.lanes.add(lane);
    return lane;
  }

  /** undici's connector for a lane: a ready connection if there is one, else a new one. */
  private connect(lane: Lane, params: buildConnector.Options, callback: buildConnector.Callback): void {
    const send = lane.send;
    const ready = this.take();
    // A lane that carries one stream only is replaced while a load runs; one that carries many is not.
    if (lane.once) this.refill();
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

  /** Open one connection and add it to the ready ones (`reserved`: even between loads); never rejects. */
  private open(reserved = false): Promise<void> {
    this.opening++;
    return new Promise((resolve) => {
      this.connector(this.params, (err, socket) => {
        this.opening--;
        resolve();
        if (err || !socket) return;
        if (this.closed || (this.spare === 0 && !reserved)) {
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

  /** A stream ended (or failed): its lane is free again (or goes), and the next waiting stream starts. */
  private finished(lane: Lane): void {
    this.inFlight--;
    const reuse = !lane.once && !this.closed;
    if (!reuse) this.lanes.delete(lane);
    // After undici's own bookkeeping for this response, which runs once this callback returns.
    queueMicrotask(() => {
      if (reuse && !lane.client.destroyed) this.idle.push(lane);
      else {
        this.lanes.delete(lane);
        lane.client.close().catch(() => {});
      }
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
