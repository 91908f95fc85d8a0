import { errorCode, HttpStatusError, RequestTimeoutError } from '../errors/errors.js';
import { parseLlamaTimings } from '../timings/parse-llama-timings.js';
import { isPushable } from '../transport/http/pushable.js';
import { abortFanout } from './abort-fanout.js';
import type { StreamRequest, Transport, TransportEvent } from '../transport/transport.js';
import type { Sample, SampleError, SampleFlag } from '../result/types.js';
import { errorMessage } from '../util/error-message.js';

/** What a single request's measurement needs to know about its context. */
export interface MeasureContext {
  transport: Transport;
  clock: () => number;
  /** The run's signal: when it aborts, the request is cancelled and no sample is produced. */
  runSignal: AbortSignal;
  timeoutMs: number;
  /** For the cross-checks; undefined when the prompt has no asked-for size (a prompt set's). */
  requestedPromptTokens: number | undefined;
  ignoreEos: boolean;
  bustCache: boolean;
  /** Cached prompt tokens allowed before `warm-cache` (the chat template's head and the nonce's digits, see calibrate). */
  cacheAllowance?: number;
  /** Keep the raw clock readings of the request in the sample (`timeline`). */
  timeline: boolean;
  /** Open loop: when the request was due on `clock`; the sample then carries latencies counted from it. */
  scheduledAt?: number | undefined;
}

/**
 * A request that waited longer than this in the client before it was written is flagged `client-wait`:
 * the server saw it later than the load asked for. Well above what a request waits when the client keeps
 * up (tens of microseconds), well below a token's time on any server.
 */
export const CLIENT_WAIT_FLAG_MS = 5;

/**
 * An open-loop request that started more than this after it was due is flagged `late`: a timer fires up to
 * ~1 ms late and a busy loop adds a little, so 5 ms is a schedule missed, not timer noise.
 */
export const LATE_AFTER_MS = 5;

/** A sample's measured part; the engine adds where it sits in the run. */
export type Measurement = Omit<Sample, 'runId' | 'seq' | 'phase' | 'model' | 'promptTokens' | 'maxTokens' | 'concurrency' | 'coldStart'>;

/**
 * Send one request and measure it on the monotonic clock. Never rejects for a server problem: a failure
 * becomes a failed measurement with its error code, keeping what was measured before it. A request cut by
 * the run's abort is a failed measurement too (`CANCELLED`): every request sent is recorded. Returns
 * undefined only when the run was aborted before the request was sent.
 */
export async function measureRequest(ctx: MeasureContext, request: StreamRequest): Promise<Measurement | undefined> {
  if (ctx.runSignal.aborted) return undefined;
  const { clock } = ctx;
  const controller = new AbortController();
  let phase: RequestTimeoutError['phase'] = 'headers';
  const timer = setTimeout(() => controller.abort(new RequestTimeoutError(phase, ctx.timeoutMs)), ctx.timeoutMs);
  // The run's abort is forwarded to the request's own signal (not AbortSignal.any: a composite signal per
  // request costs several times more, in the burst of sends that starts each cell), by one listener per run.
  const runAborts = abortFanout(ctx.runSignal);
  runAborts.add(controller);
  const { signal } = controller;
  const startedAt = new Date().toISOString();
  const t0 = clock();
  const m: Measurement = { startedAt, ok: false, outputTokens: 0, itlMs: [], server: { source: 'none' }, flags: [] };
  if (request.requestId !== undefined) m.requestId = request.requestId;
  const tokenAt: number[] | undefined = ctx.timeline ? [] : undefined;
  // Latencies start when the request was written, once the transport says when that was: waiting in the
  // client, or for a connection, is the server's latency in no way (it is `queueMs`/`connectMs`).
  let start = t0;
  let settled = false;
  let last = 0;
  const onEvent = (event: TransportEvent): void => {
    // A transport that ignored the abort and went on: what it sends now is no longer this sample's.
    if (settled) return;
    if (event.type === 'delta') {
      if (event.tokens <= 0 && event.text === '') return;
      const tokens = Math.max(1, event.tokens);
      if (m.ttftMs === undefined) {
        m.ttftMs = event.at - start;
        phase = 'body';
      } else {
        m.itlMs.push(event.at - last);
      }
      // A chunk of k tokens arrived at once: its other k−1 tokens have zero gaps.
      for (let i = 1; i < tokens; i++) m.itlMs.push(0);
      if (tokenAt) for (let i = 0; i < tokens; i++) tokenAt.push(event.at);
      m.outputTokens += tokens;
      last = event.at;
    } else if (event.type === 'response-start') {
      if (event.sentAt !== undefined) {
        start = event.sentAt;
        const connectMs = event.connectMs ?? 0;
        m.queueMs = Math.max(0, event.sentAt - t0 - connectMs);
        if (event.connectMs !== undefined) m.connectMs = connectMs;
      }
      m.ttfbMs = event.at - start;
      if (event.resent) m.resent = true;
      phase = 'first-token';
    } else {
      m.e2eMs = event.at - start;
      m.finishReason = event.finishReason;
      m.responseId = event.responseId;
      m.server = parseLlamaTimings(event.raw);
      m.ok = true;
    }
  };
  // Our own transports push each event from the socket's read callback (no promise per token); any other
  // transport's stream is iterated.
  const consume = async (): Promise<void> => {
    const stream = ctx.transport.stream(request, { signal });
    if (isPushable(stream)) return stream.drain(onEvent);
    for await (const event of stream) {
      if (settled) return;
      onEvent(event);
    }
  };
  const stopped = whenAborted(signal);
  try {
    // One race per request, not per token: a transport that never settles cannot outlive its deadline.
    await Promise.race([consume(), stopped.promise]);
    if (!m.ok) m.error = { code: 'STREAM_PROTOCOL', message: 'stream ended without a final event' };
  } catch (err) {
    m.ok = false;
    m.e2eMs = clock() - start;
    if ((err as { resent?: unknown } | null)?.resent === true) m.resent = true;
    if (ctx.runSignal.aborted) m.error = { code: 'CANCELLED', message: `cancelled with the run: ${errorMessage(ctx.runSignal.reason)}` };
    else m.error = sampleError(controller.signal.aborted ? controller.signal.reason : err);
  } finally {
    settled = true;
    stopped.dispose();
    clearTimeout(timer);
    runAborts.delete(controller);
  }
  if (ctx.timeline) m.timeline = { startAt: t0, ...(start === t0 ? {} : { sentAt: start }), tokenAt: tokenAt! };
  if (ctx.scheduledAt !== undefined) {
    // From when the request was due, not when it was written: an open loop's users wait from then.
    const due = ctx.scheduledAt;
    m.scheduleLagMs = Math.max(0, t0 - due);
    if (m.ttftMs !== undefined) m.scheduledTtftMs = start - due + m.ttftMs;
    if (m.e2eMs !== undefined) m.scheduledE2eMs = start - due + m.e2eMs;
  }
  finishMeasurement(m, ctx, request.maxTokens);
  return m;
}

