/**
 * No call waits forever. Against a simulator that accepts a request and never answers it, every call of the
 * transport fails with RequestTimeoutError within its own deadline (`callTimeoutMs`, `loadTimeoutMs`, a
 * stream's `headersTimeoutMs`), and the caller's signal still ends it sooner. Bounds are generous (five
 * times the timeout): the test machine is a loaded 2-core box, and a failure here means "hung", not "slow".
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RequestTimeoutError } from '../../src/errors/index.js';
import { startSimulator, type Fault } from '../../src/simulator/index.js';
import { connectLlamaTransport, createLlamaTransport } from '../../src/transport/llama/index.js';
import type { Transport } from '../../src/transport/transport.js';
import { collect } from './collect.js';
import { chatRequest, closeAfterEach } from './helpers.js';

const keep = closeAfterEach();
const TIMEOUT_MS = 200;
/** undici runs a stream's headers and body timers on a clock that ticks every half second: a second, then. */
const STREAM_TIMEOUT_MS = 1000;
const model = { name: 'm', genTps: 2000, ttftMs: 1, loadMs: 0 };
const never = (...paths: string[]): Fault => ({ kind: 'accept-and-never-answer', paths });

/** A simulator whose `paths` never answer, and a transport of `kind` to it with every timeout at TIMEOUT_MS. */
async function stalled(mode: 'llama-server' | 'llama-swap', paths: string[]) {
  const sim = keep(
    await startSimulator({ mode, models: [model], initiallyLoaded: mode === 'llama-swap' ? 'm' : null, faults: [never(...paths)] }),
  );
  const transport = keep(
    createLlamaTransport({
      baseUrl: sim.url,
      kind: mode,
      callTimeoutMs: TIMEOUT_MS,
      loadTimeoutMs: TIMEOUT_MS,
      headersTimeoutMs: STREAM_TIMEOUT_MS,
    }),
  );
  return { sim, transport };
}

/** What `call` resolves or rejects with, and how long it took. */
async function timed(call: () => Promise<unknown>): Promise<{ value?: unknown; error: unknown; ms: number }> {
  const t0 = performance.now();
  const outcome = await call().then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ error }),
  );
  return { ...outcome, ms: performance.now() - t0 };
}

function expectTimedOut({ error, ms }: { error: unknown; ms: number }, timeoutMs = TIMEOUT_MS): void {
  expect(error).toBeInstanceOf(RequestTimeoutError);
  expect((error as RequestTimeoutError).timeoutMs).toBe(timeoutMs);
  // Not much sooner either (undici's coarse clock may fire a stream's timer a little early).
  expect(ms).toBeGreaterThanOrEqual(timeoutMs / 2);
  expect(ms).toBeLessThan(5 * timeoutMs);
}

const chat = chatRequest({ model: 'm' });
const prompt = { endpoint: 'completion', prompt: 'hello' } as const;

describe('every call has a deadline', () => {
  const calls: [string, 'llama-server' | 'llama-swap', string[], (t: Transport) => Promise<unknown>][] = [
    ['listModels', 'llama-server', ['/v1/models'], (t) => t.listModels()],
    ['tokenize (llama-server /tokenize)', 'llama-server', ['/tokenize'], (t) => t.tokenize!('m', prompt)],
    [
      'tokenize of a chat (/apply-template)',
      'llama-server',
      ['/apply-template'],
      (t) => t.tokenize!('m', { endpoint: 'chat', messages: [] }),
    ],
    ['applyTemplate', 'llama-server', ['/apply-template'], (t) => t.applyTemplate!('m', [{ role: 'user', content: 'hi' }])],
    ['runningModels (/running)', 'llama-swap', ['/running'], (t) => t.runningModels!()],
    ['unload (loadTimeoutMs)', 'llama-swap', ['/api/models/unload/m'], (t) => t.unload!('m')],
    ['tokenize through llama-swap (loadTimeoutMs)', 'llama-swap', ['/upstream/m/tokenize'], (t) => t.tokenize!('m', prompt)],
    ['probeActivity through llama-swap (/running)', 'llama-swap', ['/running'], (t) => t.probeActivity!()],
  ];
  for (const [name, mode, paths, call] of calls) {
    it(`${name}: RequestTimeoutError within the timeout`, async () => {
      const { transport } = await stalled(mode, paths);
      expectTimedOut(await timed(() => call(transport)));
    });
  }

  it('the timeout says where the call was: waiting for the headers', async () => {
    const { transport } = await stalled('llama-server', ['/v1/models']);
    const { error } = await timed(() => transport.listModels());
    expect(error).toMatchObject({ phase: 'headers', code: 'REQUEST_TIMEOUT' });
  });

  it('best-effort routes that never answer leave describe and probeActivity partial, not hung', async () => {
    const { transport } = await stalled('llama-server', ['/props', '/slots', '/metrics']);
    const described = await timed(() => transport.describe!(['m']));
    expect(described.error).toBeUndefined();
    expect(described.value).toMatchObject({ models: [], raw: { '/v1/models': expect.anything() } });
    expect(described.ms).toBeLessThan(5 * TIMEOUT_MS);
    // Two calls in turn (`/slots`, then `/metrics`), each within its deadline.
    const probe = await timed(() => transport.probeActivity!());
    expect(probe.value).toEqual({ busy: false, evidence: ['server: neither /slots nor /metrics available'] });
    expect(probe.ms).toBeLessThan(2 * 5 * TIMEOUT_MS);
  });

  it('a stream whose headers never come: RequestTimeoutError(headers) within headersTimeoutMs', async () => {
    const { transport } = await stalled('llama-server', ['/v1/chat/completions']);
    const result = await timed(() => collect(transport.stream(chat)));
    expectTimedOut(result, STREAM_TIMEOUT_MS);
    expect(result.error).toMatchObject({ phase: 'headers' });
  });

  it('detection of a server that never answers fails within the call timeout, for connect and for the first call', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model], faults: [never('/running')] }));
    expectTimedOut(await timed(() => connectLlamaTransport({ baseUrl: sim.url, callTimeoutMs: TIMEOUT_MS })));
    const lazy = keep(createLlamaTransport({ baseUrl: sim.url, callTimeoutMs: TIMEOUT_MS }));
    expectTimedOut(await timed(() => lazy.listModels()));
  });
});

describe("the caller's signal", () => {
  it('ends a stalled call before its deadline, with the signal’s reason unchanged', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model], faults: [never('/tokenize')] }));
    // The default deadline (30 s) is far off: only the signal can end this call in time.
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    const reason = new Error('stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    const { error, ms } = await timed(() => transport.tokenize!('m', prompt, { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(ms).toBeLessThan(5_000);
  });

  it('ends a stalled stream, with the signal’s reason unchanged', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model], faults: [never('/v1/chat/completions')] }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    const reason = new Error('stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    await expect(collect(transport.stream(chat, { signal: controller.signal }))).rejects.toBe(reason);
  });

  it('a call that finished leaves no listener on a long-lived signal', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [model] }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' }));
    const controller = new AbortController();
    for (let i = 0; i < 5; i++) await transport.tokenize!('m', prompt, { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
