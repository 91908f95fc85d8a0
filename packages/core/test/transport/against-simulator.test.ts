import { describe, expect, it } from 'vitest';
import { ModelNotFoundError, RequestTimeoutError, ServerLoadingError, StreamProtocolError } from '../../src/errors/index.js';
import { applyTemplate, startSimulator, type FaultKind } from '../../src/simulator/index.js';
import { parseLlamaTimings } from '../../src/timings/parse-llama-timings.js';
import { connectLlamaTransport, createLlamaTransport } from '../../src/transport/llama/index.js';
import type { ActivityProbe, TransportEvent } from '../../src/transport/transport.js';
import { chatRequest, closeAfterEach, completionRequest } from './helpers.js';
import { startMswServer } from './msw-loopback.js';
import { http, HttpResponse } from 'msw';

const keep = closeAfterEach();

const models = [
  { name: 'a', genTps: 2000, ttftMs: 1, loadMs: 30, slots: 2 },
  { name: 'b', genTps: 2000, ttftMs: 1, loadMs: 30 },
];

describe('llama transport against the simulator (real loopback HTTP)', () => {
  it('streams a chat request: response-start, one delta per token, final with timings', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-swap', models }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap' }));
    const events: TransportEvent[] = [];
    for await (const e of transport.stream(chatRequest({ model: 'a', maxTokens: 12, sampling: { seed: 1 } }))) events.push(e);
    expect(events[0]!.type).toBe('response-start');
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(12);
    const final = events.at(-1)!;
    expect(final).toMatchObject({ type: 'final', finishReason: 'length', raw: { timings: { predicted_n: 12, cache_n: 0 } } });
    if (final.type !== 'final') return;
    const truth = sim.groundTruth[0]!;
    expect(final.responseId).toBe(truth.id);
    // The raw record normalizes to what the simulator did.
    expect(parseLlamaTimings(final.raw)).toMatchObject({
      source: 'llama',
      generatedTokens: truth.predictedTokens,
      promptTokens: truth.promptTokens,
      cachedTokens: truth.cachedTokens,
    });
  });

  it("a native completion's raw final object normalizes to the ground truth too", async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    const events: TransportEvent[] = [];
    for await (const e of transport.stream(completionRequest({ model: 'a', maxTokens: 7 }))) events.push(e);
    const final = events.at(-1)!;
    expect(final).toMatchObject({ type: 'final', raw: { stop: true } });
    if (final.type !== 'final') return;
    const truth = sim.groundTruth[0]!;
    expect(parseLlamaTimings(final.raw)).toMatchObject({
      source: 'llama',
      generatedTokens: truth.predictedTokens,
      promptTokens: truth.promptTokens,
    });
  });

  it('streams a native completion through llama-swap', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-swap', models }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap' }));
    const events: TransportEvent[] = [];
    for await (const e of transport.stream(completionRequest({ model: 'b', maxTokens: 5, cachePrompt: true }))) events.push(e);
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(5);
    expect(events.at(-1)).toMatchObject({ type: 'final', finishReason: 'length' });
  });

  it('tokenizes exactly as the server counts the prompt, chat and completion', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-swap', models }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap' }));
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Request 000042: the quick brown fox jumps' },
    ];
    // The template is the simulator's own.
    expect(await transport.applyTemplate!('a', messages)).toBe(applyTemplate(messages));
    const chatCount = await transport.tokenize!('a', { endpoint: 'chat', messages });
    const completionCount = await transport.tokenize!('a', { endpoint: 'completion', prompt: 'the quick brown fox' });
    for await (const _ of transport.stream(chatRequest({ messages, model: 'a', maxTokens: 1 })));
    for await (const _ of transport.stream(completionRequest({ prompt: 'the quick brown fox', model: 'a', maxTokens: 1 })));
    expect(sim.groundTruth.map((g) => g.promptTokens)).toEqual([chatCount, completionCount]);
  });

  it('lists models, lists running ones, unloads, and describes loaded models only', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-swap', models, initiallyLoaded: 'a' }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap' }));
    expect((await transport.listModels()).map((m) => [m.id, m.loaded])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(await transport.runningModels!()).toEqual(['a']);
    const info = await transport.describe!(['a', 'b']);
    // Describing did not load b: only the loaded model is described, from its own /props.
    const props = (await (await fetch(`${sim.url}/upstream/a/props`)).json()) as Record<string, unknown>;
    expect(info.models).toEqual([
      {
        id: 'a',
        build: 'b10470-sim',
        contextPerSlot: 8192,
        slots: 2,
        path: 'models/a.gguf',
        alias: 'a',
        chatTemplate: props.chat_template,
        raw: props,
      },
    ]);
    expect(Object.keys(info.raw)).toEqual(['/v1/models', '/running']);
    expect(sim.loadedModels()).toEqual(['a']);
    await transport.unload!('a');
    expect(await transport.runningModels!()).toEqual([]);
  });

  it('describes a llama-server by its /props, under every name asked', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [{ name: 'a', slots: 3, ctxSize: 4096 }] }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    const info = await transport.describe!(['a', 'alias-of-a']);
    const props = (await (await fetch(`${sim.url}/props`)).json()) as Record<string, unknown>;
    const described = {
      build: 'b10470-sim',
      contextPerSlot: 4096,
      slots: 3,
      path: 'models/a.gguf',
      alias: 'a',
      chatTemplate: props.chat_template,
      raw: props,
    };
    expect(info).toEqual({
      kind: 'llama-server',
      baseUrl: sim.url,
      models: [
        { id: 'a', ...described },
        { id: 'alias-of-a', ...described },
      ],
      raw: { '/v1/models': expect.objectContaining({ data: [expect.objectContaining({ id: 'a' })] }) },
    });
    expect(typeof described.chatTemplate).toBe('string');
  });

  it('probeActivity sees a busy slot', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [{ name: 'a', genTps: 20, ttftMs: 1 }] }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    expect(await transport.probeActivity!()).toEqual({ busy: false, evidence: [], inFlight: 0 });
    const other = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' });
    let probe: ActivityProbe | undefined;
    try {
      const stream = other.stream(chatRequest({ messages: [{ role: 'user', content: 'x' }], model: 'a', maxTokens: 200 }));
      for await (const e of stream) {
        if (e.type !== 'delta') continue;
        // The first token is out and 199 more follow at 20 tokens/s: the slot is busy for seconds.
        probe = await transport.probeActivity!();
        break;
      }
    } finally {
      await other.close();
    }
    expect(probe).toEqual({ busy: true, evidence: ['slot 0 is processing'], inFlight: 1 });
    expect(sim.groundTruth).toHaveLength(1);
  });

  it('connectLlamaTransport detects llama-swap, llama-server and plain OpenAI servers', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-swap', models }));
    const swap = await connectLlamaTransport({ baseUrl: sim.url });
    expect([swap.kind, typeof swap.unload]).toEqual(['llama-swap', 'function']);
    await swap.close();
    const server = await startSimulator({ mode: 'llama-server', models });
    const llama = await connectLlamaTransport({ baseUrl: `${server.url}/v1` });
    expect([llama.kind, typeof llama.unload, typeof llama.tokenize]).toEqual(['llama-server', 'undefined', 'function']);
    await llama.close();
    await server.close();
    const vllm = await startMswServer([
      http.get('*/v1/models', () => HttpResponse.json({ object: 'list', data: [{ id: 'Qwen/Qwen3-8B' }] })),
    ]);
    const openai = await connectLlamaTransport({ baseUrl: vllm.url });
    // vLLM's tokenizer route, tried first by calibration.
    expect([openai.kind, typeof openai.tokenize]).toEqual(['openai', 'function']);
    expect((await openai.listModels()).map((m) => m.id)).toEqual(['Qwen/Qwen3-8B']);
    await openai.close();
    await vllm.close();
  });

  it('connectLlamaTransport rejects with HostUnreachableError when nothing listens', async () => {
    await expect(connectLlamaTransport({ baseUrl: 'http://127.0.0.1:9' })).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
  });
});

