/**
 * The Transport for llama-server, llama-swap and OpenAI-compatible servers (vLLM, Ollama's `/v1`), on an
 * undici Pool with keep-alive. What each kind can do differs: only llama-swap unloads and lists running
 * models, only llama.cpp tokenizes and shows its slots; the methods a kind lacks are left out, so the
 * engine sees it.
 */
import type { Dispatcher } from 'undici';
import { SwapbenchError } from '../../errors/errors.js';
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
import { detectKind } from './detect.js';
import { EventStream } from './event-stream.js';
import { HttpClient } from './http.js';
import { StreamParser } from './stream-parser.js';

export interface LlamaTransportOptions {
  /** e.g. `http://127.0.0.1:8080` (a trailing slash or `/v1` is fine). */
  baseUrl: string;
  /**
   * What the server is. `auto` (the default) detects it on the first call: llama-swap answers `/running`,
   * llama-server `/props`, anything else is `openai`. Until then `kind` reads `openai` and every optional
   * method is present; prefer `connectLlamaTransport`, which detects before it returns.
   */
  kind?: ServerKind | 'auto';
  /** Pool size: at least the highest concurrency you will run; default 16. */
  connections?: number;
  /** Sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Longest wait for response headers, ms; default undici's 300 000. Exceeded: RequestTimeoutError('headers'). */
  headersTimeoutMs?: number;
  /** Longest silence inside a body, ms; default undici's 300 000. Exceeded: RequestTimeoutError('body'). */
  bodyTimeoutMs?: number;
  /** Monotonic clock for event stamps, ms; default `performance.now`. */
  clock?: () => number;
  /** Use this dispatcher instead of a Pool of our own (tests: undici MockAgent). Not closed by `close()`. */
  dispatcher?: Dispatcher;
}

/** Create a transport. With `kind: 'auto'` (the default) the server is identified on the first call. */
export function createLlamaTransport(options: LlamaTransportOptions): Transport {
  const http = httpClient(options);
  const kind = options.kind ?? 'auto';
  return kind === 'auto' ? autoTransport(http, options) : buildTransport(kind, http, options);
}

/**
 * Connect to a server, identifying it first when `kind` is `auto` (the default), so the transport's
 * `kind` and optional methods are right from the start. Rejects with HostUnreachableError when nothing
 * answers.
 */
export async function connectLlamaTransport(options: LlamaTransportOptions & CallOptions): Promise<Transport> {
  const { signal, ...rest } = options;
  const http = httpClient(rest);
  try {
    const kind = rest.kind === undefined || rest.kind === 'auto' ? await detectKind(http, signal) : rest.kind;
    return buildTransport(kind, http, rest);
  } catch (err) {
    await http.close();
    throw err;
  }
}

function httpClient(options: LlamaTransportOptions): HttpClient {
  return new HttpClient({
    baseUrl: options.baseUrl,
    connections: options.connections ?? 16,
    apiKey: options.apiKey,
    headersTimeoutMs: options.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    dispatcher: options.dispatcher,
  });
}

/** The request body and route of one streamed request. */
function streamRoute(kind: ServerKind, request: StreamRequest): { path: string; native: boolean; body: Record<string, unknown> } {
  const llama = kind !== 'openai';
  const native = request.endpoint === 'completion' && llama;
  // `model` goes in the body on every route: llama-swap routes `/completion` by it too.
  const body: Record<string, unknown> = { model: request.model, ...request.sampling, stream: true };
  if (request.endpoint === 'chat') {
    body.messages = request.messages;
    body.max_tokens = request.maxTokens;
    body.stream_options = { include_usage: true };
  } else {
    body.prompt = request.prompt;
    body[native ? 'n_predict' : 'max_tokens'] = request.maxTokens;
    // `/v1/completions` ignores include_usage on llama.cpp; vLLM and Ollama need it for `usage`.
    if (!native) body.stream_options = { include_usage: true };
  }
  // vLLM honours ignore_eos too (others ignore unknown fields). cache_prompt is llama.cpp's alone, and an
  // OpenAI-compatible server would silently ignore it, so sending it there would only pretend to work.
  body.ignore_eos = request.ignoreEos;
  if (llama) body.cache_prompt = request.cachePrompt;
  const path = request.endpoint === 'chat' ? '/v1/chat/completions' : native ? '/completion' : '/v1/completions';
  return { path, native, body };
}

