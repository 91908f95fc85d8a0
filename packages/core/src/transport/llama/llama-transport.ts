/**
 * The Transport for llama-server, llama-swap and OpenAI-compatible servers (vLLM, Ollama's `/v1`), on an
 * undici Pool with keep-alive. What each kind can do differs: only llama-swap unloads and lists running
 * models, only llama.cpp tokenizes; the methods a kind lacks are left out, so the engine sees it.
 */
import type { Dispatcher } from 'undici';
import { HostUnreachableError, SwapbenchError } from '../../errors.js';
import type {
  ActivityProbe,
  CallOptions,
  ModelInfo,
  PromptInput,
  ServerInfo,
  ServerKind,
  ServerProps,
  StreamRequest,
  Transport,
  TransportEvent,
} from '../transport.js';
import { HttpClient } from './http.js';
import { StreamParser } from './stream-parser.js';

export interface LlamaTransportOptions {
  /** e.g. `http://127.0.0.1:8080` (a trailing `/v1` is fine). */
  baseUrl: string;
  /** What the server is; default `llama-server`. `connectLlamaTransport` can detect it. */
  kind?: ServerKind;
  /** Pool size: at least the highest concurrency you will run; default 16. */
  connections?: number;
  /** Sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** undici's headers timeout (time to response headers), ms; default 300 000. */
  headersTimeoutMs?: number;
  /** undici's body timeout (longest silence inside a body), ms; default 300 000. */
  bodyTimeoutMs?: number;
  /** Monotonic clock for event stamps, ms; default `performance.now`. */
  clock?: () => number;
  /** Use this dispatcher instead of a Pool of our own (tests: undici MockAgent). */
  dispatcher?: Dispatcher;
}

export function createLlamaTransport(options: LlamaTransportOptions): Transport {
  const kind = options.kind ?? 'llama-server';
  const clock = options.clock ?? (() => performance.now());
  const http = new HttpClient({
    baseUrl: options.baseUrl,
    connections: options.connections ?? 16,
    apiKey: options.apiKey,
    headersTimeoutMs: options.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    dispatcher: options.dispatcher,
  });
  const llama = kind !== 'openai';
  /** llama-server's own routes for a model: through llama-swap they live under `/upstream/<model>`. */
  const upstream = (model: string, path: string) => (kind === 'llama-swap' ? `/upstream/${model.split('/').map(encodeURIComponent).join('/')}${path}` : path);

  async function* stream(request: StreamRequest, callOptions?: CallOptions): AsyncGenerator<TransportEvent> {
    const signal = callOptions?.signal;
    const native = request.endpoint === 'completion' && llama;
    const path = request.endpoint === 'chat' ? '/v1/chat/completions' : native ? '/completion' : '/v1/completions';
    const body: Record<string, unknown> = { model: request.model, ...request.sampling, stream: true };
    if (request.endpoint === 'chat') {
      body.messages = request.messages;
      body.max_tokens = request.maxTokens;
      body.stream_options = { include_usage: true };
    } else {
      body.prompt = request.prompt;
      body[native ? 'n_predict' : 'max_tokens'] = request.maxTokens;
    }
    // vLLM honours ignore_eos too; cache_prompt is llama.cpp's (others ignore unknown fields or reject them).
    body.ignore_eos = request.ignoreEos;
    if (llama) body.cache_prompt = request.cachePrompt;

    const response = await http.send({ method: 'POST', path, body, signal, model: request.model });
    const parser = new StreamParser(native);
    try {
      yield { type: 'response-start', at: clock(), status: response.statusCode };
      for await (const bytes of response.body) {
        parser.feed(bytes as Buffer, clock());
        // Yield what this read carried; the array is drained in place, no per-read allocation.
        while (parser.pending.length > 0) yield parser.pending.shift()!;
      }
      const final = parser.end(clock());
      if (final) yield final;
    } catch (err) {
      throw http.mapError(err, signal, 'body');
    } finally {
      // Leaving early (break, abort, error): an unconsumed undici body must be destroyed.
      if (!response.body.destroyed && !response.body.readableEnded) response.body.destroy();
    }
  }

  const transport: Transport = {
    kind,
    baseUrl: options.baseUrl,
    async listModels(callOptions) {
      const json = await http.json<{ data?: { id?: unknown; status?: { value?: unknown } }[]; models?: { name?: unknown }[] }>({ method: 'GET', path: '/v1/models', signal: callOptions?.signal });
      const list: ModelInfo[] = [];
      for (const m of json.data ?? []) {
        if (typeof m.id !== 'string') continue;
        const status = m.status?.value;
        list.push({ id: m.id, ...(typeof status === 'string' ? { loaded: status === 'loaded' } : {}), raw: m });
      }
      // Ollama's native shape, when `/v1/models` is proxied to it.
      if (list.length === 0) for (const m of json.models ?? []) if (typeof m.name === 'string') list.push({ id: m.name, raw: m });
      return list;
    },
    stream,
    async describe(models, callOptions) {
      const signal = callOptions?.signal;
      const info: ServerInfo = { kind, baseUrl: options.baseUrl };
      info.models = await http.json({ method: 'GET', path: '/v1/models', signal }).catch(() => undefined);
      if (kind === 'llama-swap') info.running = await http.json({ method: 'GET', path: '/running', signal }).catch(() => undefined);
      if (llama) {
        info.props = {};
        // One model is enough for a single llama-server; through llama-swap each model is its own server.
        // Through llama-swap, asking a model that is not loaded would load it: describe only running ones.
        const running = kind === 'llama-swap' ? await runningModels(signal).catch(() => [] as string[]) : [];
        for (const model of kind === 'llama-swap' ? models.filter((m) => running.includes(m)) : models.slice(0, 1)) {
          const props = await http.json<Record<string, unknown>>({ method: 'GET', path: upstream(model, '/props'), signal }).catch(() => undefined);
          if (props) info.props[model] = mapProps(props);
        }
      }
      return info;
    },
    async close() {
      await http.close();
    },
  };

  if (llama) {
    transport.tokenize = async (model: string, input: PromptInput, callOptions?: CallOptions) => {
      const signal = callOptions?.signal;
      let content: string;
      if (input.endpoint === 'chat') {
        const templated = await http.json<{ prompt?: unknown }>({ method: 'POST', path: upstream(model, '/apply-template'), body: { messages: input.messages }, signal, model });
        if (typeof templated.prompt !== 'string') throw new SwapbenchError('UNSUPPORTED', `${http.url(upstream(model, '/apply-template'))} returned no prompt`);
        content = templated.prompt;
      } else {
        content = input.prompt;
      }
      // The server tokenizes chat and completion prompts with special tokens on (BOS added, `<s>` parsed).
      const tokens = await http.json<{ tokens?: unknown[] }>({ method: 'POST', path: upstream(model, '/tokenize'), body: { content, add_special: true, parse_special: true }, signal, model });
      if (!Array.isArray(tokens.tokens)) throw new SwapbenchError('UNSUPPORTED', `${http.url(upstream(model, '/tokenize'))} returned no tokens`);
      return tokens.tokens.length;
    };
    transport.probeActivity = async (callOptions?: CallOptions): Promise<ActivityProbe> => {
      const signal = callOptions?.signal;
      const evidence: string[] = [];
      let models: (string | undefined)[] = [undefined];
      if (kind === 'llama-swap') {
        models = (await runningModels(signal)).map((m) => m);
        if (models.length === 0) return { busy: false, evidence: ['no model is loaded'] };
      }
      for (const model of models) {
        const slots = await http
          .json<{ id?: number; is_processing?: boolean }[]>({ method: 'GET', path: model === undefined ? '/slots' : upstream(model, '/slots'), signal })
          .catch(() => undefined);
        if (!Array.isArray(slots)) {
          evidence.push(`${model ?? 'server'}: /slots not available`);
          continue;
        }
        for (const s of slots) if (s.is_processing) evidence.push(`${model ? `${model} ` : ''}slot ${s.id} is processing`);
      }
      return { busy: evidence.some((e) => e.includes('is processing')), evidence };
    };
  }

  async function runningModels(signal?: AbortSignal): Promise<string[]> {
    const json = await http.json<{ running?: { model?: unknown; state?: unknown }[] }>({ method: 'GET', path: '/running', signal });
    return (json.running ?? []).filter((r) => r.state === undefined || r.state === 'ready').flatMap((r) => (typeof r.model === 'string' ? [r.model] : []));
  }

  if (kind === 'llama-swap') {
    transport.runningModels = (callOptions?: CallOptions) => runningModels(callOptions?.signal);
    transport.unload = async (model: string, callOptions?: CallOptions) => {
      const response = await http.send({ method: 'POST', path: `/api/models/unload/${model.split('/').map(encodeURIComponent).join('/')}`, signal: callOptions?.signal, model });
      await response.body.text();
    };
  }
  return transport;
}

