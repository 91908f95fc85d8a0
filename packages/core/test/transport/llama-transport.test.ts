import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  HostUnreachableError,
  HttpStatusError,
  ModelNotFoundError,
  RequestTimeoutError,
  ServerLoadingError,
  StreamProtocolError,
} from '../../src/errors/index.js';
import { parseLlamaTimings } from '../../src/timings/parse-llama-timings.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import type { TransportEvent } from '../../src/transport/transport.js';
import { collect, collectUntilError } from './collect.js';
import { chatRequest, closeAfterEach, completionRequest, fixture, fixtureText } from './helpers.js';
import { manualClock, sendAt } from './manual-clock.js';
import { chunkedBody, controlledBody, SSE_HEADERS, startMswServer } from './msw-loopback.js';

const keep = closeAfterEach();

const chat = chatRequest({ model: 'tiny-llama', maxTokens: 32, sampling: { temperature: 0, seed: 42 } });
const completion = completionRequest({ model: 'tiny-llama', maxTokens: 32 });

/** What a recording says the client should see: content pieces, the server's figures, the response id. */
async function expected(name: string, native: boolean) {
  const text = await fixtureText(name);
  const chunks = text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)));
  const pieces = chunks
    .map((c) => (native ? c.content : (c.choices?.[0]?.delta?.content ?? c.choices?.[0]?.text)))
    .filter((t: unknown) => typeof t === 'string' && t !== '');
  const timings = chunks.filter((c) => c.timings).at(-1)?.timings;
  const usage = chunks.filter((c) => c.usage).at(-1)?.usage;
  // Native: the final object itself. OAI: the last `timings` and `usage` sent, wherever each came.
  const raw = native ? chunks.at(-1) : { ...(timings ? { timings } : {}), ...(usage ? { usage } : {}) };
  return { pieces, timings, raw, id: chunks.find((c) => c.id)?.id };
}

async function serve(
  path: string,
  body: () => ReadableStream<Uint8Array> | string,
  init: { status?: number; headers?: Record<string, string> } = {},
) {
  return keep(
    await startMswServer([
      http.all(`*${path}`, () => new HttpResponse(body(), { status: init.status ?? 200, headers: init.headers ?? SSE_HEADERS })),
    ]),
  );
}

