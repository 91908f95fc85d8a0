/**
 * The non-streaming calls against llama-server- and llama-swap-shaped loopback servers answering with
 * recorded bodies: what is sent (routes, bodies) and how the answers are read. Also request bodies of
 * streams per kind, an OpenAI-compatible server's description, and an injected undici dispatcher.
 */
import { http, HttpResponse } from 'msw';
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { HttpStatusError, ModelNotFoundError, UnsupportedError } from '../../src/errors/index.js';
import { createLlamaTransport, type LlamaServerKind } from '../../src/transport/llama/index.js';
import type { StreamRequest } from '../../src/transport/transport.js';
import { chatRequest, closeAfterEach, fixtureText } from './helpers.js';
import { SSE_HEADERS, startMswServer } from './msw-loopback.js';
import { FINISHED, json, llamaServerHandlers, llamaSwapHandlers, NATIVE_FINISHED } from './recorded-servers.js';

const keep = closeAfterEach();
const serve = async (handlers: Parameters<typeof startMswServer>[0]) => keep(await startMswServer(handlers));
const open = (url: string, kind?: LlamaServerKind | 'auto') => keep(createLlamaTransport({ baseUrl: url, ...(kind ? { kind } : {}) }));
const llamaServer = async () => serve(await llamaServerHandlers());
const llamaSwap = async () => serve(await llamaSwapHandlers());

