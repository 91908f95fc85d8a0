/**
 * One generation request, end to end: wait for a slot, "process the prompt", then write tokens on schedule
 * (one per write, the role chunk sharing the first token's write, as llama-server does), with faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WORDS, prng } from '../engine/prompts.js';
import type { ModelRuntime } from './model-runtime.js';
import {
  chatBody,
  chatStream,
  nativeFinal,
  nativeStream,
  textCompletionBody,
  textCompletionStream,
  type Outcome,
  type ResponseIdentity,
} from './responses.js';
import { sleep, type Scheduler } from './scheduler.js';
import { pieceId } from './tokenizer.js';
import type { Fault, GroundTruthRequest } from './types.js';

export type GenerationEndpoint = 'chat' | 'text' | 'native';

export interface GenerationRequest {
  endpoint: GenerationEndpoint;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number[];
  /** The prompt as text, echoed by `/completion`. */
  promptText: string;
  /** -1: until the context is full. */
  maxTokens: number;
  ignoreEos: boolean;
  cachePrompt: boolean;
  seed: number;
  settings: Record<string, unknown>;
}

export interface GenerationContext {
  runtime: ModelRuntime;
  scheduler: Scheduler;
  /** The model name the response reports. */
  modelName: string;
  identity: ResponseIdentity;
  fault: Fault | undefined;
  truth: GroundTruthRequest | undefined;
  req: IncomingMessage;
  res: ServerResponse;
}

const SSE_HEADERS = {
  Server: 'llama.cpp',
  'Access-Control-Allow-Origin': '',
  'X-Accel-Buffering': 'no',
  'Content-Type': 'text/event-stream',
};

