import { describe, expect, it } from 'vitest';
import {
  chatBody,
  events,
  fixture,
  post,
  rawRequest,
  recordedEvents,
  recordedHeaders,
  recordedJson,
  shape,
  useSimulator,
  type Chunk,
} from './helpers.js';

const start = useSimulator();
const fast = { name: 'tiny', genTps: 5000, ttftMs: 1, promptTps: 1e6 };
const server = () => start({ mode: 'llama-server', models: [fast] });

describe('streams, compared with the recordings key for key', () => {
  it('chat with include_usage: role chunk, content chunks, finish chunk, usage chunk with timings, [DONE]', async () => {
    const s = await server();
    const ours = events(await (await post(`${s.url}/v1/chat/completions`, chatBody('tiny'))).text());
    const theirs = await recordedEvents('01_chat_stream_usage.sse');
    expect(ours.done).toBe(true);
    expect(ours.chunks).toHaveLength(1 + 8 + 2);
    expect(shape(ours.chunks[0])).toEqual(shape(theirs.chunks[0]));
    expect(ours.chunks[0]!.choices![0]!.delta).toEqual({ role: 'assistant', content: null });
    expect(shape(ours.chunks[1])).toEqual(shape(theirs.chunks[1]));
    expect(shape(ours.chunks.at(-2))).toEqual(shape(theirs.chunks.at(-2)));
    expect(shape(ours.chunks.at(-1))).toEqual(shape(theirs.chunks.at(-1)));
    expect(Object.keys(ours.chunks.at(-1)!.timings as object)).toEqual([
      'cache_n',
      'prompt_n',
      'prompt_ms',
      'prompt_per_token_ms',
      'prompt_per_second',
      'predicted_n',
      'predicted_ms',
      'predicted_per_token_ms',
      'predicted_per_second',
    ]);
    // One id for the whole stream, and the one in the ground truth.
    expect(new Set(ours.chunks.map((c) => c.id))).toEqual(new Set([s.groundTruth[0]!.id]));
  });

  it('chat without stream_options: timings on the finish chunk, no usage anywhere', async () => {
    const s = await server();
    const ours = events(await (await post(`${s.url}/v1/chat/completions`, chatBody('tiny', { stream_options: undefined }))).text());
    const theirs = await recordedEvents('01b_chat_stream_no_stream_options.sse');
    expect(shape(ours.chunks.at(-1))).toEqual(shape(theirs.chunks.at(-1)));
    expect(ours.chunks.some((c) => 'usage' in c)).toBe(false);
    expect(ours.done).toBe(true);
  });

  it('native /completion: per-token events, final stop:true event with generation_settings, no [DONE]', async () => {
    const s = await server();
    const ours = events(await (await post(`${s.url}/completion`, { prompt: 'Once upon a time', n_predict: 5, stream: true })).text());
    const theirs = await recordedEvents('03_completion_stream.sse');
    expect([ours.done, theirs.done]).toEqual([false, false]);
    expect(shape(ours.chunks[0])).toEqual(shape(theirs.chunks[0]));
    expect(shape(ours.chunks.at(-1))).toEqual(shape(theirs.chunks.at(-1)));
    expect(ours.chunks.map((c) => c.tokens_predicted)).toEqual([1, 2, 3, 4, 5, 5]);
    expect(ours.chunks.at(-1)).toMatchObject({
      stop: true,
      content: '',
      stop_type: 'limit',
      prompt: '<s> Once upon a time',
      tokens_evaluated: 5,
    });
  });

  it('/v1/completions: no role chunk; the finish chunk carries usage and timings; [DONE]', async () => {
    const s = await server();
    const ours = events(
      await (await post(`${s.url}/v1/completions`, { prompt: 'Once upon a time', max_tokens: 4, stream: true, ignore_eos: true })).text(),
    );
    const theirs = await recordedEvents('04_v1_completions_stream.sse');
    expect(ours.done).toBe(true);
    expect(ours.chunks).toHaveLength(5);
    expect(shape(ours.chunks[0])).toEqual(shape(theirs.chunks[0]));
    expect(shape(ours.chunks.at(-1))).toEqual(shape(theirs.chunks.at(-1)));
  });

  it('writes like llama-server: role and first token in one HTTP chunk, one event per chunk, then the tail in one', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', genTps: 400, ttftMs: 5 }] });
    const raw = await rawRequest(s.port, '/v1/chat/completions', chatBody('tiny', { max_tokens: 4 }));
    const names = raw.head
      .split('\r\n')
      .slice(1)
      .map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    expect(names).toEqual(await recordedHeaders('01_chat_stream_usage.meta.json'));
    expect(raw.chunks).toHaveLength(5);
    expect(events(raw.chunks[0]!).chunks.map((c) => Object.keys(c.choices![0]!.delta as object))).toEqual([
      ['role', 'content'],
      ['content'],
    ]);
    for (const chunk of raw.chunks.slice(1, 4)) expect(events(chunk).chunks).toHaveLength(1);
    expect(raw.chunks[4]).toMatch(/"finish_reason":"length".*\n\ndata: \{"choices":\[\],.*\n\ndata: \[DONE\]\n\n$/s);
    // The headers were written once the first token was ready, not when the request arrived.
    const truth = s.groundTruth[0]!;
    expect(truth.headersAt! - truth.receivedAt).toBeGreaterThanOrEqual(4_000_000n);
    expect(truth.tokenWrites[0]! >= truth.headersAt!).toBe(true);
  });
});

