/**
 * Turns the bytes of a llama-server / OpenAI-compatible stream into transport events. SSE framing is
 * eventsource-parser's; each `data:` is parsed once and only the fields we read are looked at (llama.cpp
 * adds fields often). Handles OAI chat chunks, OAI text completions and native `/completion` objects.
 */
import { createParser, type EventSourceParser, type ParseError } from 'eventsource-parser';
import { StreamProtocolError } from '../../errors/errors.js';
import type { BodyParser } from '../http/body-parser.js';
import type { TransportEvent } from '../transport.js';

type FinalEvent = Extract<TransportEvent, { type: 'final' }>;

interface Chunk {
  id?: string;
  object?: string;
  model?: string;
  system_fingerprint?: string;
  choices?: {
    delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
    text?: string;
    finish_reason?: string | null;
  }[];
  usage?: { completion_tokens?: unknown } | null;
  timings?: { predicted_n?: unknown } | null;
  error?: { message?: string } | string;
  /** Tokens in this chunk, when a server says so. */
  n_tokens?: unknown;
  // Native /completion
  content?: string;
  tokens?: unknown[];
  tokens_predicted?: unknown;
  stop?: boolean;
  stop_type?: string;
}

/**
 * llama-server's chat content chunk, the one chunk per token: `{"choices":[{"finish_reason":null,"index":0,
 * "delta":{"content":"<text>"}}],"created":…,"id":…,"model":…,"system_fingerprint":…,"object":…}`. Its text
 * is read straight out of the string when the rest is exactly that shape, which saves a JSON.parse per token
 * (the largest per-token cost on the profile); any other chunk, or any text with an escape, is parsed whole.
 */
const CHAT_CONTENT_HEAD = '{"choices":[{"finish_reason":null,"index":0,"delta":{"content":"';
const CHAT_CONTENT_TAIL =
  /"\}\}\],"created":\d+,"id":"[^"\\]*","model":"[^"\\]*","system_fingerprint":"[^"\\]*","object":"chat\.completion\.chunk"\}$/y;

/** The text of a llama-server chat content chunk in its usual shape, else undefined (parse it whole). */
export function llamaContentText(data: string): string | undefined {
  if (!data.startsWith(CHAT_CONTENT_HEAD)) return undefined;
  const start = CHAT_CONTENT_HEAD.length;
  const end = data.indexOf('"', start);
  if (end < 0) return undefined;
  const backslash = data.indexOf('\\', start);
  if (backslash >= 0 && backslash < end) return undefined;
  CHAT_CONTENT_TAIL.lastIndex = end;
  return CHAT_CONTENT_TAIL.test(data) ? data.slice(start, end) : undefined;
}

/** Largest SSE event we buffer (a runaway line without a newline is a broken stream, not data). */
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

/** `TextDecoder.decode` options for a read in the middle of a stream: one object, not one per read. */
const STREAM = { stream: true } as const;

/** What `feed` returns for a read that completed no event: shared, so such reads allocate nothing. */
const NO_EVENTS: readonly TransportEvent[] = Object.freeze([]);

/**
 * The parser of one response: `feed` each network read, then `end`; each returns the events it completed.
 * It keeps no queue: the caller owns the events it is given. A broken stream sets `error` instead of
 * throwing, so the events that came before the fault in the same read are still returned.
 */
export class StreamParser implements BodyParser {
  private failure: Error | undefined;
  /** `[DONE]` seen (OAI), or the native final object. */
  private done = false;
  private final: FinalEvent = {
    type: 'final',
    at: 0,
    finishReason: undefined,
    raw: {},
    responseId: undefined,
    model: undefined,
    systemFingerprint: undefined,
  };
  /** Events of the current `feed` or `end` call; created on the first one, so a read with none costs nothing. */
  private out: TransportEvent[] | undefined;
  private sawFinish = false;
  /** Generated tokens so far, by the server's cumulative count when it sends one, else by our own count. */
  private generated = 0;
  private now = 0;
  private readonly sse: EventSourceParser;
  private readonly decoder = new TextDecoder();

  constructor(private readonly native: boolean) {
    this.sse = createParser({
      onEvent: (message) => this.onData(message.data),
      onError: (error) => this.onParseError(error),
      maxBufferSize: MAX_EVENT_CHARS,
    });
  }

  /** Why the stream is broken (a StreamProtocolError), once it is; later reads are ignored. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** The events completed by one network read that arrived at `at`. */
  feed(bytes: Uint8Array, at: number): readonly TransportEvent[] {
    if (this.failure) return NO_EVENTS;
    this.now = at;
    try {
      // The decoder keeps a UTF-8 sequence split across reads until its last byte arrives.
      this.sse.feed(this.decoder.decode(bytes, STREAM));
    } catch (err) {
      this.failure = err as Error;
    }
    return this.flush();
  }

  /** The body ended at `at`: the events still due (the final one, unless already sent). */
  end(at: number): readonly TransportEvent[] {
    if (this.failure) return NO_EVENTS;
    this.now = at;
    try {
      // A last event cut off before its blank line still counts (and a half-sent one fails as malformed).
      this.sse.feed(`${this.decoder.decode()}\n\n`);
      // Lenient: finish_reason came but [DONE] did not (some proxies drop it); the figures are complete.
      if (!this.done && this.sawFinish) this.finish();
      if (!this.done)
        throw new StreamProtocolError(
          this.native
            ? 'stream ended before its final chunk (no `stop: true`)'
            : 'stream ended before the response finished (no finish_reason, no [DONE])',
        );
    } catch (err) {
      this.failure = err as Error;
    }
    return this.flush();
  }

