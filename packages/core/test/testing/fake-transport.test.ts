import { describe, expect, it } from 'vitest';
import { parseLlamaTimings } from '../../src/timings/parse-llama-timings.js';
import { capabilitiesOf, type StreamRequest, type TransportEvent } from '../../src/transport/transport.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';

const request = (extra: Partial<StreamRequest> = {}): StreamRequest =>
  ({
    endpoint: 'chat',
    messages: [{ role: 'user', content: 'one two three four' }],
    model: 'fake-model',
    maxTokens: 6,
    sampling: {},
    ignoreEos: true,
    cachePrompt: false,
    ...extra,
  }) as StreamRequest;

async function collect(events: AsyncIterable<TransportEvent>): Promise<TransportEvent[]> {
  const out: TransportEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('the fake transport', () => {
  it('streams on the virtual clock and ends with llama.cpp timings in `raw`, rates over N − 1 intervals', async () => {
    const clock = createVirtualClock();
    const fake = createFakeTransport({ clock, script: () => ({ ttfbMs: 2, ttftMs: 10, interTokenMs: 5, cachedTokens: 1 }) });
    const events = await collect(fake.stream(request()));
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['response-start', 2],
      ...[10, 15, 20, 25, 30, 35].map((at) => ['delta', at]),
      ['final', 35],
    ]);
    const final = events.at(-1) as Extract<TransportEvent, { type: 'final' }>;
    expect(final).toMatchObject({ finishReason: 'length', responseId: 'fake-0', model: 'fake-model', systemFingerprint: 'fake' });
    // No usage was scripted, so none is reported.
    expect(Object.keys(final.raw)).toEqual(['timings']);
    expect(final.raw.timings).toEqual({
      cache_n: 1,
      prompt_n: 3,
      prompt_ms: 10,
      prompt_per_token_ms: 10 / 3,
      prompt_per_second: 300,
      predicted_n: 6,
      predicted_ms: 25,
      predicted_per_token_ms: 5,
      predicted_per_second: 200,
    });
    expect(parseLlamaTimings(final.raw)).toMatchObject({ promptTokens: 4, cachedTokens: 1, genTps: 200, promptTps: 300 });
  });

  it('passes scripted timings and usage through as the raw record', async () => {
    const clock = createVirtualClock();
    const timings = { prompt_n: 32, predicted_n: 8 };
    const usage = { prompt_tokens: 32, completion_tokens: 8 };
    const fake = createFakeTransport({ clock, script: () => ({ ttftMs: 1, interTokenMs: 1, timings, usage }) });
    const final = (await collect(fake.stream(request()))).at(-1) as Extract<TransportEvent, { type: 'final' }>;
    expect(final.raw).toEqual({ timings, usage });
  });

  it('has llama-server traits by default, takes others, and offers only the capabilities it was given', async () => {
    const clock = createVirtualClock();
    const script = () => ({ ttftMs: 1, interTokenMs: 1 });
    expect(createFakeTransport({ clock, script }).traits).toEqual({ anyModelName: true, describesLoadedModelsOnly: false });
    expect(createFakeTransport({ clock, script, kind: 'llama-swap' }).traits).toEqual({
      anyModelName: false,
      describesLoadedModelsOnly: false,
    });
    expect(createFakeTransport({ clock, script, traits: { describesLoadedModelsOnly: true } }).traits).toEqual({
      anyModelName: true,
      describesLoadedModelsOnly: true,
    });
    expect(capabilitiesOf(createFakeTransport({ clock, script }))).toEqual([]);
    expect(capabilitiesOf(createFakeTransport({ clock, script, tokenizer: true, describe: true, running: [] }))).toEqual([
      'tokenize',
      'describe',
      'runningModels',
      'unload',
    ]);
  });

  it('describes the asked models; with describesLoadedModelsOnly, the loaded ones among them', async () => {
    const clock = createVirtualClock();
    const script = () => ({ ttftMs: 1, interTokenMs: 1 });
    const plain = createFakeTransport({ clock, script, describe: true });
    expect(await plain.describe!(['a', 'b'])).toEqual({
      kind: 'llama-server',
      baseUrl: 'fake://server',
      models: [
        { id: 'a', build: 'fake' },
        { id: 'b', build: 'fake' },
      ],
      raw: {},
    });
    const swap = createFakeTransport({
      clock,
      script,
      kind: 'llama-swap',
      traits: { describesLoadedModelsOnly: true },
      describe: true,
      running: ['a'],
    });
    expect((await swap.describe!(['a', 'b'])).models.map((m) => m.id)).toEqual(['a']);
    // A request loads its model, as llama-swap does; then it can be described.
    await collect(swap.stream(request({ model: 'b' })));
    expect((await swap.describe!(['a', 'b'])).models.map((m) => m.id)).toEqual(['a', 'b']);
  });
});
