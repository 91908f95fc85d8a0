/** The playground relay on a real port: byte-for-byte events, A/B lanes, and a client that leaves. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, request as undiciRequest } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { type Harness, harness, parseSse } from './harness.js';
import { type TeeProxy, teeProxy } from './tee-proxy.js';

let h: Harness | undefined;
const closers: (() => Promise<void>)[] = [];
let client = new Agent({ keepAliveTimeout: 100 });
const request = (url: string, options: Parameters<typeof undiciRequest>[1] = {}) => undiciRequest(url, { ...options, dispatcher: client });
afterEach(async () => {
  await client.close();
  client = new Agent({ keepAliveTimeout: 100 });
  await h?.close();
  h = undefined;
  for (const close of closers.splice(0)) await close();
});

const MESSAGES = [{ role: 'user', content: 'Say something long.' }];

/** Every event of an SSE text, parsed by the same library the relay uses. */
function upstreamEvents(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(text);
  return events;
}

async function post(base: string, path: string, body: unknown) {
  return request(`${base}/api/bench${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

it('chat relays each upstream event once, byte for byte, then TTFT and tok/s', async () => {
  h = await harness();
  const tee: TeeProxy = await teeProxy(h.sim.url);
  closers.push(tee.close);
  await h.store.hosts.put({ id: 'teed', baseUrl: tee.url, kind: 'llama-server' });
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const res = await post(base, '/playground/chat', { host: 'teed', model: 'sim-model', messages: MESSAGES, maxTokens: 24 });
  expect(res.statusCode).toBe(200);
  const text = await res.body.text();
  expect(text).not.toMatch(/data: data:/);
  const relayed = parseSse(text);
  const summary = relayed.pop()!;
  expect(tee.bodies).toHaveLength(1);
  const upstream = upstreamEvents(tee.bodies[0]!);
  expect(upstream.length).toBeGreaterThan(24);
  expect(relayed.map((e) => e.data)).toEqual(upstream.map((e) => e.data));
  // llama-server writes `data: <json>\n\n` per event: the relay's bytes up to its summary are the upstream's.
  expect(text.slice(0, text.indexOf('event: summary'))).toBe(tee.bodies[0]);
  expect(relayed.at(-1)?.data).toBe('[DONE]');
  expect(summary.event).toBe('summary');
  const figures = JSON.parse(summary.data);
  expect(figures).toMatchObject({ type: 'summary', model: 'sim-model', tokens: 24, finishReason: 'length', serverTokens: 24 });
  expect(figures.ttftMs).toBeGreaterThan(0);
  expect(figures.ttftMs).toBeLessThan(figures.e2eMs);
  // The client's speed is the server's within a factor of 2: on a busy machine several chunks can arrive in
  // one read, which shortens the span the client sees.
  expect(figures.genTps).toBeGreaterThan(figures.serverGenTps * 0.5);
  expect(figures.genTps).toBeLessThan(figures.serverGenTps * 2);
});

it('chat-ab streams two lanes side by side, each event named by its lane, with per-lane figures', async () => {
  h = await harness();
  const other: Simulator = await startSimulator({ mode: 'llama-server', models: [{ name: 'other-model', genTps: 100 }], seed: 7 });
  closers.push(other.close);
  await h.store.hosts.put({ id: 'sim-b', baseUrl: other.url, kind: 'llama-server' });
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const res = await post(base, '/playground/chat-ab', {
    lanes: [
      { host: 'sim', model: 'sim-model' },
      { host: 'sim-b', model: 'other-model' },
    ],
    messages: MESSAGES,
    maxTokens: 12,
  });
  expect(res.statusCode).toBe(200);
  const events = parseSse(await res.body.text());
  const summary = events.pop()!;
  const lanes = { a: events.filter((e) => e.event === 'a'), b: events.filter((e) => e.event === 'b') };
  expect(lanes.a.length + lanes.b.length).toBe(events.length);
  for (const [lane, model] of [
    ['a', 'sim-model'],
    ['b', 'other-model'],
  ] as const) {
    expect(lanes[lane].at(-1)?.data).toBe('[DONE]');
    const chunks = lanes[lane].slice(0, -1).map((e) => JSON.parse(e.data));
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([model]));
  }
  // Each lane reached its own server once.
  expect(h.sim.groundTruth.map((g) => g.model)).toEqual(['sim-model']);
  expect(other.groundTruth.map((g) => g.model)).toEqual(['other-model']);
  const figures = JSON.parse(summary.data);
  expect(summary.event).toBe('summary');
  expect(figures.lanes.a).toMatchObject({ host: 'sim', model: 'sim-model', tokens: 12 });
  expect(figures.lanes.b).toMatchObject({ host: 'sim-b', model: 'other-model', tokens: 12 });
  // Lane a's server generates at 200 tok/s, lane b's at 100: each lane's figures are its own.
  expect(figures.lanes.a.serverGenTps).toBeGreaterThan(figures.lanes.b.serverGenTps * 1.5);
});

it('a client that leaves mid-stream aborts the upstream request', async () => {
  h = await harness({}, { mode: 'llama-server', models: [{ name: 'sim-model', genTps: 10, slots: 2 }] });
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const res = await post(base, '/playground/chat', { host: 'sim', model: 'sim-model', messages: MESSAGES, maxTokens: 500 });
  expect(res.statusCode).toBe(200);
  let seen = '';
  for await (const chunk of res.body) {
    seen += chunk.toString();
    if (parseSse(seen).length >= 3) break;
  }
  res.body.destroy();
  // The simulator saw its request end long before 500 tokens at 10 tok/s (50 s).
  await expect.poll(() => h!.sim.groundTruth[0]?.finishedAt, { timeout: 5000 }).toBeDefined();
  expect(h.sim.groundTruth[0]!.tokenWrites.length).toBeLessThan(100);
  await expect.poll(() => h!.sim.stats().active).toBe(0);
});

it('an upstream error status is a 502 naming the host, before any event is sent', async () => {
  h = await harness();
  h.sim.setFaults([{ kind: 'http-503' }]);
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/bench/playground/chat',
    payload: { host: 'sim', model: 'sim-model', messages: MESSAGES },
  });
  expect(res.statusCode).toBe(502);
  expect(res.json().error).toMatchObject({ code: 'UPSTREAM_STATUS', upstreamStatus: 503, message: 'host sim answered HTTP 503' });
});