/**
 * Connect to a server, finding out what it is when `kind` is `auto` (the default): llama-swap answers
 * `/running`, llama-server `/props`, anything else OpenAI-compatible is `openai`. Rejects with
 * HostUnreachableError when nothing answers.
 */
export async function connectLlamaTransport(options: Omit<LlamaTransportOptions, 'kind'> & { kind?: ServerKind | 'auto'; signal?: AbortSignal }): Promise<Transport> {
  const { kind = 'auto', signal, ...rest } = options;
  if (kind !== 'auto') return createLlamaTransport({ ...rest, kind });
  const http = new HttpClient({ baseUrl: rest.baseUrl, connections: 1, apiKey: rest.apiKey, dispatcher: rest.dispatcher });
  try {
    const answers = async (path: string, test: (json: Record<string, unknown>) => boolean): Promise<boolean> => {
      try {
        return test(await http.json<Record<string, unknown>>({ method: 'GET', path, signal }));
      } catch (err) {
        if (err instanceof HostUnreachableError || signal?.aborted) throw err;
        return false;
      }
    };
    const detected: ServerKind = (await answers('/running', (j) => Array.isArray(j.running)))
      ? 'llama-swap'
      : (await answers('/props', (j) => 'default_generation_settings' in j || 'build_info' in j))
        ? 'llama-server'
        : 'openai';
    return createLlamaTransport({ ...rest, kind: detected });
  } finally {
    await http.close();
  }
}

function mapProps(props: Record<string, unknown>): ServerProps {
  const settings = props.default_generation_settings as { n_ctx?: unknown } | undefined;
  const out: ServerProps = {};
  if (typeof props.build_info === 'string') out.buildInfo = props.build_info;
  if (typeof props.model_path === 'string') out.modelPath = props.model_path;
  if (typeof props.model_alias === 'string') out.modelAlias = props.model_alias;
  const nCtx = settings?.n_ctx ?? props.n_ctx;
  if (typeof nCtx === 'number') out.nCtx = nCtx;
  if (typeof props.total_slots === 'number') out.totalSlots = props.total_slots;
  if (typeof props.chat_template === 'string') out.chatTemplate = props.chat_template;
  return out;
}
