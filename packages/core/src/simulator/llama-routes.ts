/** llama-server's routes for one model: generation, tokenizer helpers and monitoring. */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { GenerationEndpoint } from './generate.js';
import type { ModelRuntime } from './model-runtime.js';
import { llamaError, NOT_FOUND } from './responses.js';
import type { Scheduler } from './scheduler.js';
import { send, sendJson } from './send.js';
import { metricsText, modelsBody, propsBody, slotsBody } from './server-info.js';
import { applyTemplate, chatPromptTokens, detokenize, pieceId, tokenizeText, tokenPieces } from './tokenizer.js';
import type { Fault, GroundTruthRequest } from './types.js';
import { readMessages, startGeneration } from './start-generation.js';

/** One HTTP request as the simulator handles it, body already read. */
export interface SimRequest {
  method: string;
  /** The llama-server path (llama-swap's `/upstream/<model>` prefix removed). */
  path: string;
  body: string;
  /** Headers parsed (before the body was read). */
  arrivedAt: bigint;
  /** Body read. */
  receivedAt: bigint;
  /** The `X-Request-Id` header, if any. */
  requestId: string | undefined;
  res: ServerResponse;
  /** Aborts when the client leaves or the simulator closes. */
  signal: AbortSignal;
}

/** What the server shares with the routes. */
export interface SimContext {
  scheduler: Scheduler;
  seed: number;
  /** Unix seconds the simulator started (`created` of `/v1/models`). */
  created: number;
  /** The next generation request's ordinal, from 1. */
  nextOrdinal(): number;
  pickFault(model: string, ordinal: number): Fault | undefined;
  /** Adds to the ground truth when it is kept. */
  record(truth: GroundTruthRequest): GroundTruthRequest | undefined;
  /** What llama-swap answers for a model it does not know (unknown-model fault in llama-swap mode). */
  unknownModel(res: ServerResponse, model: unknown): void;
}

/** Set by llama-swap when it routed a generation request: its ordinal, fault, record and load wait come from there. */
export interface Routed {
  ordinal: number;
  fault: Fault | undefined;
  swapped: boolean;
  loadMs: number;
  id: string;
  /** Recorded when llama-swap received the request, so one abandoned during a load is in the log too. */
  truth: GroundTruthRequest | undefined;
}

/** A response id like llama-server's: `chatcmpl-` and 32 letters and digits. */
export function responseId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return `chatcmpl-${Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('')}`;
}

/** The ground-truth record of a generation request just received: nothing written, counted or loaded yet. */
export function newTruth(id: string, model: string, req: SimRequest): GroundTruthRequest {
  return {
    id,
    model,
    endpoint: req.path,
    arrivedAt: req.arrivedAt,
    receivedAt: req.receivedAt,
    tokenWrites: [],
    promptTokens: 0,
    cachedTokens: 0,
    predictedTokens: 0,
    swapped: false,
    loadMs: 0,
    ...(req.requestId !== undefined && { requestId: req.requestId }),
  };
}

export const ENDPOINTS: Record<string, GenerationEndpoint | undefined> = {
  '/v1/chat/completions': 'chat',
  '/chat/completions': 'chat',
  '/v1/completions': 'text',
  '/completions': 'text',
  '/completion': 'native',
};

/** Parse a body as llama-server does; on failure answer its 500 with an nlohmann-like message. */
export function parseBody(req: SimRequest): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(req.body);
    if (json && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>;
    sendJson(req.res, 500, llamaError(500, 'server_error', '[json.exception.type_error.302] type must be object'));
  } catch (err) {
    const where = /line (\d+) column (\d+)/.exec((err as Error).message);
    const at = where ? `line ${where[1]}, column ${where[2]}` : `line 1, column ${req.body.length + 1}`;
    sendJson(
      req.res,
      500,
      llamaError(
        500,
        'server_error',
        `[json.exception.parse_error.101] parse error at ${at}: syntax error while parsing value - ${(err as Error).message}`,
      ),
    );
  }
  return undefined;
}

export async function serveLlama(ctx: SimContext, runtime: ModelRuntime, req: SimRequest, routed?: Routed): Promise<void> {
  const { res, path } = req;
  if (req.method === 'GET' || req.method === 'HEAD') {
    switch (path) {
      case '/health':
      case '/v1/health':
        return sendJson(res, 200, '{"status":"ok"}');
      case '/props':
        return sendJson(res, 200, JSON.stringify(propsBody(runtime)));
      case '/slots':
        return sendJson(res, 200, JSON.stringify(slotsBody(runtime)));
      case '/metrics':
        return send(
          res,
          200,
          {
            Server: 'llama.cpp',
            'Access-Control-Allow-Origin': '',
            'Process-Start-Time-Unix': String(ctx.created),
            'Content-Type': 'text/plain; version=0.0.4',
          },
          metricsText(runtime),
        );
      case '/v1/models':
      case '/models':
        return sendJson(res, 200, JSON.stringify(modelsBody(runtime, ctx.created)));
      default:
        return sendJson(res, 404, NOT_FOUND);
    }
  }
  const endpoint = ENDPOINTS[path];
  const known =
    endpoint ||
    path === '/tokenize' ||
    path === '/detokenize' ||
    path === '/apply-template' ||
    path === '/v1/chat/completions/input_tokens';
  if (req.method !== 'POST' || !known) return sendJson(res, 404, NOT_FOUND);
  const json = parseBody(req);
  if (!json) return;
  switch (path) {
    case '/tokenize': {
      const content = typeof json.content === 'string' ? json.content : '';
      const opts = { addSpecial: json.add_special === true, parseSpecial: json.parse_special !== false };
      if (json.with_pieces === true)
        return sendJson(res, 200, JSON.stringify({ tokens: tokenPieces(content, opts).map((piece) => ({ id: pieceId(piece), piece })) }));
      return sendJson(res, 200, JSON.stringify({ tokens: tokenizeText(content, opts) }));
    }
    case '/detokenize': {
      const tokens = Array.isArray(json.tokens) ? json.tokens.filter((t): t is number => typeof t === 'number') : [];
      return sendJson(res, 200, JSON.stringify({ content: detokenize(tokens) }));
    }
    case '/apply-template':
    case '/v1/chat/completions/input_tokens': {
      const messages = readMessages(json, res);
      if (!messages) return;
      if (path === '/apply-template') return sendJson(res, 200, JSON.stringify({ prompt: applyTemplate(messages) }));
      return sendJson(res, 200, JSON.stringify({ object: 'response.input_tokens', input_tokens: chatPromptTokens(messages).length }));
    }
  }
  return startGeneration(ctx, runtime, req, endpoint!, json, routed);
}
