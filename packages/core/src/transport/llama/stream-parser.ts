/**
 * Turns the bytes of a llama-server / OpenAI-compatible stream into transport events. SSE framing is
 * eventsource-parser's; each `data:` is parsed once and only the fields we read are looked at (llama.cpp
 * adds fields often). Handles OAI chat chunks, OAI text completions and native `/completion` objects.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { StreamProtocolError } from '../../errors.js';
import type { TransportEvent } from '../transport.js';

type FinalEvent = Extract<TransportEvent, { type: 'final' }>;

interface Chunk {
  id?: string;
  model?: string;
  system_fingerprint?: string;
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null }; text?: string; finish_reason?: string | null }[];
  usage?: unknown;
  timings?: unknown;
  error?: { message?: string } | string;
  // Native /completion
  content?: string;
  tokens?: unknown[];
  stop?: boolean;
  stop_type?: string;
}

export class StreamParser {
  /** Events parsed from the bytes fed so far, not yet taken. */
  readonly pending: TransportEvent[] = [];
  /** `[DONE]` seen (OAI), or the native final object. */
  done = false;
  private final: FinalEvent = { type: 'final', at: 0, finishReason: undefined, timings: undefined, usage: undefined, responseId: undefined, model: undefined, systemFingerprint: undefined };
  private sawFinish = false;
  private now = 0;
  private readonly sse: EventSourceParser;
  private readonly decoder = new TextDecoder();

  constructor(private readonly native: boolean) {
    this.sse = createParser({ onEvent: (message) => this.onData(message.data) });
  }

  /** Feed one network read that arrived at `at`. Throws StreamProtocolError on a malformed chunk. */
  feed(bytes: Uint8Array, at: number): void {
    this.now = at;
    this.sse.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /** The body ended: a final event still to emit (if any), or an error if the response never finished. */
  end(at: number): FinalEvent | undefined {
    this.sse.feed(this.decoder.decode());
    if (this.done) return undefined;
    // Lenient: a finish_reason was sent but [DONE] was not (some proxies drop it). The figures are complete.
    if (this.sawFinish) {
      this.final.at = at;
      this.done = true;
      return this.final;
    }
    throw new StreamProtocolError('stream ended before the response finished (no finish_reason, no [DONE])');
  }

  private onData(data: string): void {
    if (data === '[DONE]') {
      if (!this.done) this.finish();
      return;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      throw new StreamProtocolError('malformed chunk in stream', data);
    }
    if (chunk.error !== undefined) {
      const message = typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? JSON.stringify(chunk.error));
      throw new StreamProtocolError(`server error mid-stream: ${message}`, data);
    }
    const f = this.final;
    if (chunk.id !== undefined) f.responseId = chunk.id;
    if (chunk.model !== undefined) f.model = chunk.model;
    if (chunk.system_fingerprint !== undefined) f.systemFingerprint = chunk.system_fingerprint;
    if (chunk.usage !== undefined && chunk.usage !== null) f.usage = chunk.usage;
    if (chunk.timings !== undefined && chunk.timings !== null) f.timings = chunk.timings;

    if (this.native) {
      if (chunk.content) this.delta(chunk.content, Array.isArray(chunk.tokens) && chunk.tokens.length > 0 ? chunk.tokens.length : 1, 'content');
      if (chunk.stop === true) {
        f.finishReason = chunk.stop_type === 'limit' ? 'length' : chunk.stop_type === 'eos' || chunk.stop_type === 'word' ? 'stop' : chunk.stop_type;
        this.finish();
      }
      return;
    }
    const choice = chunk.choices?.[0];
    if (!choice) return; // the usage chunk: `choices: []`
    const delta = choice.delta;
    if (delta) {
      // The role-only first chunk has `content: null`: no text, no token, and it must not stop the TTFT clock.
      if (delta.reasoning_content) this.delta(delta.reasoning_content, 1, 'reasoning');
      if (delta.content) this.delta(delta.content, 1, 'content');
    } else if (choice.text) {
      this.delta(choice.text, 1, 'content');
    }
    if (choice.finish_reason) {
      f.finishReason = choice.finish_reason;
      this.sawFinish = true;
    }
  }

  private delta(text: string, tokens: number, channel: 'content' | 'reasoning'): void {
    this.pending.push({ type: 'delta', at: this.now, text, tokens, channel });
  }

  private finish(): void {
    this.done = true;
    this.final.at = this.now;
    this.pending.push(this.final);
  }
}