describe('non-streamed bodies, compared with the recordings', () => {
  it.each([
    ['/v1/chat/completions', '02_chat_nonstream.json', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 6 }],
    ['/completion', '03b_completion_nonstream.json', { prompt: 'Once upon a time', n_predict: 6 }],
    ['/v1/completions', '04c_v1_completions_nonstream.json', { prompt: 'Once upon a time', max_tokens: 6 }],
  ])('%s has the shape of %s', async (path, name, body) => {
    const s = await server();
    const raw = await rawRequest(s.port, path, body);
    const names = raw.head
      .split('\r\n')
      .slice(1)
      .map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    expect(names).toEqual(await recordedHeaders(name.replace('.json', '.meta.json')));
    expect(shape(JSON.parse(raw.body))).toEqual(shape(await recordedJson(name)));
  });

  it('reports rates as b10470 does: prompt per prompt_n, generation per predicted_n − 1 intervals', async () => {
    const s = await server();
    const { timings: t } = (await (
      await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 6, ignore_eos: true })
    ).json()) as { timings: Record<string, number> };
    expect(t.prompt_per_token_ms).toBeCloseTo(t.prompt_ms! / t.prompt_n!, 12);
    expect(t.prompt_per_second).toBeCloseTo((1000 * t.prompt_n!) / t.prompt_ms!, 9);
    expect(t.predicted_per_token_ms).toBeCloseTo(t.predicted_ms! / 5, 12);
    expect(t.predicted_per_second).toBeCloseTo(5000 / t.predicted_ms!, 9);
    // Milliseconds with microsecond resolution, as the server measures.
    expect(Math.round(t.prompt_ms! * 1000) / 1000).toBe(t.prompt_ms);
  });
});

describe('tokenizer endpoints', () => {
  it('/tokenize, with pieces, and /detokenize give the recorded pieces and text', async () => {
    const s = await server();
    const content = 'Hello world, this is a test.';
    const plain = (await (await post(`${s.url}/tokenize`, { content })).json()) as { tokens: number[] };
    expect(plain.tokens).toHaveLength(((await recordedJson('07_tokenize.json')).tokens as number[]).length);
    const withPieces = (await (await post(`${s.url}/tokenize`, { content, with_pieces: true, add_special: true })).json()) as {
      tokens: { id: number; piece: string }[];
    };
    const recorded = (await recordedJson('07_tokenize_with_pieces.json')).tokens as { piece: string }[];
    expect(withPieces.tokens.map((t) => t.piece)).toEqual(recorded.map((t) => t.piece));
    expect(withPieces.tokens[0]!.id).toBe(1);
    const text = await (await post(`${s.url}/detokenize`, { tokens: plain.tokens })).text();
    expect(text).toBe(await fixture('07_detokenize.json'));
  });

  it('/apply-template renders the Llama-2 template without the BOS the tokenizer adds', async () => {
    const s = await server();
    const messages = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Write a haiku about benchmarks.' },
    ];
    const { prompt } = (await (await post(`${s.url}/apply-template`, { messages })).json()) as { prompt: string };
    expect(prompt).toBe('[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nWrite a haiku about benchmarks. [/INST]');
    const { input_tokens } = (await (await post(`${s.url}/v1/chat/completions/input_tokens`, { messages })).json()) as {
      input_tokens: number;
    };
    const { tokens } = (await (await post(`${s.url}/tokenize`, { content: prompt, add_special: true })).json()) as { tokens: number[] };
    expect(input_tokens).toBe(tokens.length);
  });
});