describe('llama transport: replaying real llama-server streams', () => {
  const cases = [
    {
      name: '01_chat_stream_usage.sse',
      path: '/v1/chat/completions',
      request: chat,
      native: false,
      kind: 'llama-server',
      finish: 'length',
    },
    {
      name: '01b_chat_stream_no_stream_options.sse',
      path: '/v1/chat/completions',
      request: chat,
      native: false,
      kind: 'llama-server',
      finish: 'length',
    },
    {
      name: '05_chat_ignore_eos_64_stream.sse',
      path: '/v1/chat/completions',
      request: chat,
      native: false,
      kind: 'llama-server',
      finish: 'length',
    },
    {
      name: '05c_chat_no_ignore_eos_eosmodel_natural_stop_stream.sse',
      path: '/v1/chat/completions',
      request: chat,
      native: false,
      kind: 'llama-server',
      finish: 'stop',
    },
    {
      name: '03_completion_stream.sse',
      path: '/completion',
      request: completion,
      native: true,
      kind: 'llama-server',
      finish: 'length',
    },
    // llama.cpp's /v1/completions, read as an OpenAI-compatible server's.
    {
      name: '04_v1_completions_stream.sse',
      path: '/v1/completions',
      request: completion,
      native: false,
      kind: 'openai',
      finish: 'length',
    },
  ] as const;
  const splits: Record<string, (n: number) => number[]> = {
    whole: () => [],
    'every 7 bytes (mid-line, mid-UTF-8)': (n) => Array.from({ length: Math.ceil(n / 7) }, (_, i) => i * 7),
    'one byte at a time': (n) => Array.from({ length: n }, (_, i) => i),
  };

  for (const c of cases) {
    for (const [splitName, cuts] of Object.entries(splits)) {
      it(`${c.name}, ${splitName}`, async () => {
        const bytes = await fixture(c.name);
        const s = await serve(c.path, () => chunkedBody(bytes, cuts(bytes.length)));
        const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: c.kind, connections: 1 }));
        const events = await collect(transport.stream(c.request));
        const want = await expected(c.name, c.native);
        expect(s.hits.map((h) => h.path)).toEqual([c.path]);
        expect(events[0]!.type).toBe('response-start');
        const deltas = events.filter((e) => e.type === 'delta');
        // The role-only first chunk is not a delta: every delta is one recorded content piece.
        expect(deltas.map((d) => d.text)).toEqual(want.pieces);
        const final = events.at(-1)!;
        expect(final.type).toBe('final');
        if (final.type !== 'final') return;
        expect(final.raw).toEqual(want.raw);
        expect(parseLlamaTimings(final.raw)).toMatchObject({
          source: 'llama',
          generatedTokens: want.timings.predicted_n,
          promptMs: want.timings.prompt_ms,
        });
        expect(final.finishReason).toBe(c.finish);
        // One token per chunk: the deltas add up to the server's count, less the EOS of a natural stop
        // (llama.cpp counts it in predicted_n but sends no text for it).
        const eos = c.finish === 'stop' ? 1 : 0;
        expect(deltas.reduce((n, d) => n + (d.type === 'delta' ? d.tokens : 0), 0)).toBe(
          (want.timings as { predicted_n: number }).predicted_n - eos,
        );
        if (!c.native) expect(final.responseId).toBe(want.id);
        expect(events.filter((e) => e.type === 'final')).toHaveLength(1);
      });
    }
  }

  it('stamps each event with the clock reading of the network read that brought it', async () => {
    const text = await fixtureText('01_chat_stream_usage.sse');
    const pieces = text.split(/(?<=\n\n)/).filter((p) => p.trim() !== '');
    const body = controlledBody();
    const s = await serve('/v1/chat/completions', () => body.body);
    const clock = manualClock();
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', connections: 1, clock: clock.read }));
    const iterator = transport.stream(chat)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'response-start', at: 0, status: 200, sentAt: 0, connectMs: 0 });
    // Piece i is sent when the clock reads 10·(i+1); the consumer reads nothing until the end.
    for (const [i, piece] of pieces.entries()) await sendAt(clock, body, piece, 10 * (i + 1));
    clock.now = 9999;
    body.end();
    const events: TransportEvent[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) events.push(r.value);
    const carriesText = (piece: string) => {
      const data = piece.slice('data: '.length).trim();
      return data !== '[DONE]' && Boolean((JSON.parse(data) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content);
    };
    const want = pieces.flatMap((p, i) => (carriesText(p) ? [10 * (i + 1)] : []));
    expect(events.filter((e) => e.type === 'delta').map((e) => e.at)).toEqual(want);
    expect(events.at(-1)).toMatchObject({ type: 'final', at: 10 * pieces.findIndex((p) => p.includes('[DONE]')) + 10 });
    expect(s.hits).toHaveLength(1);
  });
});

