/**
 * Stream shapes the simulator does not produce: cumulative token counts, other servers' quirks, old-build
 * error lines, llama-swap loading chunks, and timing on arrival. Served over loopback from msw handlers.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { RequestTimeoutError, StreamProtocolError } from '../../src/errors/index.js';
import { parseLlamaTimings } from '../../src/timings/parse-llama-timings.js';
import { createLlamaTransport, type LlamaServerKind } from '../../src/transport/llama/index.js';
import type { StreamRequest, Transport, TransportEvent } from '../../src/transport/transport.js';
import { chatRequest, chunk, closeAfterEach, completionRequest, sse } from './helpers.js';
import { manualClock, sendAt } from './manual-clock.js';
import { controlledBody, SSE_HEADERS, startMswServer } from './msw-loopback.js';
import { startRawServer } from './raw-server.js';

const keep = closeAfterEach();
/** The transport `collect` reads from: the latest `serveText`'s, unless a test opened its own. */
let transport: Transport | undefined;

const chat = chatRequest();
const text = completionRequest({ prompt: 'p' });

async function serveText(body: string | (() => ReadableStream<Uint8Array>), kind: LlamaServerKind = 'llama-server') {
  const s = keep(
    await startMswServer([http.post('*', () => new HttpResponse(typeof body === 'string' ? body : body(), { headers: SSE_HEADERS }))]),
  );
  transport = keep(createLlamaTransport({ baseUrl: s.url, kind, connections: 1 }));
  return s;
}

async function collect(request: StreamRequest = chat): Promise<TransportEvent[]> {
  const out: TransportEvent[] = [];
  for await (const e of transport!.stream(request)) out.push(e);
  return out;
}

const deltas = (events: TransportEvent[]) => events.flatMap((e) => (e.type === 'delta' ? [[e.text, e.tokens, e.channel]] : []));

describe('token counts per chunk', () => {
  it('uses the step of cumulative timings (timings_per_token) when a chunk holds several tokens', async () => {
    const s = await serveText(
      sse(
        chunk({ role: 'assistant', content: null }, null, { timings: { predicted_n: 1 } }),
        chunk({ content: 'a' }, null, { timings: { predicted_n: 1 } }),
        chunk({ content: 'bcd' }, null, { timings: { predicted_n: 4 } }),
        chunk({ content: 'e' }, null, { timings: { predicted_n: 5 } }),
        chunk({}, 'length', { timings: { predicted_n: 5 } }),
        '[DONE]',
      ),
    );
    const events = await collect();
    expect(s.hits).toHaveLength(1);
    expect(deltas(events)).toEqual([
      ['a', 1, 'content'],
      ['bcd', 3, 'content'],
      ['e', 1, 'content'],
    ]);
  });

  it('uses vLLM continuous usage (cumulative completion_tokens)', async () => {
    const s = await serveText(
      sse(
        chunk({ content: 'ab' }, null, { usage: { completion_tokens: 2 } }),
        chunk({ content: 'c' }, null, { usage: { completion_tokens: 3 } }),
        chunk({}, 'length', { usage: { completion_tokens: 3 } }),
        '[DONE]',
      ),
      'openai',
    );
    expect(deltas(await collect())).toEqual([
      ['ab', 2, 'content'],
      ['c', 1, 'content'],
    ]);
    expect(s.hits).toHaveLength(1);
  });

  it('ignores the zeroed usage Ollama puts on every /v1/completions chunk', async () => {
    const ollama = (textPiece: string, finish: string | null, usage: object) =>
      JSON.stringify({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: textPiece, index: 0, finish_reason: finish }], usage });
    const zero = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const s = await serveText(
      sse(
        ollama('a', null, zero),
        ollama('b', null, zero),
        ollama('', 'length', zero),
        JSON.stringify({
          id: 'cmpl-1',
          object: 'text_completion',
          choices: [],
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
        }),
        '[DONE]',
      ),
      'openai',
    );
    const events = await collect(text);
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/completions']);
    expect(deltas(events)).toEqual([
      ['a', 1, 'content'],
      ['b', 1, 'content'],
    ]);
    // The last usage sent wins over the zeroed ones before it.
    const final = events.at(-1);
    expect(final).toMatchObject({
      type: 'final',
      finishReason: 'length',
      raw: { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
    });
    expect(final?.type === 'final' && final.raw).not.toHaveProperty('timings');
    expect(final?.type === 'final' && parseLlamaTimings(final.raw)).toMatchObject({
      source: 'openai',
      promptTokens: 3,
      generatedTokens: 2,
    });
  });
});