describe('errors, as recorded', () => {
  const tooLong = 'The quick brown fox jumps over the lazy dog. '.repeat(60);

  it.each([
    ['/v1/chat/completions', { messages: [{ role: 'user', content: tooLong }] }],
    ['/v1/chat/completions', { messages: [{ role: 'user', content: tooLong }], stream: true }],
    ['/completion', { prompt: tooLong }],
    ['/completion', { prompt: tooLong, stream: true }],
  ])('%s %j: a prompt of n_ctx tokens or more is a plain-JSON 400', async (path, body) => {
    const s = await start({ mode: 'llama-server', models: [{ ...fast, ctxSize: 256 }] });
    const r = await post(`${s.url}${path}`, body);
    expect([r.status, r.headers.get('content-type')]).toEqual([400, 'application/json; charset=utf-8']);
    const ours = (await r.json()) as Chunk;
    const theirs = await recordedJson('08a_err_prompt_too_long_chat.json');
    expect(shape(ours)).toEqual(shape(theirs));
    const e = ours.error as { message: string; n_prompt_tokens: number; n_ctx: number };
    expect(e.message).toBe(`request (${e.n_prompt_tokens} tokens) exceeds the available context size (256 tokens), try increasing it`);
    expect(e.n_ctx).toBe(256);
  });

  it('malformed JSON is a 500 server_error; unknown paths and wrong methods are the recorded 404', async () => {
    const s = await server();
    const malformed = await post(`${s.url}/v1/chat/completions`, '{"model": "tiny-llama", "messages": [{"role": "user", "content": "hi"}');
    expect(malformed.status).toBe(500);
    const body = (await malformed.json()) as { error: { type: string; message: string } };
    expect(shape(body)).toEqual(shape(await recordedJson('08e_err_malformed_json_chat.json')));
    expect(body.error.message).toMatch(/^\[json\.exception\.parse_error\.101\] parse error at line 1, column \d+/);
    const notFound = await fixture('08g_err_unknown_endpoint.json');
    expect(await (await post(`${s.url}/v1/does-not-exist`, { x: 1 })).text()).toBe(notFound);
    expect(await (await fetch(`${s.url}/nope`)).text()).toBe(notFound);
    const getOnPost = await fetch(`${s.url}/v1/chat/completions`);
    expect([getOnPost.status, await getOnPost.text()]).toEqual([404, notFound]);
  });

  it("missing 'messages' is the recorded 400; empty messages are a BOS-only prompt", async () => {
    const s = await server();
    const missing = await post(`${s.url}/v1/chat/completions`, { model: 'tiny-llama', max_tokens: 8 });
    expect([missing.status, await missing.text()]).toEqual([400, await fixture('08i_err_missing_messages.json')]);
    const empty = (await (await post(`${s.url}/v1/chat/completions`, { messages: [], max_tokens: 8 })).json()) as {
      usage: { prompt_tokens: number };
    };
    expect(empty.usage.prompt_tokens).toBe(
      ((await recordedJson('08n_err_empty_messages.json')) as { usage: { prompt_tokens: number } }).usage.prompt_tokens,
    );
  });

  it('a prompt that fits but leaves too little room is cut at the context, truncated, with 200', async () => {
    const s = await start({ mode: 'llama-server', models: [{ ...fast, ctxSize: 64 }] });
    const r = (await (await post(`${s.url}/completion`, { prompt: 'hello there', n_predict: 200, ignore_eos: true })).json()) as Chunk;
    expect(r).toMatchObject({ tokens_evaluated: 3, tokens_predicted: 61, truncated: true, stop_type: 'limit', tokens_cached: 64 });
    // Without a limit, generation runs to the end of the context.
    const chat = (await (
      await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], ignore_eos: true })
    ).json()) as { usage: { prompt_tokens: number; completion_tokens: number }; choices: { finish_reason: string }[] };
    expect(chat.usage.prompt_tokens + chat.usage.completion_tokens).toBe(64);
    expect(chat.choices[0]!.finish_reason).toBe('length');
  });
});