export async function generate(ctx: GenerationContext, g: GenerationRequest): Promise<void> {
  const { runtime, scheduler, res, truth, fault } = ctx;
  const profile = runtime.profile;
  const controller = new AbortController();
  // The client went away: stop generating, free the slot.
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  };
  res.on('close', onClose);
  const signal = controller.signal;

  let slot;
  try {
    slot = await runtime.acquire(g.cachePrompt ? g.promptTokens : undefined, signal);
  } catch {
    return;
  }
  const generated: number[] = [];
  try {
    const cached = g.cachePrompt ? runtime.cached(slot, g.promptTokens) : 0;
    slot.idTask = runtime.nextTaskId();
    slot.nPromptTokens = g.promptTokens.length;
    const evaluated = g.promptTokens.length - cached;
    const tSlot = performance.now();
    await sleep(scheduler, profile.ttftMs + (evaluated / profile.promptTps) * 1000, signal);

    const room = profile.ctxSize - g.promptTokens.length;
    const limit = g.maxTokens < 0 ? room : Math.min(g.maxTokens, room);
    const rng = prng(g.seed >>> 0);
    let text = '';
    let firstAt = 0;
    let lastAt = 0;
    let finishReason: Outcome['finishReason'] = 'length';
    const chat = chatStream(ctx.identity);
    const oaiText = textCompletionStream(ctx.identity);
    const native = nativeStream(g.promptTokens.length);
    const afterTokens = fault?.afterTokens ?? 1;

    await new Promise<void>((resolve, reject) => {
      // A client that leaves mid-stall must free its slot now, not when the stall ends.
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      let due = performance.now();
      let stalled = false;
      const step = (): void => {
        if (signal.aborted) return reject(signal.reason);
        if (fault && generated.length === afterTokens && !stalled) {
          if (fault.kind === 'reset') {
            res.socket?.destroy();
            return reject(new Error('reset'));
          }
          if (fault.kind === 'malformed-chunk') {
            res.end('data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":"trunc\n\n');
            return reject(new Error('malformed'));
          }
          if (fault.kind === 'stall') {
            stalled = true;
            due = performance.now() + (fault.stallMs ?? 60_000);
            return scheduler.at(due, step);
          }
        }
        const word = WORDS[Math.floor(rng() * WORDS.length)]!;
        const piece = ` ${word}`;
        const id = pieceId(piece);
        generated.push(id);
        text += piece;
        const now = performance.now();
        if (generated.length === 1) firstAt = now;
        lastAt = now;
        if (g.stream) {
          const out =
            g.endpoint === 'chat' ? (generated.length === 1 ? chat.role : '') + chat.token(piece)
            : g.endpoint === 'text' ? oaiText.token(piece)
            : native.token(piece, id);
          if (generated.length === 1) res.writeHead(200, SSE_HEADERS);
          res.write(out);
          const at = process.hrtime.bigint();
          if (truth) {
            if (generated.length === 1) truth.headersAt = at;
            truth.tokenWrites.push(at);
          }
        } else if (truth) {
          truth.tokenWrites.push(process.hrtime.bigint());
        }
        const naturalStop = !g.ignoreEos && generated.length >= 4 && rng() < 0.02;
        if (generated.length >= limit || naturalStop) {
          if (naturalStop && generated.length < limit) finishReason = 'stop';
          return resolve();
        }
        // Batched decoding: every other busy slot slows this stream down a little.
        const gap = 1000 / profile.genTps;
        const slowdown = 1 + profile.batchSlowdown * Math.max(0, runtime.busySlots - 1);
        const jitter = 1 + profile.jitter * (2 * rng() - 1);
        due = Math.max(due + gap * slowdown * jitter, now - 1);
        scheduler.at(due, step);
      };
      step();
    });

    const outcome: Outcome = {
      promptTokens: g.promptTokens.length,
      cachedTokens: cached,
      promptMs: firstAt - tSlot,
      predicted: generated.length,
      predictedMs: lastAt - firstAt,
      finishReason,
    };
    const withTimings = fault?.kind !== 'missing-timings';
    const m = runtime.metrics;
    m.promptTokens += evaluated;
    m.cachedTokens += cached;
    m.promptSeconds += outcome.promptMs / 1000;
    m.predictedTokens += generated.length;
    m.predictedSeconds += outcome.predictedMs / 1000;
    m.decodes += generated.length;
    m.maxTokens = Math.max(m.maxTokens, g.promptTokens.length + generated.length);
    if (truth) {
      truth.cachedTokens = cached;
      truth.predictedTokens = generated.length;
    }

    if (g.stream) {
      let tail = '';
      if (g.endpoint === 'chat') {
        tail = chat.finish(outcome, withTimings && !g.includeUsage) + (g.includeUsage ? chat.usage(outcome, withTimings) : '');
      } else if (g.endpoint === 'text') {
        tail = oaiText.finish(outcome, withTimings);
      } else {
        tail = `data: ${JSON.stringify(nativeFinal(ctx.modelName, '', g.promptText, outcome, g.settings, slot.id, withTimings))}\n\n`;
      }
      // The native endpoint ends by closing the stream; the OAI ones with [DONE].
      if (g.endpoint !== 'native' && fault?.kind !== 'no-done') tail += 'data: [DONE]\n\n';
      res.end(tail);
    } else {
      const body =
        g.endpoint === 'chat' ? chatBody(ctx.identity, text, outcome, withTimings)
        : g.endpoint === 'text' ? textCompletionBody(ctx.identity, text, outcome, withTimings)
        : JSON.stringify(nativeFinal(ctx.modelName, text, g.promptText, outcome, g.settings, slot.id, withTimings));
      res.writeHead(200, { Server: 'llama.cpp', 'Access-Control-Allow-Origin': '', 'Content-Type': 'application/json; charset=utf-8' });
      const at = process.hrtime.bigint();
      if (truth) truth.headersAt = at;
      res.end(body);
    }
    if (truth) truth.finishedAt = process.hrtime.bigint();
  } catch {
    // Disconnected, reset or malformed on purpose: the slot is freed below; nothing more to send.
    if (!res.writableEnded && !res.destroyed) res.destroy();
  } finally {
    res.off('close', onClose);
    runtime.release(slot, [...g.promptTokens, ...generated]);
  }
}
