/**
 * One generation request, end to end: wait for a slot, "process the prompt", then emit tokens on a planned
 * schedule. The reported `timings` are that plan; the sockets get each token when the plan says (or as soon
 * after as the event loop allows). Streams write like llama-server: headers alone once the first token is
 * ready, the role chunk in the same write as the first token, one event per token, then the tail in one write.
 */
import type { ServerResponse } from 'node:http';
import type { ModelRuntime, SlotTask } from './model-runtime.js';
import { chatBody, chatStream, nativeFinal, nativeToken, textBody, textStream, type Outcome, type ResponseIdentity } from './responses.js';
import { generationSettings, slotParams, type RequestParams } from './sampling-params.js';
import type { Scheduled, Scheduler } from './scheduler.js';
import { prng } from '../util/rng.js';
import { pieceId } from './tokenizer.js';
import type { Fault, GroundTruthRequest } from './types.js';

export type GenerationEndpoint = 'chat' | 'text' | 'native';

export interface GenerationJob {
  runtime: ModelRuntime;
  scheduler: Scheduler;
  endpoint: GenerationEndpoint;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number[];
  /** The prompt as text, echoed by `/completion`. */
  promptText: string;
  /** n_predict; -1: until the context is full. */
  maxTokens: number;
  cachePrompt: boolean;
  params: RequestParams;
  /** Seeds the generated text and the natural stop. */
  textSeed: number;
  /** Seeds the jitter. */
  jitterSeed: number;
  identity: ResponseIdentity;
  fault: Fault | undefined;
  truth: GroundTruthRequest | undefined;
  res: ServerResponse;
  /** Aborts when the client leaves or the simulator closes. */
  signal: AbortSignal;
}

// Transfer-Encoding named here so the headers come in llama-server's order.
export const SSE_HEADERS = { Server: 'llama.cpp', 'Access-Control-Allow-Origin': '', 'X-Accel-Buffering': 'no', 'Content-Type': 'text/event-stream', 'Transfer-Encoding': 'chunked' };
export const JSON_HEADERS = { Server: 'llama.cpp', 'Access-Control-Allow-Origin': '', 'Content-Type': 'application/json; charset=utf-8' };

/** Chance per token (after the first) that a model without ignore_eos samples end-of-generation. */
const EOS_CHANCE = 0.01;
/** Short words, each one token in the simulator's tokenizer (with its leading space). */
const WORDS = (
  'the of and to in is it you that he was for on are as with his they at be this have from or one had by word but not what all ' +
  'were we when your can said there use an each which she do how their if will up other about out many then them these so some ' +
  'her would make like him into time has look two more write go see number no way could people my than first water been call ' +
  'who oil its now find long down day did get come made may part over new sound take only little work know place year live me ' +
  'back give most very after thing our just name good man think say great where help much before line right too mean old any'
).split(' ');

export async function generate(job: GenerationJob): Promise<void> {
  const { runtime, res, signal, truth } = job;
  let slot;
  try {
    slot = await runtime.acquire(job.cachePrompt ? job.promptTokens : undefined, signal);
  } catch {
    if (truth) truth.finishedAt = process.hrtime.bigint();
    return;
  }
  const generated: number[] = [];
  try {
    await new Generation(job, slot.id, runtime.cachedPrefix.bind(runtime, slot), generated, (task) => (slot.task = task)).run();
  } finally {
    runtime.release(slot, [...job.promptTokens, ...generated]);
    if (!res.writableEnded && !res.destroyed) res.destroy();
  }
}

class Generation {
  private readonly p;
  private readonly text;
  private readonly jitter;
  private readonly cached: number;
  private readonly limit: number;
  private readonly task: SlotTask;
  private promptMs = 0;
  private firstDue = 0;
  private due = 0;
  /** Content tokens written to the socket. */
  private written = 0;
  /** Content tokens produced (streamed or not): where faults trigger. */
  private produced = 0;
  private content = '';
  private faultDone = false;
  private pending: Scheduled | undefined;
  private finished = false;
  private accounted = false;
  private resolve!: () => void;
  /** Chunk serializers, built once per response. */
  private chat: ReturnType<typeof chatStream> | undefined;
  private oaiText: ReturnType<typeof textStream> | undefined;

  constructor(
    private readonly job: GenerationJob,
    private readonly slotId: number,
    cachedPrefix: (tokens: number[]) => number,
    /** Token ids sampled so far (EOS included): the slot's cache after the request. */
    private readonly generated: number[],
    setTask: (task: SlotTask) => void,
  ) {
    this.p = job.runtime.profile;
    this.text = prng(job.textSeed);
    this.jitter = prng(job.jitterSeed);
    this.cached = job.cachePrompt ? cachedPrefix(job.promptTokens) : 0;
    const room = this.p.ctxSize - job.promptTokens.length;
    this.limit = job.maxTokens < 0 ? room : Math.min(Math.max(job.maxTokens, 1), room);
    this.task = {
      id: job.runtime.nextTaskId(),
      nPromptTokens: job.promptTokens.length,
      processed: job.promptTokens.length - this.cached,
      cached: this.cached,
      params: slotParams(job.params),
      decoded: 0,
      remain: job.maxTokens < 0 ? -1 : this.limit,
      hasNewLine: false,
    };
    setTask(this.task);
  }

