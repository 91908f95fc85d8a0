/**
 * What one generation writes on its socket, in llama-server's pattern: headers alone once the first token is
 * ready, the role chunk in the same write as the first token, one event per token, then the tail in one write;
 * a non-streamed body in one write. Each write is stamped in the ground truth as it goes out.
 */
import type { GenerationJob } from './generate.js';
import { chatBody, chatStream, nativeFinal, nativeToken, textBody, textStream, type Outcome } from './responses.js';
import { generationSettings } from './sampling-params.js';
import { send, sendJson, JSON_HEADERS, SSE_HEADERS } from './send.js';
import { NDJSON_HEADERS, ollamaFinal, ollamaToken, type OllamaRoute } from './ollama-responses.js';

/** Ollama's native endpoints write NDJSON, not SSE. */
function isOllama(endpoint: GenerationJob['endpoint']): endpoint is 'ollama-chat' | 'ollama-generate' {
  return endpoint === 'ollama-chat' || endpoint === 'ollama-generate';
}

function ollamaRoute(endpoint: 'ollama-chat' | 'ollama-generate'): OllamaRoute {
  return endpoint === 'ollama-chat' ? 'chat' : 'generate';
}

export class ResponseWriter {
  /** Content tokens written to the socket. */
  private written = 0;
  /** Chunk serializers, built once per response. */
  private chat: ReturnType<typeof chatStream> | undefined;
  private oaiText: ReturnType<typeof textStream> | undefined;

  constructor(
    private readonly job: GenerationJob,
    private readonly slotId: number,
  ) {}

  private chatSerializer(): ReturnType<typeof chatStream> {
    this.chat ??= chatStream(this.job.identity);
    return this.chat;
  }

  private textSerializer(): ReturnType<typeof textStream> {
    this.oaiText ??= textStream(this.job.identity);
    return this.oaiText;
  }

  /** Stream the `n`th generated token; `partial`: the running timings, for `timings_per_token`. */
  token(piece: string, id: number, n: number, partial: Outcome | undefined): void {
    const { job } = this;
    const res = job.res;
    let out: string;
    if (job.endpoint === 'ollama-chat' || job.endpoint === 'ollama-generate') {
      out = ollamaToken(ollamaRoute(job.endpoint), job.identity.model, piece);
    } else if (job.endpoint === 'chat') {
      const chat = this.chatSerializer();
      out = (n === 1 ? chat.role : '') + chat.token(piece, partial);
    } else if (job.endpoint === 'text') {
      out = this.textSerializer().token(piece, partial);
    } else {
      out = nativeToken(piece, id, n, job.promptTokens.length, partial);
    }
    if (this.written === 0) this.headers();
    res.write(out);
    // Node corks a response write and sends it on the next tick; send it now, so the ground-truth stamp is
    // when the bytes went to the kernel (as llama-server writes each token), not before other streams' work.
    res.socket?.uncork();
    this.written++;
    job.truth?.tokenWrites.push(process.hrtime.bigint());
  }

  /** Headers go out in their own write, once the first token is ready, as llama-server sends them. */
  headers(): void {
    const res = this.job.res;
    if (res.headersSent) return;
    res.writeHead(200, isOllama(this.job.endpoint) ? NDJSON_HEADERS : SSE_HEADERS);
    res.flushHeaders();
    if (this.job.truth) this.job.truth.headersAt = process.hrtime.bigint();
  }

  /**
   * End the response with outcome `o`: a stream's final events, or the whole body (`content`, whose `produced`
   * tokens are stamped with the body's write). A `missing-timings` or `no-done` fault takes effect here.
   */
  tail(o: Outcome, content: string, produced: number): void {
    const { job } = this;
    const withTimings = job.fault?.kind !== 'missing-timings';
    if (job.fault && (job.fault.kind === 'missing-timings' || (job.fault.kind === 'no-done' && job.stream)) && job.truth)
      job.truth.fault = job.fault.kind;
    const noDone = job.fault?.kind === 'no-done';
    if (isOllama(job.endpoint)) {
      // Ollama's stream ends with its final object (no [DONE]); `no-done` leaves it out.
      const final = ollamaFinal(ollamaRoute(job.endpoint), job.identity.model, job.stream ? '' : content, o, job.loadMs ?? 0);
      if (!job.stream) {
        send(job.res, 200, { 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify(final));
        const at = process.hrtime.bigint();
        if (job.truth) {
          job.truth.headersAt = at;
          for (let i = produced; i > 0; i--) job.truth.tokenWrites.push(at);
        }
        return;
      }
      this.headers();
      job.res.end(noDone ? '' : `${JSON.stringify(final)}\n`);
      return;
    }
    if (job.stream) {
      this.headers();
      let tail: string;
      if (job.endpoint === 'chat') {
        const chat = this.chatSerializer();
        tail = chat.finish(o, withTimings && !job.includeUsage) + (job.includeUsage ? chat.usage(o, withTimings) : '');
      } else if (job.endpoint === 'text') {
        tail = this.textSerializer().finish(o, withTimings);
      } else {
        // The native stream has no [DONE]; a missing terminator there means a missing final event.
        tail = noDone
          ? ''
          : `data: ${JSON.stringify(nativeFinal(job.identity.model, '', job.promptText, o, generationSettings(job.params), this.slotId, withTimings))}\n\n`;
      }
      if (job.endpoint !== 'native' && !noDone) tail += 'data: [DONE]\n\n';
      job.res.end(tail);
      return;
    }
    const body =
      job.endpoint === 'chat'
        ? chatBody(job.identity, content, o, withTimings)
        : job.endpoint === 'text'
          ? textBody(job.identity, content, o, withTimings)
          : JSON.stringify(
              nativeFinal(job.identity.model, content, job.promptText, o, generationSettings(job.params), this.slotId, withTimings),
            );
    sendJson(job.res, 200, body);
    const at = process.hrtime.bigint();
    if (job.truth) {
      job.truth.headersAt = at;
      for (let i = produced; i > 0; i--) job.truth.tokenWrites.push(at);
    }
  }

  /** A chunk cut in the middle of its JSON, then the end of the response. */
  malformed(): void {
    const { job } = this;
    if (!job.stream) {
      job.res.writeHead(200, JSON_HEADERS);
      job.res.end('{"choices":[{"finish_reason":"length","index":0,"message":{"role":"assistant","content":"');
      return;
    }
    this.headers();
    job.res.end(
      isOllama(job.endpoint)
        ? '{"model":"sim","message":{"role":"assistant","content":"tr\n'
        : job.endpoint === 'native'
          ? 'data: {"index":0,"content":"tr\n\n'
          : 'data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":"tr\n\n',
    );
  }
}