function buildTransport(kind: ServerKind, http: HttpClient, options: LlamaTransportOptions): Transport {
  const clock = options.clock ?? (() => performance.now());
  const llama = kind !== 'openai';
  /** llama-server's own routes for a model: through llama-swap they live under `/upstream/<model>`. */
  const upstream = (model: string, path: string) => (kind === 'llama-swap' ? `/upstream/${modelPath(model)}${path}` : path);

  /** Stamping and parsing happen in the socket's read callback (EventStream); leaving the loop cancels. */
  function stream(request: StreamRequest, callOptions?: CallOptions): AsyncIterable<TransportEvent> {
    const { path, native, body } = streamRoute(kind, request);
    return new EventStream(http, { method: 'POST', path, body, signal: callOptions?.signal, model: request.model }, new StreamParser(native), clock);
  }

  async function running(signal?: AbortSignal): Promise<{ model: string; state: string | undefined }[]> {
    const json = await http.json<{ running?: { model?: unknown; state?: unknown }[] }>({ method: 'GET', path: '/running', signal });
    return (Array.isArray(json.running) ? json.running : []).flatMap((r) =>
      typeof r?.model === 'string' ? [{ model: r.model, state: typeof r.state === 'string' ? r.state : undefined }] : [],
    );
  }
  /** Loaded and ready (legacy builds list ready models only, without a state). */
  const runningModels = async (signal?: AbortSignal) => (await running(signal)).filter((r) => r.state === undefined || r.state === 'ready').map((r) => r.model);

  async function slotsEvidence(model: string | undefined, signal: AbortSignal | undefined): Promise<{ busy: boolean; evidence: string[] }> {
    const who = model === undefined ? '' : `${model} `;
    const slots = await http.json<unknown>({ method: 'GET', path: model === undefined ? '/slots' : upstream(model, '/slots'), signal }).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      return undefined;
    });
    if (Array.isArray(slots)) {
      const evidence = slots.flatMap((s: { id?: unknown; is_processing?: unknown }) => (s?.is_processing === true ? [`${who}slot ${String(s.id)} is processing`] : []));
      return { busy: evidence.length > 0, evidence };
    }
    // `/slots` can be disabled (`--no-slots`): the Prometheus gauge says the same when `--metrics` is on.
    const metrics = await http.text({ method: 'GET', path: model === undefined ? '/metrics' : upstream(model, '/metrics'), signal }).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      return undefined;
    });
    const processing = metrics?.match(/^llamacpp:requests_processing\s+([0-9.eE+-]+)/m)?.[1];
    if (processing !== undefined) {
      const n = Number(processing);
      return { busy: n > 0, evidence: n > 0 ? [`${who}${n} request(s) processing (metrics)`] : [] };
    }
    return { busy: false, evidence: [`${model ?? 'server'}: neither /slots nor /metrics available`] };
  }

  const transport: Transport = {
    kind,
    baseUrl: options.baseUrl,
    async listModels(callOptions) {
      const signal = callOptions?.signal;
      const json = await http.json<{ data?: unknown; models?: unknown }>({ method: 'GET', path: '/v1/models', signal });
      const list: ModelInfo[] = [];
      for (const m of Array.isArray(json.data) ? (json.data as { id?: unknown; status?: { value?: unknown } }[]) : []) {
        if (typeof m?.id !== 'string') continue;
        const status = m.status?.value;
        list.push({ id: m.id, ...(typeof status === 'string' ? { loaded: status === 'loaded' } : {}), raw: m });
      }
      // Ollama's native shape, when `/v1/models` is proxied to it.
      if (list.length === 0) for (const m of Array.isArray(json.models) ? (json.models as { name?: unknown }[]) : []) if (typeof m?.name === 'string') list.push({ id: m.name, raw: m });
      // Older llama-swap builds have no `status`: one `/running` answers for all.
      if (kind === 'llama-swap' && list.some((m) => m.loaded === undefined)) {
        const loaded = await runningModels(signal).catch((err: unknown) => {
          if (signal?.aborted) throw err;
          return undefined;
        });
        if (loaded) for (const m of list) m.loaded ??= loaded.includes(m.id);
      }
      return list;
    },
    stream,
    async describe(models, callOptions) {
      const signal = callOptions?.signal;
      const info: ServerInfo = { kind, baseUrl: options.baseUrl };
      const optional = <T>(p: Promise<T>) =>
        p.catch((err: unknown) => {
          if (signal?.aborted) throw err;
          return undefined;
        });
      info.models = await optional(http.json({ method: 'GET', path: '/v1/models', signal }));
      if (kind === 'llama-swap') info.running = await optional(http.json({ method: 'GET', path: '/running', signal }));
      if (kind === 'llama-server') {
        // One server, one model: the same props describe every name it is asked by.
        const props = await optional(http.json<Record<string, unknown>>({ method: 'GET', path: '/props', signal }));
        if (props) {
          const mapped = mapProps(props);
          info.props = {};
          for (const model of models.length > 0 ? models : [mapped.modelAlias ?? 'default']) info.props[model] = mapped;
        }
      } else if (kind === 'llama-swap') {
        // Each model is its own llama-server. Asking one that is not loaded would load it: running ones only.
        const ready = (await optional(runningModels(signal))) ?? [];
        info.props = {};
        for (const model of models.filter((m) => ready.includes(m))) {
          const props = await optional(http.json<Record<string, unknown>>({ method: 'GET', path: upstream(model, '/props'), signal }));
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
      // add_special is on for chat too: llama.cpp strips the template's leading BOS text when the vocab adds
      // BOS (common/chat.cpp), then tokenizes the chat prompt with add_special and parse_special on.
      const tokens = await http.json<{ tokens?: unknown[] }>({ method: 'POST', path: upstream(model, '/tokenize'), body: { content, add_special: true, parse_special: true }, signal, model });
      if (!Array.isArray(tokens.tokens)) throw new SwapbenchError('UNSUPPORTED', `${http.url(upstream(model, '/tokenize'))} returned no tokens`);
      return tokens.tokens.length;
    };
    transport.probeActivity = async (callOptions?: CallOptions): Promise<ActivityProbe> => {
      const signal = callOptions?.signal;
      if (kind === 'llama-server') return slotsEvidence(undefined, signal);
      const all = await running(signal);
      if (all.length === 0) return { busy: false, evidence: [] };
      let busy = false;
      const evidence: string[] = [];
      for (const r of all) {
        if (r.state !== undefined && r.state !== 'ready') {
          // Starting (or stopping) means somebody asked for it: a load is in progress.
          busy = true;
          evidence.push(`${r.model} is ${r.state}`);
          continue;
        }
        // Note: proxied requests refresh the model's TTL in llama-swap (#1135); one probe is harmless.
        const slots = await slotsEvidence(r.model, signal);
        busy ||= slots.busy;
        evidence.push(...slots.evidence);
      }
      return { busy, evidence };
    };
  }

  if (kind === 'llama-swap') {
    transport.runningModels = (callOptions?: CallOptions) => runningModels(callOptions?.signal);
    transport.unload = async (model: string, callOptions?: CallOptions) => {
      // Blocks until the process has stopped, so the next request really is cold.
      await http.text({ method: 'POST', path: `/api/models/unload/${modelPath(model)}`, signal: callOptions?.signal, model });
    };
  }
  return transport;
}

/**
 * A transport that identifies its server on the first call, then behaves as that kind: `kind` updates,
 * and optional methods the kind lacks are removed (called before detection, they throw UNSUPPORTED).
 */
function autoTransport(http: HttpClient, options: LlamaTransportOptions): Transport {
  let inner: Transport | undefined;
  let detecting: Promise<Transport> | undefined;
  const resolve = (signal: AbortSignal | undefined): Promise<Transport> => {
    if (inner) return Promise.resolve(inner);
    // Detection runs without any caller's signal (it is shared); each caller only stops waiting on abort.
    detecting ??= detectKind(http, undefined).then(
      (kind) => {
        inner = buildTransport(kind, http, options);
        for (const name of OPTIONAL_METHODS) if (!inner[name]) delete facade[name];
        return inner;
      },
      (err: unknown) => {
        detecting = undefined;
        throw err;
      },
    );
    return raceSignal(detecting, signal);
  };
  const unsupported = (t: Transport, name: string) => new SwapbenchError('UNSUPPORTED', `${t.kind} server at ${t.baseUrl} has no ${name}`);
  const facade: Transport = {
    get kind() {
      return inner?.kind ?? 'openai';
    },
    baseUrl: options.baseUrl,
    listModels: async (o) => (await resolve(o?.signal)).listModels(o),
    stream: (request, o) =>
      (async function* () {
        yield* (await resolve(o?.signal)).stream(request, o);
      })(),
    tokenize: async (model, input, o) => {
      const t = await resolve(o?.signal);
      if (!t.tokenize) throw unsupported(t, 'tokenize');
      return t.tokenize(model, input, o);
    },
    unload: async (model, o) => {
      const t = await resolve(o?.signal);
      if (!t.unload) throw unsupported(t, 'unload');
      return t.unload(model, o);
    },
    runningModels: async (o) => {
      const t = await resolve(o?.signal);
      if (!t.runningModels) throw unsupported(t, 'runningModels');
      return t.runningModels(o);
    },
    probeActivity: async (o) => {
      const t = await resolve(o?.signal);
      if (!t.probeActivity) throw unsupported(t, 'probeActivity');
      return t.probeActivity(o);
    },
    describe: async (models, o) => {
      const t = await resolve(o?.signal);
      return t.describe!(models, o);
    },
    close: () => http.close(),
  };
  return facade;
}

const OPTIONAL_METHODS = ['tokenize', 'unload', 'runningModels', 'probeActivity'] as const;

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A model name as a path: llama-swap names may contain `/`, which routes keep as segments. */
function modelPath(model: string): string {
  return model.split('/').map(encodeURIComponent).join('/');
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