  run(): Promise<void> {
    const { signal, scheduler } = this.job;
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      if (signal.aborted) return this.end();
      signal.addEventListener('abort', this.onAbort, { once: true });
      const evaluated = this.job.promptTokens.length - this.cached;
      const perToken = Number.isFinite(this.p.promptTps) ? (evaluated / this.p.promptTps) * 1000 : 0;
      this.promptMs = this.p.ttftMs + perToken * this.jitterFactor();
      this.firstDue = this.due = performance.now() + this.promptMs;
      this.pending = scheduler.at(this.due, this.step);
    });
  }

  private onAbort = (): void => {
    this.pending?.cancel();
    this.account();
    this.end();
  };

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.job.signal.removeEventListener('abort', this.onAbort);
    if (this.job.truth) this.job.truth.finishedAt = process.hrtime.bigint();
    this.resolve();
  }

  private jitterFactor(): number {
    return 1 + this.p.jitter * (2 * this.jitter() - 1);
  }

  private step = (): void => {
    if (this.finished || this.job.signal.aborted) return;
    const fault = this.job.fault;
    if (fault && !this.faultDone && this.produced === (fault.afterTokens ?? 1) && (fault.kind === 'reset' || fault.kind === 'malformed-chunk' || fault.kind === 'stall')) {
      this.faultDone = true;
      if (this.job.truth) this.job.truth.fault = fault.kind;
      if (fault.kind === 'stall') {
        // The plan moves with the stall: the server "hung", and its own timings would show it.
        const startedAt = this.firstDue - this.promptMs;
        this.due = performance.now() + (fault.stallMs ?? 60_000);
        if (this.generated.length === 0) {
          this.firstDue = this.due;
          this.promptMs = this.due - startedAt;
        }
        this.pending = this.job.scheduler.at(this.due, this.step);
        return;
      }
      this.account();
      if (fault.kind === 'reset') this.job.res.socket?.resetAndDestroy();
      else this.malformed();
      return this.end();
    }
    const n = this.generated.length + 1;
    if (n > 1 && !this.job.params.ignoreEos && this.text() < EOS_CHANCE) {
      this.generated.push(2);
      return this.finish('stop');
    }
    const piece = this.nextPiece();
    const id = pieceId(piece);
    this.generated.push(id);
    this.task.decoded = n;
    if (this.task.remain >= 0) this.task.remain = this.limit - n;
    if (piece.includes('\n')) this.task.hasNewLine = true;
    this.content += piece;
    this.produced++;
    this.countDecode();
    this.writeToken(piece, id, n);
    if (n >= this.limit) return this.finish('length');
    const gap = Number.isFinite(this.p.genTps) ? 1000 / this.p.genTps : 0;
    // Batched decoding: every other busy slot slows this stream down a little.
    const slowdown = 1 + this.p.batchSlowdown * Math.max(0, this.job.runtime.busySlots - 1);
    this.due += gap * slowdown * this.jitterFactor();
    this.pending = this.job.scheduler.at(this.due, this.step);
  };

  private nextPiece(): string {
    const r = this.text();
    if (this.generated.length > 1 && r < 0.06) return r < 0.005 ? '\n' : r < 0.035 ? ',' : '.';
    return ` ${WORDS[Math.floor(this.text() * WORDS.length)]!}`;
  }

  private countDecode(): void {
    const busy = Math.max(1, this.job.runtime.busySlots);
    const w = this.job.runtime.window;
    this.job.runtime.metrics.decodes += 1 / busy;
    w.decodes += 1 / busy;
    w.busyWeighted += 1;
  }

  private outcome(finishReason: Outcome['finishReason'], stopType: Outcome['stopType']): Outcome {
    const n = this.generated.length;
    return {
      promptTokens: this.job.promptTokens.length,
      cachedTokens: this.cached,
      promptMs: this.promptMs,
      predicted: n,
      predictedMs: n > 0 ? this.due - this.firstDue : 0,
      finishReason,
      stopType,
      truncated: finishReason === 'length' && n >= this.p.ctxSize - this.job.promptTokens.length,
    };
  }

  private writeToken(piece: string, id: number, n: number): void {
    const { job } = this;
    if (!job.stream) return;
    const res = job.res;
    const partial = job.params.timingsPerToken ? this.outcome('length', 'limit') : undefined;
    let out: string;
    if (job.endpoint === 'chat') {
      const chat = (this.chat ??= chatStream(job.identity));
      out = (n === 1 ? chat.role : '') + chat.token(piece, partial);
    } else if (job.endpoint === 'text') {
      out = (this.oaiText ??= textStream(job.identity)).token(piece, partial);
    } else {
      out = nativeToken(piece, id, n, job.promptTokens.length, partial);
    }
    if (this.written === 0) this.writeHeaders();
    res.write(out);
    // Node corks a response write and sends it on the next tick; send it now, so the ground-truth stamp is
    // when the bytes went to the kernel (as llama-server writes each token), not before other streams' work.
    res.socket?.uncork();
    this.written++;
    job.truth?.tokenWrites.push(process.hrtime.bigint());
  }

  /** Headers go out in their own write, once the first token is ready, as llama-server sends them. */
  private writeHeaders(): void {
    const res = this.job.res;
    if (res.headersSent) return;
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    if (this.job.truth) this.job.truth.headersAt = process.hrtime.bigint();
  }

  private finish(finishReason: Outcome['finishReason']): void {
    const { job } = this;
    const o = this.outcome(finishReason, finishReason === 'stop' ? 'eos' : 'limit');
    this.account();
    // After the last token's write, the tail goes out in a write of its own on the next turn, as recorded.
    if (job.stream && finishReason === 'length') {
      this.pending = job.scheduler.at(performance.now(), () => this.writeTail(o));
      return;
    }
    this.writeTail(o);
  }

  private writeTail(o: Outcome): void {
    const { job } = this;
    if (this.finished || job.signal.aborted) return;
    const withTimings = job.fault?.kind !== 'missing-timings';
    if (job.fault && (job.fault.kind === 'missing-timings' || (job.fault.kind === 'no-done' && job.stream)) && job.truth) job.truth.fault = job.fault.kind;
    const noDone = job.fault?.kind === 'no-done';
    if (job.stream) {
      this.writeHeaders();
      let tail: string;
      if (job.endpoint === 'chat') {
        const chat = (this.chat ??= chatStream(job.identity));
        tail = chat.finish(o, withTimings && !job.includeUsage) + (job.includeUsage ? chat.usage(o, withTimings) : '');
      } else if (job.endpoint === 'text') {
        tail = (this.oaiText ??= textStream(job.identity)).finish(o, withTimings);
      } else {
        // The native stream has no [DONE]; a missing terminator there means a missing final event.
        tail = noDone ? '' : `data: ${JSON.stringify(nativeFinal(job.identity.model, '', job.promptText, o, generationSettings(job.params), this.slotId, withTimings))}\n\n`;
      }
      if (job.endpoint !== 'native' && !noDone) tail += 'data: [DONE]\n\n';
      job.res.end(tail);
    } else {
      const body =
        job.endpoint === 'chat' ? chatBody(job.identity, this.content, o, withTimings)
        : job.endpoint === 'text' ? textBody(job.identity, this.content, o, withTimings)
        : JSON.stringify(nativeFinal(job.identity.model, this.content, job.promptText, o, generationSettings(job.params), this.slotId, withTimings));
      job.res.writeHead(200, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body) });
      job.res.end(body);
      const at = process.hrtime.bigint();
      if (job.truth) {
        job.truth.headersAt = at;
        for (let i = this.produced; i > 0; i--) job.truth.tokenWrites.push(at);
      }
    }
    this.end();
  }

  /** A chunk cut in the middle of its JSON, then the end of the response. */
  private malformed(): void {
    const { job } = this;
    if (!job.stream) {
      job.res.writeHead(200, JSON_HEADERS);
      job.res.end('{"choices":[{"finish_reason":"length","index":0,"message":{"role":"assistant","content":"');
      return;
    }
    this.writeHeaders();
    job.res.end(job.endpoint === 'native' ? 'data: {"index":0,"content":"tr\n\n' : 'data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":"tr\n\n');
  }

  /** Record the request in the ground truth and the model's /metrics counters (once). */
  private account(): void {
    if (this.accounted) return;
    this.accounted = true;
    const { runtime, truth, promptTokens } = this.job;
    const n = this.generated.length;
    const evaluated = promptTokens.length - this.cached;
    const predictedMs = n > 0 ? this.due - this.firstDue : 0;
    const m = runtime.metrics;
    const w = runtime.window;
    m.promptTokens += evaluated;
    m.cachedTokens += this.cached;
    m.promptSeconds += this.promptMs / 1000;
    m.predictedTokens += n;
    m.predictedSeconds += predictedMs / 1000;
    m.maxTokens = Math.max(m.maxTokens, promptTokens.length + n);
    w.promptTokens += evaluated;
    w.promptSeconds += this.promptMs / 1000;
    w.predictedTokens += n;
    w.predictedSeconds += predictedMs / 1000;
    if (truth) {
      truth.cachedTokens = this.cached;
      truth.predictedTokens = n;
    }
  }
}