describe('llama transport: stream edge cases', () => {
  const sse = (...lines: string[]) => lines.map((l) => `data: ${l}\n\n`).join('');
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
    JSON.stringify({
      choices: [{ finish_reason: finish, index: 0, delta }],
      id: 'chatcmpl-x',
      model: 'm',
      object: 'chat.completion.chunk',
      ...extra,
    });

  it('counts a multi-token native chunk as several tokens', async () => {
    const s = await serve('/completion', () =>
      sse(
        JSON.stringify({ index: 0, content: 'a b c', tokens: [10, 11, 12], stop: false }),
        JSON.stringify({ index: 0, content: '', tokens: [], stop: true, stop_type: 'limit', timings: { predicted_n: 3 } }),
      ),
    );
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const events = await collect(transport.stream(completion));
    const deltas = events.filter((e) => e.type === 'delta');
    expect(deltas).toMatchObject([{ text: 'a b c', tokens: 3 }]);
    // The native final object is the raw record, whole.
    expect(events.at(-1)).toMatchObject({
      type: 'final',
      finishReason: 'length',
      raw: { stop: true, stop_type: 'limit', timings: { predicted_n: 3 } },
    });
  });

  it('ends with an empty raw record when the server sends no figures', async () => {
    const s = await serve('/v1/chat/completions', () =>
      sse(chunk({ role: 'assistant', content: null }), chunk({ content: 'hi' }), chunk({}, 'length'), '[DONE]'),
    );
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const final = (await collect(transport.stream(chat))).at(-1)!;
    expect(final).toMatchObject({ type: 'final', finishReason: 'length', raw: {}, responseId: 'chatcmpl-x' });
    expect(final.type === 'final' && parseLlamaTimings(final.raw).source).toBe('none');
  });

  it('accepts a finished stream whose [DONE] is missing', async () => {
    const s = await serve('/v1/chat/completions', () => sse(chunk({ content: 'hi' }), chunk({}, 'stop', { timings: { predicted_n: 1 } })));
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const final = (await collect(transport.stream(chat))).at(-1)!;
    expect(final).toMatchObject({ type: 'final', finishReason: 'stop', raw: { timings: { predicted_n: 1 } } });
  });

  it('throws StreamProtocolError when the stream ends unfinished, keeping the deltas already yielded', async () => {
    const s = await serve('/v1/chat/completions', () => sse(chunk({ content: 'hi' })));
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const { events: seen, error } = await collectUntilError(transport.stream(chat));
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(seen.map((e) => e.type)).toEqual(['response-start', 'delta']);
  });

  it('throws StreamProtocolError with an excerpt on a malformed chunk', async () => {
    const s = await serve('/v1/chat/completions', () => sse(chunk({ content: 'ok' }), '{"choices":[{"delta":{"content":"tru', '[DONE]'));
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const error = await collect(transport.stream(chat)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect((error as Error).message).toContain('{"choices":[{"delta":{"content":"tru');
  });

  it('throws the server message of an error sent mid-stream', async () => {
    const s = await serve('/v1/chat/completions', () =>
      sse(chunk({ content: 'ok' }), JSON.stringify({ error: { code: 500, message: 'slot died', type: 'server_error' } })),
    );
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const error = await collect(transport.stream(chat)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect((error as Error).message).toContain('slot died');
  });

  it('reads reasoning_content as a reasoning delta', async () => {
    const s = await serve('/v1/chat/completions', () =>
      sse(chunk({ reasoning_content: 'think' }), chunk({ content: 'answer' }), chunk({}, 'length'), '[DONE]'),
    );
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const deltas = (await collect(transport.stream(chat))).filter((e) => e.type === 'delta');
    expect(deltas.map((d) => d.type === 'delta' && d.channel)).toEqual(['reasoning', 'content']);
  });
});

describe('llama transport: HTTP errors', () => {
  const errorCase = async (name: string, status: number, path = '/v1/chat/completions') => {
    const body = await fixtureText(name);
    const s = await serve(path, () => body, { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    return collect(transport.stream(path === '/completion' ? completion : chat)).catch((e: unknown) => e);
  };

  it('400 exceed_context_size on a streaming request → HttpStatusError with the server message', async () => {
    const error = await errorCase('08b_err_prompt_too_long_chat_stream.json', 400);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(400);
    expect((error as Error).message).toContain('exceeds the available context size');
  });

  it('500 from a native /completion → HttpStatusError', async () => {
    const error = await errorCase('08f_err_malformed_json_completion.json', 500, '/completion');
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(500);
  });

  it('llama-swap 404 for an unknown model → ModelNotFoundError', async () => {
    const s = await serve('/v1/chat/completions', () => JSON.stringify({ src: 'llama-swap', error: 'no router for requested model' }), {
      status: 404,
      headers: { 'content-type': 'application/json' },
    });
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-swap' }));
    const error = await collect(transport.stream(chat)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as Error).message).toContain('tiny-llama');
  });

  it('503 loading → ServerLoadingError', async () => {
    const s = await serve('/v1/chat/completions', () => '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}', {
      status: 503,
      headers: { 'content-type': 'application/json' },
    });
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    expect(await collect(transport.stream(chat)).catch((e: unknown) => e)).toBeInstanceOf(ServerLoadingError);
  });

  it('connection refused → HostUnreachableError naming the host', async () => {
    const transport = keep(createLlamaTransport({ baseUrl: 'http://127.0.0.1:9', kind: 'llama-server' }));
    const error = await transport.listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostUnreachableError);
    expect((error as Error).message).toContain('127.0.0.1:9');
  });

  it('no response headers in time → RequestTimeoutError(headers)', async () => {
    const server = keep(
      await startMswServer([
        http.post('*/v1/chat/completions', async () => {
          await new Promise((r) => setTimeout(r, 1000));
          return new HttpResponse('late');
        }),
      ]),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'llama-server', headersTimeoutMs: 100 }));
    const error = await collect(transport.stream(chat)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).phase).toBe('headers');
  });
});