/** A promise that rejects with the signal's reason when it aborts; `dispose` detaches it. */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // Only ever consumed through the race; never an unhandled rejection once the race is over.
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** Longest error message kept with a sample: enough for any server's own words, not a whole error page. */
const MAX_MESSAGE_CHARS = 1000;

/** What a failed sample keeps of its error: code, message (with the server's words), HTTP status. */
export function sampleError(err: unknown): SampleError {
  const message = errorMessage(err);
  const status = err instanceof HttpStatusError ? err.status : undefined;
  return {
    code: errorCode(err),
    message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message,
    ...(status === undefined ? {} : { status }),
  };
}

/**
 * Output tokens the client was meant to see. A stream that ended on end-of-sequence (`stop`) has the EOS
 * token in the server's count but not in the text, so the server counts one more than the client.
 */
function generatedTokens(m: Measurement): number {
  const server = m.server.generatedTokens;
  if (server === undefined) return m.outputTokens;
  return m.finishReason === 'stop' && server === m.outputTokens + 1 ? m.outputTokens : server;
}

/** Derived figures and cross-checks, once the stream is done. */
function finishMeasurement(m: Measurement, ctx: MeasureContext, maxTokens: number): void {
  if (m.ttftMs !== undefined && m.e2eMs !== undefined && m.outputTokens > 1) {
    const decodeMs = m.e2eMs - m.ttftMs;
    m.tpotMs = decodeMs / (m.outputTokens - 1);
    m.genTps = decodeMs > 0 ? ((m.outputTokens - 1) * 1000) / decodeMs : undefined;
  }
  m.promptTokensActual = m.server.promptTokens;
  const waited = (m.queueMs ?? 0) > CLIENT_WAIT_FLAG_MS;
  const late = (m.scheduleLagMs ?? 0) > LATE_AFTER_MS;
  if (!m.ok) {
    m.flags = [...(waited ? (['client-wait'] as const) : []), ...(late ? (['late'] as const) : [])];
    return;
  }
  const flags: SampleFlag[] = [];
  if (waited) flags.push('client-wait');
  if (late) flags.push('late');
  if (ctx.bustCache && (m.server.cachedTokens ?? 0) > (ctx.cacheAllowance ?? 0)) flags.push('warm-cache');
  if (ctx.ignoreEos && generatedTokens(m) !== maxTokens) flags.push('length-mismatch');
  if (m.promptTokensActual !== undefined && ctx.requestedPromptTokens !== undefined && m.promptTokensActual !== ctx.requestedPromptTokens)
    flags.push('prompt-size-mismatch');
  m.flags = flags;
}
