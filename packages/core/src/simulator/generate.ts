/**
 * One generation request, end to end: wait for a slot, "process the prompt", then emit tokens on a planned
 * schedule. The reported `timings` are that plan; the sockets get each token when the plan says (or as soon
 * after as the event loop allows). What goes on the socket, and how it is split into writes, is the
 * ResponseWriter's.
 */
import type { ServerResponse } from 'node:http';
import type { ModelRuntime, Slot, SlotTask } from './model-runtime.js';
import { ResponseWriter } from './response-writer.js';
import type { Outcome, ResponseIdentity } from './responses.js';
import { slotParams, type RequestParams } from './sampling-params.js';
import type { Scheduled, Scheduler } from './scheduler.js';
import { prng } from '../util/rng.js';
import { WORDS } from '../util/words.js';
import { pieceId, tokenPieces } from './tokenizer.js';
import type { Fault, GroundTruthRequest } from './types.js';

/** `ollama-chat`, `ollama-generate`: Ollama's native NDJSON streams (simulator `ollama` mode). */
export type GenerationEndpoint = 'chat' | 'text' | 'native' | 'ollama-chat' | 'ollama-generate';

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
  /** How long the request waited for its model to load, ms (Ollama's `load_duration`). */
  loadMs?: number;
}

/** Chance per token (after the first) that a model without ignore_eos samples end-of-generation. */
const EOS_CHANCE = 0.01;
/**
 * The words generated text is made of: the shared prompt words that are one token each in the simulator's
 * tokenizer (with their leading space), the first 134 of them. A seed's text depends on the list's length, so
 * it stays at the 134 the simulator has always generated from.
 */
const GENERATED_WORDS = WORDS.filter((w) => tokenPieces(w).length === 1).slice(0, 134);

export async function generate(job: GenerationJob): Promise<void> {
  const { runtime, res, signal, truth } = job;
  let slot: Slot;
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
  /** Content tokens produced (streamed or not): where faults trigger. */
  private produced = 0;
  private content = '';
  private faultDone = false;
  private pending: Scheduled | undefined;
  private finished = false;
  private accounted = false;
  private resolve!: () => void;
  private readonly writer: ResponseWriter;

  constructor(
    private readonly job: GenerationJob,
    slotId: number,
    cachedPrefix: (tokens: number[]) => number,
    /** Token ids sampled so far (EOS included): the slot's cache after the request. */
    private readonly generated: number[],
    setTask: (task: SlotTask) => void,
  ) {
    this.p = job.runtime.profile;
    this.writer = new ResponseWriter(job, slotId);
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
    if (
      fault &&
      !this.faultDone &&
      this.produced === (fault.afterTokens ?? 1) &&
      (fault.kind === 'reset' || fault.kind === 'malformed-chunk' || fault.kind === 'stall')
    ) {
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
      else this.writer.malformed();
      this.end();
      return;
    }
    const n = this.generated.length + 1;
    if (n > 1 && !this.job.params.ignoreEos && this.text() < EOS_CHANCE) {
      this.generated.push(2);
      this.finish('stop');
      return;
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
    if (this.job.stream) this.writer.token(piece, id, n, this.job.params.timingsPerToken ? this.outcome('length', 'limit') : undefined);
    if (n >= this.limit) {
      this.finish('length');
      return;
    }
    const gap = Number.isFinite(this.p.genTps) ? 1000 / this.p.genTps : 0;
    // Batched decoding: every other busy slot slows this stream down a little.
    const slowdown = 1 + this.p.batchSlowdown * Math.max(0, this.job.runtime.busySlots - 1);
    this.due += gap * slowdown * this.jitterFactor();
    this.pending = this.job.scheduler.at(this.due, this.step);
  };

  private nextPiece(): string {
    const r = this.text();
    if (this.generated.length > 1 && r < 0.06) return r < 0.005 ? '\n' : r < 0.035 ? ',' : '.';
    return ` ${GENERATED_WORDS[Math.floor(this.text() * GENERATED_WORDS.length)]!}`;
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
    if (this.finished || this.job.signal.aborted) return;
    this.writer.tail(o, this.content, this.produced);
    this.end();
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