/** The simulator's ground truth is on `process.hrtime.bigint()`: the transport stamps on the same clock. */
const hrClock = () => Number(process.hrtime.bigint()) / 1e6;
const chatTo = (model: string, maxTokens: number) =>
  chatRequest({ messages: [{ role: 'user', content: 'hello' }], model, maxTokens, sampling: { seed: 1 } });

describe('llama transport against the simulator: timing and faults', () => {
  it('stamps each delta just after the simulator wrote its token (ground truth, same clock)', async () => {
    // 100 tokens/s: 10 ms between writes, so a stamp taken anywhere but on arrival (at the end of the
    // stream, say) is off by far more than the tolerance for most tokens.
    const sim = keep(await startSimulator({ mode: 'llama-swap', models: [{ name: 'a', genTps: 100, jitter: 0 }], seed: 1 }));
    const transport = keep(await connectLlamaTransport({ baseUrl: sim.url, clock: hrClock }));
    expect(transport.kind).toBe('llama-swap');
    const events: TransportEvent[] = [];
    for await (const e of transport.stream(chatTo('a', 24))) events.push(e);
    const truth = sim.groundTruth[0]!;
    const writes = truth.tokenWrites.map((t) => Number(t) / 1e6);
    const deltas = events.filter((e) => e.type === 'delta');
    expect(deltas).toHaveLength(writes.length);
    // Never before the write (same clock, causal); after it by at most loopback delivery plus event-loop
    // latency on a loaded 2-core test machine.
    const TOLERANCE_MS = 100;
    for (const [i, d] of deltas.entries()) {
      expect(d.at - writes[i]!).toBeGreaterThanOrEqual(0);
      expect(d.at - writes[i]!).toBeLessThan(TOLERANCE_MS);
    }
    expect(events[0]!.at - Number(truth.headersAt!) / 1e6).toBeGreaterThanOrEqual(0);
    expect(events.at(-1)).toMatchObject({ type: 'final', responseId: truth.id, raw: { timings: { predicted_n: 24 } } });
  });

  const faults: [FaultKind, (error: unknown, events: TransportEvent[]) => void][] = [
    [
      'reset',
      (error, events) => {
        expect(error).toBeInstanceOf(StreamProtocolError);
        expect(events.filter((e) => e.type === 'delta')).toHaveLength(2);
      },
    ],
    ['malformed-chunk', (error) => expect(error).toBeInstanceOf(StreamProtocolError)],
    ['http-500', (error) => expect(error).toMatchObject({ status: 500, code: 'HTTP_STATUS' })],
    ['http-503', (error) => expect(error).toBeInstanceOf(ServerLoadingError)],
    ['unknown-model', (error) => expect(error).toBeInstanceOf(ModelNotFoundError)],
    [
      'missing-timings',
      (error, events) => {
        expect(error).toBeUndefined();
        const final = events.at(-1);
        expect(final?.type).toBe('final');
        expect(final?.type === 'final' && final.raw).not.toHaveProperty('timings');
      },
    ],
    [
      'no-done',
      (error, events) => {
        // Lenient: the finish chunk came, only [DONE] is missing.
        expect(error).toBeUndefined();
        expect(events.at(-1)).toMatchObject({ type: 'final', finishReason: 'length' });
      },
    ],
    ['stall', (error) => expect(error).toMatchObject({ phase: 'body' })],
  ];
  for (const [kind, check] of faults) {
    it(`fault ${kind}`, async () => {
      const sim = keep(
        await startSimulator({
          mode: 'llama-swap',
          models: [{ name: 'a', genTps: 500 }],
          seed: 1,
          initiallyLoaded: 'a',
          faults: [{ kind, afterTokens: 2, stallMs: 2000 }],
        }),
      );
      const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', bodyTimeoutMs: 200, connections: 1 }));
      const events: TransportEvent[] = [];
      const error = await (async () => {
        for await (const e of transport.stream(chatTo('a', 8))) events.push(e);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      check(error, events);
      if (error instanceof RequestTimeoutError) expect(error.timeoutMs).toBe(200);
      // The connection is usable afterwards.
      sim.setFaults([]);
      const after: TransportEvent[] = [];
      for await (const e of transport.stream(chatTo('a', 3))) after.push(e);
      expect(after.at(-1)?.type).toBe('final');
    });
  }
});