describe('monitoring endpoints', () => {
  it('/health, /props and /v1/models have the recorded shapes', async () => {
    const s = await start({ mode: 'llama-server', models: [{ ...fast, slots: 3, ctxSize: 4096 }] });
    expect(await (await fetch(`${s.url}/health`)).text()).toBe(await fixture('07_health.json'));
    const props = (await (await fetch(`${s.url}/props`)).json()) as Chunk;
    expect(shape(props)).toEqual(shape(await recordedJson('07_props.json')));
    expect(props).toMatchObject({
      total_slots: 3,
      model_alias: 'tiny',
      build_info: 'b10470-sim',
      default_generation_settings: { n_ctx: 4096 },
    });
    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as Chunk;
    expect(shape(models)).toEqual(shape(await recordedJson('07_v1_models.json')));
    expect(await (await fetch(`${s.url}/models`)).json()).toEqual(models);
  });

  it('/slots is minimal when fresh, busy while generating, and shaped like the recording after use', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'tiny', slots: 1, genTps: 100, ttftMs: 1 }] });
    const fresh = (await (await fetch(`${s.url}/slots`)).json()) as Chunk[];
    expect(shape(fresh)).toEqual(shape(await recordedJson('07_slots_idle_fresh.json')));
    const running = post(`${s.url}/v1/chat/completions`, chatBody('tiny', { max_tokens: 10 })).then((r) => r.text());
    await expect
      .poll(async () => ((await (await fetch(`${s.url}/slots`)).json()) as { is_processing: boolean }[])[0]!.is_processing)
      .toBe(true);
    const busy = ((await (await fetch(`${s.url}/slots`)).json()) as { next_token: { has_next_token: boolean; n_remain: number }[] }[])[0]!;
    expect(busy.next_token[0]!.has_next_token).toBe(true);
    expect(busy.next_token[0]!.n_remain).toBeLessThanOrEqual(10);
    await running;
    const after = (await (await fetch(`${s.url}/slots`)).json()) as Chunk[];
    expect(shape(after)).toEqual(shape(await recordedJson('07_slots_after_requests.json')));
    expect(after[0]).toMatchObject({ is_processing: false, next_token: [{ has_next_token: false, n_decoded: 0 }] });
  });

  it('/metrics lists the recorded metrics in order, with counters that add up', async () => {
    const s = await server();
    for (let i = 0; i < 2; i++)
      await (
        await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi there' }], max_tokens: 4, ignore_eos: true })
      ).text();
    const r = await fetch(`${s.url}/metrics`);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(r.headers.get('process-start-time-unix')).toMatch(/^\d+$/);
    const text = await r.text();
    const names = (t: string) => [...t.matchAll(/^(llamacpp:\w+) /gm)].map((m) => m[1]);
    expect(names(text)).toEqual(names(await fixture('07_metrics.txt')));
    const value = (name: string) => Number(new RegExp(`^llamacpp:${name} (\\S+)$`, 'm').exec(text)![1]);
    const truth = s.groundTruth;
    expect(value('tokens_predicted_total')).toBe(8);
    expect(value('prompt_tokens_total') + value('prompt_tokens_cached_total')).toBe(truth[0]!.promptTokens * 2);
    expect(value('prompt_tokens_cached_total')).toBe(truth[1]!.cachedTokens);
    expect(value('n_tokens_max')).toBe(truth[0]!.promptTokens + 4);
    expect(value('requests_processing')).toBe(0);
  });
});