  private onData(data: string): void {
    if (this.done) return;
    if (data === '[DONE]') {
      this.finish();
      return;
    }
    // Once the response's id is known, a plain content chunk needs nothing but its text (one token).
    if (!this.native && this.final.responseId !== undefined) {
      const text = llamaContentText(data);
      if (text) {
        this.generated++;
        this.delta(text, 1, 'content');
        return;
      }
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      throw new StreamProtocolError('malformed chunk in stream', data);
    }
    if (typeof chunk !== 'object' || chunk === null) throw new StreamProtocolError('malformed chunk in stream', data);
    if (chunk.error !== undefined) throw midStreamError(chunk.error, data);
    // llama-swap's `sendLoadingState` progress chunks carry neither id nor object; they are not model output.
    if (!this.native && chunk.id === undefined && chunk.object === undefined) return;
    const f = this.final;
    if (chunk.id !== undefined) f.responseId = chunk.id;
    if (chunk.model !== undefined) f.model = chunk.model;
    if (chunk.system_fingerprint !== undefined) f.systemFingerprint = chunk.system_fingerprint;
    // The server's figures as they came, each from the last chunk that had it (parseLlamaTimings reads them).
    if (chunk.usage != null) f.raw.usage = chunk.usage;
    if (chunk.timings != null) f.raw.timings = chunk.timings;

    if (this.native) {
      if (chunk.content) this.delta(chunk.content, this.tokensIn(chunk, chunk.tokens_predicted), 'content');
      if (chunk.stop === true) {
        // The native final object is the whole record: timings, the prompt, the generation settings.
        f.raw = chunk as Record<string, unknown>;
        f.finishReason =
          chunk.stop_type === 'limit' ? 'length' : chunk.stop_type === 'eos' || chunk.stop_type === 'word' ? 'stop' : chunk.stop_type;
        this.finish();
      }
      return;
    }
    const choice = chunk.choices?.[0];
    if (!choice) return; // the usage chunk: `choices: []`
    // Cumulative counts, when sent: `timings_per_token`, or vLLM's `continuous_usage_stats`.
    const cumulative = chunk.timings?.predicted_n ?? chunk.usage?.completion_tokens;
    const delta = choice.delta;
    if (delta) {
      // The role-only first chunk has `content: null`: no text, no token, and it must not stop the TTFT clock.
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning && delta.content) {
        // Both in one chunk (not seen from llama.cpp): split the count so the sum stays right.
        const n = this.tokensIn(chunk, cumulative);
        this.delta(reasoning, 1, 'reasoning');
        this.delta(delta.content, Math.max(1, n - 1), 'content');
      } else if (reasoning) {
        this.delta(reasoning, this.tokensIn(chunk, cumulative), 'reasoning');
      } else if (delta.content) {
        this.delta(delta.content, this.tokensIn(chunk, cumulative), 'content');
      }
    } else if (choice.text) {
      this.delta(choice.text, this.tokensIn(chunk, cumulative), 'content');
    }
    if (choice.finish_reason) {
      f.finishReason = choice.finish_reason;
      this.sawFinish = true;
    }
  }

  /**
   * Tokens a text-carrying chunk holds: its own count (native `tokens`, `n_tokens`), else the step of the
   * server's cumulative count, else 1 (llama-server sends one token per chunk).
   */
  private tokensIn(chunk: Chunk, cumulative: unknown): number {
    let n = 1;
    if (Array.isArray(chunk.tokens) && chunk.tokens.length > 0) n = chunk.tokens.length;
    else if (typeof chunk.n_tokens === 'number' && chunk.n_tokens > 0) n = chunk.n_tokens;
    else if (typeof cumulative === 'number' && cumulative > this.generated) n = cumulative - this.generated;
    // Ollama sends a zeroed `usage` on every chunk: a cumulative count that does not grow is ignored.
    this.generated = typeof cumulative === 'number' && cumulative > this.generated ? cumulative : this.generated + n;
    return n;
  }

  private onParseError(error: ParseError): void {
    if (error.type === 'max-buffer-size-exceeded') throw new StreamProtocolError('stream event too large', error.line ?? '');
    if (error.type !== 'unknown-field') return;
    const line = error.line ?? `${error.field ?? ''}:${error.value ?? ''}`;
    // Old llama.cpp builds send errors as an `error:` field; llama-swap writes a failed swap's JSON without `data:`.
    if (error.field === 'error') throw midStreamError(parseJson(error.value ?? '') ?? error.value ?? '', line);
    if (line.trimStart().startsWith('{')) {
      const json = parseJson(line) as { error?: unknown } | undefined;
      if (json?.error !== undefined) throw midStreamError(json.error, line);
    }
  }

  private delta(text: string, tokens: number, channel: 'content' | 'reasoning'): void {
    this.emit({ type: 'delta', at: this.now, text, tokens, channel });
  }

  private finish(): void {
    this.done = true;
    this.final.at = this.now;
    this.emit(this.final);
  }

  private emit(event: TransportEvent): void {
    if (this.out) this.out.push(event);
    else this.out = [event];
  }

  /** Hand over the events of this call; the next call starts a new list. */
  private flush(): readonly TransportEvent[] {
    const out = this.out;
    if (!out) return NO_EVENTS;
    this.out = undefined;
    return out;
  }
}

function midStreamError(error: unknown, excerpt: string): StreamProtocolError {
  const inner = (error as { error?: unknown } | null)?.error ?? error;
  const message =
    typeof inner === 'string'
      ? inner
      : typeof (inner as { message?: unknown } | null)?.message === 'string'
        ? (inner as { message: string }).message
        : JSON.stringify(inner);
  return new StreamProtocolError(`server error mid-stream: ${message}`, excerpt);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