describe('the final raw record', () => {
  it('gathers timings and usage sent on different chunks, for parseLlamaTimings to read together', async () => {
    const timings = { prompt_n: 4, prompt_ms: 8, cache_n: 6, predicted_n: 3, predicted_ms: 20 };
    const usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, prompt_tokens_details: { cached_tokens: 6 } };
    const s = await serveText(
      sse(
        chunk({ content: 'a' }),
        chunk({ content: 'b' }),
        chunk({ content: 'c' }),
        chunk({}, 'length', { timings }),
        JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', model: 'm', choices: [], usage }),
        '[DONE]',
      ),
    );
    const final = (await collect()).at(-1)!;
    expect(s.hits).toHaveLength(1);
    expect(final).toMatchObject({ type: 'final', raw: { timings, usage } });
    if (final.type !== 'final') return;
    // Cached tokens counted in: 4 evaluated + 6 from the cache; speed over the N − 1 intervals of predicted_ms.
    expect(parseLlamaTimings(final.raw)).toMatchObject({
      source: 'llama',
      promptTokens: 10,
      promptEvaluatedTokens: 4,
      cachedTokens: 6,
      generatedTokens: 3,
      genTps: 100,
    });
  });

  it('is the native final object itself', async () => {
    const last = {
      index: 0,
      content: '',
      stop: true,
      stop_type: 'eos',
      tokens_predicted: 2,
      timings: { prompt_n: 5, predicted_n: 2, predicted_ms: 10 },
    };
    await serveText(sse(JSON.stringify({ index: 0, content: 'ab', tokens: [1, 2], stop: false }), JSON.stringify(last)));
    const final = (await collect(text)).at(-1)!;
    expect(final).toMatchObject({ type: 'final', finishReason: 'stop', raw: last });
    expect(final.type === 'final' && parseLlamaTimings(final.raw)).toMatchObject({
      source: 'llama',
      promptEvaluatedTokens: 5,
      generatedTokens: 2,
      genTps: 100,
    });
  });
});