describe('llama-server endpoints', () => {
  it('tokenize: chat applies the template, then counts with special tokens, as the server does', async () => {
    const s = await llamaServer();
    const t = open(s.url, 'llama-server');
    expect(await t.tokenize!('tiny-llama', { endpoint: 'chat', messages: [{ role: 'user', content: 'hello there' }] })).toBe(1 + 4);
    expect(await t.tokenize!('tiny-llama', { endpoint: 'completion', prompt: 'a b c' })).toBe(1 + 3);
    expect(s.hits.map((h) => [h.path, JSON.parse(h.body)])).toEqual([
      ['/apply-template', { messages: [{ role: 'user', content: 'hello there' }] }],
      ['/tokenize', { content: '[INST] hello there [/INST]', add_special: true, parse_special: true }],
      ['/tokenize', { content: 'a b c', add_special: true, parse_special: true }],
    ]);
  });

  it('applyTemplate posts the messages to /apply-template and returns the prompt', async () => {
    const s = await llamaServer();
    const messages = [{ role: 'user' as const, content: 'hello there' }];
    expect(await open(s.url, 'llama-server').applyTemplate!('tiny-llama', messages)).toBe('[INST] hello there [/INST]');
    expect(s.hits.map((h) => [h.method, h.path, JSON.parse(h.body)])).toEqual([['POST', '/apply-template', { messages }]]);
  });

  it('applyTemplate: an answer without a prompt is UnsupportedError', async () => {
    const s = await serve([http.post('*/apply-template', () => HttpResponse.json({ text: 'x' }))]);
    const error = await open(s.url, 'llama-server').applyTemplate!('m', [{ role: 'user', content: 'hi' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(s.hits.map((h) => h.path)).toEqual(['/apply-template']);
  });

  it('describe maps the recorded /props for every model asked about, keeping /props and /v1/models raw', async () => {
    const s = await llamaServer();
    const props = JSON.parse(await fixtureText('07_props.json')) as Record<string, unknown>;
    const info = await open(s.url, 'llama-server').describe!(['tiny-llama', 'other-name']);
    const described = {
      build: 'b10470-34af94c',
      contextPerSlot: 2048,
      slots: 1,
      path: 'models/tiny-llama-spm-f16.gguf',
      alias: 'tiny-llama',
      chatTemplate: expect.stringContaining("messages[0]['role'] == 'system'"),
      raw: props,
    };
    // One server, one model: every name it is asked by gets the same description.
    expect(info).toEqual({
      kind: 'llama-server',
      baseUrl: s.url,
      models: [
        { id: 'tiny-llama', ...described },
        { id: 'other-name', ...described },
      ],
      raw: { '/v1/models': JSON.parse(await fixtureText('07_v1_models.json')) },
    });
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/models', '/props']);
  });

  it('describe with no model names describes the model by its alias', async () => {
    const s = await llamaServer();
    const info = await open(s.url, 'llama-server').describe!([]);
    expect(info.models.map((m) => m.id)).toEqual(['tiny-llama']);
  });

  it('describe still answers when /props fails, with what /v1/models said', async () => {
    const models = await fixtureText('07_v1_models.json');
    const s = await serve([
      http.get('*/v1/models', () => json(models)),
      http.get('*/props', () => json('{"error":{"code":500,"message":"boom"}}', 500)),
    ]);
    const info = await open(s.url, 'llama-server').describe!(['tiny-llama']);
    expect(info).toEqual({ kind: 'llama-server', baseUrl: s.url, models: [], raw: { '/v1/models': JSON.parse(models) } });
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/models', '/props']);
  });

  it('listModels reads the recorded /v1/models; there is no unload or runningModels', async () => {
    const s = await llamaServer();
    const t = open(s.url, 'llama-server');
    expect((await t.listModels()).map((m) => [m.id, m.loaded])).toEqual([['tiny-llama', undefined]]);
    expect([t.unload, t.runningModels]).toEqual([undefined, undefined]);
  });

  it('probeActivity reads /slots (idle after use in the recording)', async () => {
    const s = await llamaServer();
    expect(await open(s.url, 'llama-server').probeActivity!()).toEqual({ busy: false, evidence: [], inFlight: 0 });
    expect(s.hits.map((h) => h.path)).toEqual(['/slots']);
  });

  it('probeActivity falls back to the requests_processing gauge when /slots is disabled', async () => {
    const metrics = (await fixtureText('07_metrics.txt')).replace('llamacpp:requests_processing 0', 'llamacpp:requests_processing 2');
    const s = await serve([
      http.get('*/slots', () =>
        json('{"error":{"code":501,"message":"This server does not support slots endpoint.","type":"not_supported_error"}}', 501),
      ),
      http.get('*/metrics', () => new HttpResponse(metrics)),
    ]);
    expect(await open(s.url, 'llama-server').probeActivity!()).toEqual({
      busy: true,
      evidence: ['2 request(s) processing (metrics)'],
      inFlight: 2,
    });
    expect(s.hits.map((h) => h.path)).toEqual(['/slots', '/metrics']);
  });

  it('a llama.cpp 404 "File Not Found" is a missing endpoint, not a missing model', async () => {
    const body = await fixtureText('08g_err_unknown_endpoint.json');
    const s = await serve([http.post('*/apply-template', () => json(body, 404))]);
    const error = await open(s.url, 'llama-server').tokenize!('m', { endpoint: 'chat', messages: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).not.toBeInstanceOf(ModelNotFoundError);
    expect((error as Error).message).toContain('File Not Found');
  });

  it.each([
    ['Ollama (Go)', '404 page not found'],
    ['vLLM (FastAPI)', '{"detail":"Not Found"}'],
  ])('an unknown route of %s is a missing endpoint, not a missing model', async (_server, body) => {
    const s = await serve([http.post('*/tokenize', () => new HttpResponse(body, { status: 404 }))]);
    const error = await open(s.url, 'openai').tokenize!('m', { endpoint: 'completion', prompt: 'a b' }).catch((e: unknown) => e);
    expect(s.hits.map((h) => h.path)).toContain('/tokenize');
    expect(error).not.toBeInstanceOf(ModelNotFoundError);
    expect((error as Error).message).not.toMatch(/model "m" not found/);
  });

  it('an Ollama "model not found" is still a missing model', async () => {
    const s = await serve([http.post('*/v1/chat/completions', () => json('{"error":"model \'m\' not found"}', 404))]);
    const error = await (async () => {
      for await (const _ of open(s.url, 'openai').stream(chatTo('m')));
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
  });

  it.each([
    ['08a_err_prompt_too_long_chat.json', 400, 'exceeds the available context size'],
    ['08e_err_malformed_json_chat.json', 500, 'parse error'],
  ])('%s → HttpStatusError %i with the server message', async (name, status, message) => {
    const body = await fixtureText(name);
    const s = await serve([http.post('*/v1/chat/completions', () => json(body, status))]);
    const error = await (async () => {
      for await (const _ of open(s.url, 'llama-server').stream(chatTo('m')));
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ status, code: 'HTTP_STATUS', body });
    expect((error as Error).message).toContain(message);
  });
});

describe('llama-swap endpoints', () => {
  it('listModels takes `loaded` from /running when /v1/models has no status', async () => {
    const s = await llamaSwap();
    expect((await open(s.url, 'llama-swap').listModels()).map((m) => [m.id, m.loaded])).toEqual([
      ['a', true],
      ['b', false],
      ['org/c', false],
    ]);
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/models', '/running']);
  });

  it('runningModels lists ready models only', async () => {
    const s = await llamaSwap();
    expect(await open(s.url, 'llama-swap').runningModels!()).toEqual(['a']);
  });

  it('unload posts to /api/models/unload/<model>, keeping a slash in the name', async () => {
    const s = await llamaSwap();
    await open(s.url, 'llama-swap').unload!('org/c');
    expect(s.hits.map((h) => [h.method, h.path])).toEqual([['POST', '/api/models/unload/org/c']]);
  });

  it('unloading an unknown model → ModelNotFoundError listing the models there are', async () => {
    const s = await llamaSwap();
    const error = await open(s.url, 'llama-swap').unload!('zzz').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error).toMatchObject({ model: 'zzz', available: ['a', 'b', 'org/c'], status: 404 });
  });

  it('a stream for an unknown model → ModelNotFoundError with the available models', async () => {
    const s = await llamaSwap();
    const error = await (async () => {
      for await (const _ of open(s.url, 'llama-swap').stream(chatTo('nope')));
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error).toMatchObject({ model: 'nope', available: ['a', 'b', 'org/c'] });
    expect((error as Error).message).toContain('the server has: a, b, org/c');
  });

  it('tokenize goes through /upstream/<model>/', async () => {
    const s = await llamaSwap();
    expect(await open(s.url, 'llama-swap').tokenize!('a', { endpoint: 'chat', messages: [{ role: 'user', content: 'hi' }] })).toBe(4);
    expect(s.hits.map((h) => h.path)).toEqual(['/upstream/a/apply-template', '/upstream/a/tokenize']);
  });

  it('applyTemplate goes through /upstream/<model>/', async () => {
    const s = await llamaSwap();
    expect(await open(s.url, 'llama-swap').applyTemplate!('a', [{ role: 'user', content: 'hi' }])).toBe('[INST] hi [/INST]');
    expect(s.hits.map((h) => h.path)).toEqual(['/upstream/a/apply-template']);
  });

  it('describe asks /upstream/<model>/props of ready models only (asking others would load them)', async () => {
    const s = await llamaSwap();
    const props = JSON.parse(await fixtureText('07_props.json')) as Record<string, unknown>;
    const info = await open(s.url, 'llama-swap').describe!(['a', 'b', 'org/c']);
    expect(info.models).toEqual([
      {
        id: 'a',
        build: 'b10470-34af94c',
        contextPerSlot: 2048,
        slots: 1,
        path: 'models/tiny-llama-spm-f16.gguf',
        alias: 'tiny-llama',
        chatTemplate: props.chat_template,
        raw: props,
      },
    ]);
    expect(info.raw).toEqual({
      '/v1/models': { object: 'list', data: [{ id: 'a' }, { id: 'b' }, { id: 'org/c' }] },
      '/running': {
        running: [
          { model: 'a', state: 'ready' },
          { model: 'b', state: 'starting' },
        ],
      },
    });
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/models', '/running', '/upstream/a/props']);
  });

  it('probeActivity: a busy upstream slot and a model starting are both evidence', async () => {
    const s = await llamaSwap();
    expect(await open(s.url, 'llama-swap').probeActivity!()).toEqual({
      busy: true,
      evidence: ['a slot 1 is processing', 'b is starting'],
      inFlight: 2,
    });
    expect(s.hits.map((h) => h.path)).toEqual(['/running', '/upstream/a/slots']);
  });
});

/** The chat request of these tests, to `model`. */
const chatTo = (model: string) => chatRequest({ model, maxTokens: 7, sampling: { temperature: 0, seed: 3 } });

describe('what a stream sends', () => {
  const body = async (kind: LlamaServerKind, request: StreamRequest) => {
    const s = await serve([
      http.post(
        '*',
        ({ request: r }) =>
          new HttpResponse(new URL(r.url).pathname === '/completion' ? NATIVE_FINISHED : FINISHED, { headers: SSE_HEADERS }),
      ),
    ]);
    for await (const _ of open(s.url, kind).stream(request));
    expect(s.hits).toHaveLength(1);
    return { path: s.hits[0]!.path, body: JSON.parse(s.hits[0]!.body) as Record<string, unknown> };
  };

  it('chat to llama.cpp: usage requested, ignore_eos and cache_prompt, sampling as given', async () => {
    expect(await body('llama-server', chatTo('m'))).toEqual({
      path: '/v1/chat/completions',
      body: {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 7,
        stream: true,
        stream_options: { include_usage: true },
        ignore_eos: true,
        cache_prompt: false,
        temperature: 0,
        seed: 3,
      },
    });
  });

  it('chat to an OpenAI-compatible server: no cache_prompt', async () => {
    const { body: sent } = await body('openai', chatTo('m'));
    expect(sent).not.toHaveProperty('cache_prompt');
    expect(sent).toMatchObject({ ignore_eos: true, stream_options: { include_usage: true } });
  });

  it('completion to llama.cpp: native /completion with n_predict; through llama-swap too, routed by model', async () => {
    const request = {
      endpoint: 'completion',
      prompt: 'Once',
      model: 'm',
      maxTokens: 5,
      sampling: {},
      ignoreEos: false,
      cachePrompt: true,
    } as const;
    const want = {
      path: '/completion',
      body: { model: 'm', prompt: 'Once', n_predict: 5, stream: true, ignore_eos: false, cache_prompt: true },
    };
    expect(await body('llama-server', request)).toEqual(want);
    expect(await body('llama-swap', request)).toEqual(want);
  });

  it('completion to an OpenAI-compatible server: /v1/completions with max_tokens', async () => {
    const { path, body: sent } = await body('openai', {
      endpoint: 'completion',
      prompt: 'Once',
      model: 'm',
      maxTokens: 5,
      sampling: {},
      ignoreEos: true,
      cachePrompt: true,
    });
    expect(path).toBe('/v1/completions');
    expect(sent).toEqual({
      model: 'm',
      prompt: 'Once',
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
    });
  });

  it('sends the API key as a bearer token, and tolerates a /v1 base URL', async () => {
    const s = await serve([
      http.get('*/v1/models', ({ request }) =>
        request.headers.get('authorization') === 'Bearer sk-1'
          ? HttpResponse.json({ data: [{ id: 'x' }] })
          : json('{"error":"unauthorized"}', 401),
      ),
    ]);
    const t = keep(createLlamaTransport({ baseUrl: `${s.url}/v1/`, kind: 'openai', apiKey: 'sk-1' }));
    expect((await t.listModels()).map((m) => m.id)).toEqual(['x']);
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/models']);
  });
});

describe('OpenAI-compatible endpoints', () => {
  it('describe lists the asked models from /v1/models, keeping each entry raw (there are no props)', async () => {
    const qwen = { id: 'Qwen/Qwen3-8B', object: 'model', owned_by: 'vllm', root: '/models/qwen3-8b', max_model_len: 32768 };
    const listed = { object: 'list', data: [qwen, { id: 'other', object: 'model' }] };
    const s = await serve([http.get('*/v1/models', () => HttpResponse.json(listed))]);
    const info = await open(s.url, 'openai').describe!(['Qwen/Qwen3-8B', 'missing']);
    expect(info).toEqual({ kind: 'openai', baseUrl: s.url, models: [{ id: 'Qwen/Qwen3-8B', raw: qwen }], raw: { '/v1/models': listed } });
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/models']);
  });

  it('describe with no model names lists every model, Ollama-style lists too', async () => {
    const s = await serve([http.get('*/v1/models', () => HttpResponse.json({ models: [{ name: 'llama3:8b' }, { name: 'qwen3:4b' }] }))]);
    expect((await open(s.url, 'openai').describe!([])).models.map((m) => m.id)).toEqual(['llama3:8b', 'qwen3:4b']);
    expect(s.hits).toHaveLength(1);
  });
});

describe('injected dispatcher', () => {
  it('requests go through a MockAgent passed as dispatcher', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get('http://llama.test');
    pool
      .intercept({ path: '/v1/models', method: 'GET' })
      .reply(200, { data: [{ id: 'm', status: { value: 'loaded' } }] }, { headers: { 'content-type': 'application/json' } });
    pool
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(
        200,
        'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hé"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
        { headers: SSE_HEADERS },
      );
    const t = createLlamaTransport({ baseUrl: 'http://llama.test', kind: 'llama-swap', dispatcher: agent });
    expect(await t.listModels()).toMatchObject([{ id: 'm', loaded: true }]);
    const types: string[] = [];
    for await (const e of t.stream(chatTo('m'))) types.push(e.type === 'delta' ? `delta:${e.text}` : e.type);
    expect(types).toEqual(['response-start', 'delta:hé', 'final']);
    agent.assertNoPendingInterceptors();
    await t.close();
    await agent.close();
  });
});
