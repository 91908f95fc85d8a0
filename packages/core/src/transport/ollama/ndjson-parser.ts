/**
 * Ollama's native stream (`/api/chat`, `/api/generate`): NDJSON, one JSON object per line, no SSE, no
 * `[DONE]`; the last object has `done: true`, `done_reason` and the figures in nanoseconds. Framing is
 * TextDecoder in streaming mode (a UTF-8 sequence split across reads waits for its last byte) and a split
 * on `\n`, which JSON cannot hold unescaped inside a value, so a line is always one whole object.
 */
import { StreamProtocolError } from '../../errors/errors.js';
import type { BodyParser } from '../http/body-parser.js';
import type { TransportEvent } from '../transport.js';

/** One NDJSON object as Ollama sends it; only the fields read here, all optional. */
interface OllamaChunk {
  model?: string;
  message?: { content?: string | null; thinking?: string | null } | null;
  response?: string | null;
  thinking?: string | null;
  done?: boolean;
  done_reason?: string;
  error?: unknown;
}

type FinalEvent = Extract<TransportEvent, { type: 'final' }>;

/** Longest line kept while waiting for its end: far above any chunk, well below a runaway body. */
const MAX_LINE_CHARS = 1 << 20;

const NO_EVENTS: readonly TransportEvent[] = Object.freeze([]);

/** The parser of one Ollama stream: `feed` each network read, then `end`. */
export class NdjsonParser implements BodyParser {
  private failure: Error | undefined;
  private done = false;
  private pending = '';
  private out: TransportEvent[] | undefined;
  private now = 0;
  private readonly decoder = new TextDecoder();

  get error(): Error | undefined {
    return this.failure;
  }

  feed(bytes: Uint8Array, at: number): readonly TransportEvent[] {
    if (this.failure) return NO_EVENTS;
    this.now = at;
    try {
      this.lines(this.decoder.decode(bytes, { stream: true }));
    } catch (err) {
      this.failure = err as Error;
    }
    return this.flush();
  }

  end(at: number): readonly TransportEvent[] {
    if (this.failure) return NO_EVENTS;
    this.now = at;
    try {
      // A last line without its newline still counts.
      this.lines(`${this.decoder.decode()}\n`);
      if (!this.done) throw new StreamProtocolError('Ollama stream ended before its final object (no `done: true`)');
    } catch (err) {
      this.failure = err as Error;
    }
    return this.flush();
  }

  private lines(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = this.pending + text.slice(start, nl);
      this.pending = '';
      start = nl + 1;
      if (line.trim() !== '') this.onLine(line);
    }
    this.pending += text.slice(start);
    if (this.pending.length > MAX_LINE_CHARS) throw new StreamProtocolError('stream line too long', this.pending.slice(0, 200));
  }

  private onLine(line: string): void {
    if (this.done) return;
    let chunk: OllamaChunk;
    try {
      chunk = JSON.parse(line) as OllamaChunk;
    } catch {
      throw new StreamProtocolError('malformed line in Ollama stream', line);
    }
    if (typeof chunk !== 'object' || chunk === null) throw new StreamProtocolError('malformed line in Ollama stream', line);
    // A failure after the 200 status comes as a last line `{"error":"..."}`.
    if (chunk.error !== undefined) {
      const message = typeof chunk.error === 'string' ? chunk.error : JSON.stringify(chunk.error);
      throw new StreamProtocolError(`server error mid-stream: ${message}`, line);
    }
    const thinking = chunk.message?.thinking ?? chunk.thinking;
    const content = chunk.message?.content ?? chunk.response;
    // Ollama streams one token per object.
    if (thinking) this.emit({ type: 'delta', at: this.now, text: thinking, tokens: 1, channel: 'reasoning' });
    if (content) this.emit({ type: 'delta', at: this.now, text: content, tokens: 1, channel: 'content' });
    if (chunk.done === true) {
      this.done = true;
      const final: FinalEvent = {
        type: 'final',
        at: this.now,
        finishReason: chunk.done_reason,
        // The whole final object: parseLlamaTimings reads Ollama's counts and nanosecond durations from it.
        raw: chunk as Record<string, unknown>,
        responseId: undefined,
        model: chunk.model,
        systemFingerprint: undefined,
      };
      this.emit(final);
    }
  }

  private emit(event: TransportEvent): void {
    if (this.out) this.out.push(event);
    else this.out = [event];
  }

  private flush(): readonly TransportEvent[] {
    const out = this.out;
    if (!out) return NO_EVENTS;
    this.out = undefined;
    return out;
  }
}