describe('quirks and errors inside the stream', () => {
  it('skips llama-swap loading-state chunks (no id, no object) so they do not start the TTFT clock', async () => {
    const loading = JSON.stringify({ choices: [{ index: 0, delta: { reasoning_content: 'loading model…' } }] });
    const s = await serveText(
      sse(loading, loading, chunk({ role: 'assistant', content: null }), chunk({ content: 'hi' }), chunk({}, 'length'), '[DONE]'),
      'llama-swap',
    );
    expect(deltas(await collect())).toEqual([['hi', 1, 'content']]);
    expect(s.hits).toHaveLength(1);
  });

  it('reads vLLM `reasoning` deltas as reasoning', async () => {
    const s = await serveText(sse(chunk({ reasoning: 'hmm' }), chunk({ content: 'ok' }), chunk({}, 'stop'), '[DONE]'), 'openai');
    expect(deltas(await collect())).toEqual([
      ['hmm', 1, 'reasoning'],
      ['ok', 1, 'content'],
    ]);
    expect(s.hits).toHaveLength(1);
  });

  it('throws the message of an old-build `error:` line instead of finishing at the [DONE] after it', async () => {
    const s = await serveText(
      `${sse(chunk({ content: 'a' }))}error: {"code":500,"message":"slot crashed","type":"server_error"}\n\n${sse('[DONE]')}`,
    );
    const error = await collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect((error as Error).message).toContain('slot crashed');
    expect(s.hits).toHaveLength(1);
  });

  it('throws the message of a failed swap that llama-swap wrote into the stream without `data:`', async () => {
    const s = await serveText(`{"src":"llama-swap","error":"upstream command exited prematurely"}\n`, 'llama-swap');
    const error = await collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect((error as Error).message).toContain('exited prematurely');
    expect(s.hits).toHaveLength(1);
  });

  it('takes a last event that lacks its closing blank line', async () => {
    const s = await serveText(`${sse(chunk({ content: 'a' }), chunk({}, 'length'))}data: [DONE]`);
    expect((await collect()).at(-1)).toMatchObject({ type: 'final', finishReason: 'length' });
    expect(s.hits).toHaveLength(1);
  });

  it('a native stream that ends without its `stop: true` object is a StreamProtocolError', async () => {
    const s = await serveText(sse(JSON.stringify({ index: 0, content: 'a', tokens: [5], stop: false })));
    const error = await collect(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(s.hits.map((h) => h.path)).toEqual(['/completion']);
  });

  it('ignores `:` keep-alive comments', async () => {
    const s = await serveText(`:\n\n${sse(chunk({ content: 'a' }))}:\n\n${sse(chunk({}, 'length'), '[DONE]')}`);
    expect(deltas(await collect())).toEqual([['a', 1, 'content']]);
    expect(s.hits).toHaveLength(1);
  });
});

describe('timing', () => {
  it('stamps events when their bytes arrive, not when the consumer reads them; one read, one stamp', async () => {
    const body = controlledBody();
    const s = keep(await startMswServer([http.post('*', () => new HttpResponse(body.body, { headers: SSE_HEADERS }))]));
    const clock = manualClock();
    transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', connections: 1, clock: clock.read }));
    const iterator = transport.stream(chat)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'response-start', at: 0 });
    // Two chunks in one read, then one more, then the finish; the consumer is busy all along.
    await sendAt(clock, body, sse(chunk({ content: 'a' }), chunk({ content: 'b' })), 10);
    await sendAt(clock, body, sse(chunk({ content: 'c' })), 20);
    await sendAt(clock, body, sse(chunk({}, 'length'), '[DONE]'), 30);
    clock.now = 99;
    body.end();
    const events: TransportEvent[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) events.push(r.value);
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['delta', 10],
      ['delta', 10],
      ['delta', 20],
      ['final', 30],
    ]);
    expect(s.hits).toHaveLength(1);
  });

  it('a consumer far behind pauses the response and still gets every event in order', async () => {
    const n = 2000;
    const parts = Array.from({ length: n }, (_, i) => chunk({ content: `t${i}` }));
    const s = await serveText(sse(...parts, chunk({}, 'length'), '[DONE]'));
    const clock = manualClock();
    await transport?.close();
    transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', connections: 1, clock: clock.read }));
    const texts: string[] = [];
    let final: TransportEvent | undefined;
    for await (const e of transport.stream(chat)) {
      // Idle until a read of the body has been parsed: one 64 KiB read holds far more events than the
      // high-water mark, so the response is paused; it must resume for the rest of the body to come.
      // Read as the request is written, at the answer's start, then per network read.
      if (e.type === 'response-start') await expect.poll(() => clock.reads, { interval: 2 }).toBeGreaterThanOrEqual(3);
      if (e.type === 'delta') texts.push(e.text);
      if (e.type === 'final') final = e;
    }
    expect(texts).toEqual(parts.map((_, i) => `t${i}`));
    expect(final).toMatchObject({ type: 'final', finishReason: 'length' });
  });

  it('a body silent for longer than bodyTimeoutMs → RequestTimeoutError(body)', async () => {
    const s = keep(
      await startRawServer((socket) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n`);
        const first = sse(chunk({ content: 'a' }));
        socket.write(`${Buffer.byteLength(first).toString(16)}\r\n${first}\r\n`);
        // …and nothing more.
      }),
    );
    transport = keep(createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', bodyTimeoutMs: 150 }));
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of transport!.stream(chat)) seen.push(e.type);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ phase: 'body', timeoutMs: 150 });
    expect(seen).toEqual(['response-start', 'delta']);
  });
});