describe('llama transport: cancellation', () => {
  const FINISHED_SSE =
    'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"finish_reason":"length","delta":{}}]}\n\ndata: [DONE]\n\n';

  const slowStream = async () => {
    const bytes = await fixture('05_chat_ignore_eos_64_stream.sse');
    const cuts = [...bytes.toString('latin1').matchAll(/data: /g)].map((m) => m.index);
    return serve('/v1/chat/completions', () => chunkedBody(bytes, cuts, 20));
  };

  it('abort mid-stream throws the signal reason and frees the connection', async () => {
    const s = await slowStream();
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', connections: 1 }));
    const controller = new AbortController();
    const reason = new Error('stop now');
    let deltas = 0;
    const error = await (async () => {
      for await (const e of transport.stream(chat, { signal: controller.signal })) {
        if (e.type === 'delta' && ++deltas === 2) controller.abort(reason);
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(reason);
    // The only connection is usable again.
    const again = await collect(transport.stream(chat));
    expect(again.at(-1)?.type).toBe('final');
  });

  it('an already-aborted signal sends nothing', async () => {
    const s = await slowStream();
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const reason = new Error('before');
    const error = await collect(transport.stream(chat, { signal: AbortSignal.abort(reason) })).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(s.hits).toHaveLength(0);
  });

  it('abort while the request waits for a busy connection rejects while it is still busy, and never sends it', async () => {
    const held = controlledBody();
    let requests = 0;
    const server = keep(
      await startMswServer([
        http.post('*/v1/chat/completions', () => new HttpResponse(++requests === 1 ? held.body : FINISHED_SSE, { headers: SSE_HEADERS })),
      ]),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'llama-server', connections: 1 }));
    const first = transport.stream(chat)[Symbol.asyncIterator]();
    expect((await first.next()).value).toMatchObject({ type: 'response-start' });
    const controller = new AbortController();
    const reason = new Error('give up waiting');
    const queued = collect(transport.stream(chat, { signal: controller.signal })).catch((e: unknown) => e);
    controller.abort(reason);
    // The only connection stays busy until the test ends the first body: the rejection cannot have waited for it.
    expect(await queued).toBe(reason);
    held.push(FINISHED_SSE);
    held.end();
    const rest: string[] = [];
    for (let r = await first.next(); !r.done; r = await first.next()) rest.push(r.value.type);
    expect(rest).toEqual(['final']);
    // The aborted request would go out before this one on the single connection, had it been sent.
    expect((await collect(transport.stream(chat))).at(-1)?.type).toBe('final');
    expect(server.hits).toHaveLength(2);
  });

  it('leaving the loop at response-start, before any body was read, frees the connection', async () => {
    const s = await slowStream();
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', connections: 1 }));
    for await (const e of transport.stream(chat)) if (e.type === 'response-start') break;
    const again = await collect(transport.stream(chat));
    expect(again.at(-1)?.type).toBe('final');
    expect(s.hits).toHaveLength(2);
  });

  it('leaving the loop early cancels the request and frees the connection', async () => {
    const s = await slowStream();
    const transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', connections: 1 }));
    for await (const e of transport.stream(chat)) if (e.type === 'delta') break;
    const again = await collect(transport.stream(chat));
    expect(again.filter((e) => e.type === 'delta').length).toBeGreaterThan(10);
    expect(s.hits).toHaveLength(2);
  });
});
