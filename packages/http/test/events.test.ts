/** A run's SSE feed on a real port, read with undici: to the end, by several watchers, resumed with Last-Event-ID. */
import { Agent, request as undiciRequest } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { type Harness, harness, type ParsedEvent, parseSse, SMALL_SUITE } from './harness.js';

let h: Harness | undefined;
let client = new Agent({ keepAliveTimeout: 100 });
const request = (url: string, options: Parameters<typeof undiciRequest>[1] = {}) => undiciRequest(url, { ...options, dispatcher: client });
afterEach(async () => {
  // undici's advice for tests: close every pool, so no keep-alive connection outlives the test.
  await client.close();
  client = new Agent({ keepAliveTimeout: 100 });
  await h?.close();
  h = undefined;
});

async function listen(h: Harness): Promise<string> {
  return h.app.listen({ port: 0, host: '127.0.0.1' });
}

/** Read an event stream; stop after `upTo` events (leaving the connection), or at its end. */
async function readEvents(url: string, headers: Record<string, string> = {}, upTo = Number.POSITIVE_INFINITY): Promise<ParsedEvent[]> {
  const res = await request(url, { headers: { accept: 'text/event-stream', ...headers } });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/event-stream');
  let text = '';
  for await (const chunk of res.body) {
    text += chunk.toString();
    const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
    if (parseSse(complete).length >= upTo) {
      res.body.destroy();
      return parseSse(complete).slice(0, upTo);
    }
  }
  return parseSse(text);
}

it('several watchers read one run to its end; one that left resumes with Last-Event-ID; leaving stops nothing', async () => {
  h = await harness({}, { mode: 'llama-server', models: [{ name: 'sim-model', genTps: 100, slots: 4 }] });
  const base = await listen(h);
  const started = await request(`${base}/api/bench/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ host: 'sim', suite: { ...SMALL_SUITE, maxTokens: [24], repetitions: 4 } }),
  });
  expect(started.statusCode).toBe(202);
  const { runId, events } = (await started.body.json()) as { runId: string; events: string };
  const url = `${base}${events}`;

  const [whole, first] = await Promise.all([readEvents(url), readEvents(url, {}, 3)]);
  // The second watcher left after 3 events; the run went on and it picks up where it stopped.
  const rest = await readEvents(url, { 'last-event-id': first.at(-1)!.id! });

  const seqs = whole.map((e) => Number(e.id));
  expect(seqs).toEqual(seqs.map((_, i) => i));
  expect(whole.at(-1)?.event).toBe('run-done');
  expect(JSON.parse(whole.at(-1)!.data).result.status).toBe('completed');
  expect([...first, ...rest]).toEqual(whole);
  expect(whole.filter((e) => e.event === 'sample')).toHaveLength(4);
  expect((await h.store.runs.get(runId))?.status).toBe('completed');

  // After the end: a replay from the log, and from a given point.
  expect(await readEvents(url)).toEqual(whole);
  expect(await readEvents(`${url}?lastEventId=${whole.length - 2}`)).toEqual(whole.slice(-1));
});

it('the feed of a run this server no longer keeps is its stored result', async () => {
  h = await harness({ limits: { keptEventLogs: 0 } });
  const base = await listen(h);
  const started = await h.app.inject({ method: 'POST', url: '/api/bench/runs', payload: { host: 'sim', suite: SMALL_SUITE } });
  const { runId } = started.json();
  await expect.poll(async () => (await h!.store.runs.get(runId))?.status).toBe('completed');
  await expect.poll(async () => (await h!.app.inject({ method: 'GET', url: `/api/bench/runs/${runId}` })).json().live).toBe(false);
  const events = await readEvents(`${base}/api/bench/runs/${runId}/events`);
  expect(events).toHaveLength(1);
  expect(events[0]?.event).toBe('run-done');
  expect(JSON.parse(events[0]!.data).result.runId).toBe(runId);
  const missing = await request(`${base}/api/bench/runs/nope/events`);
  expect(missing.statusCode).toBe(404);
  expect(((await missing.body.json()) as { error: { code: string } }).error.code).toBe('RUN_NOT_FOUND');
});

it('the feed of a run running in another process (on a shared store) says run-status, not run-done', async () => {
  h = await harness();
  const started = await h.app.inject({ method: 'POST', url: '/api/bench/runs', payload: { host: 'sim', suite: SMALL_SUITE } });
  const { runId } = started.json();
  await expect.poll(async () => (await h!.store.runs.get(runId))?.status).toBe('completed');
  // A record as a CLI run on the same store leaves it while it runs: stored `running`, unknown to this server.
  const done = (await h.store.runs.get(runId))!;
  const elsewhere = { ...done, runId: 'run-of-another-process', status: 'running' as const, cells: [] };
  delete (elsewhere as { finishedAt?: string }).finishedAt;
  await h.store.runs.create(elsewhere);
  const base = await listen(h);
  const events = await readEvents(`${base}/api/bench/runs/run-of-another-process/events`);
  expect(events).toHaveLength(1);
  expect(events[0]?.event).toBe('run-status');
  expect(JSON.parse(events[0]!.data)).toMatchObject({ type: 'run-status', result: { status: 'running' } });
});

it('a client that leaves while POST /runs waits for the host aborts the wait, and no run starts', async () => {
  const asked: AbortSignal[] = [];
  // Host access that waits (as for a leased host with waitMs) until its signal aborts.
  h = await harness({
    hostAccess: (request) => {
      asked.push(request.signal!);
      return new Promise((_, reject) => request.signal!.addEventListener('abort', () => reject(request.signal!.reason), { once: true }));
    },
  });
  const base = await listen(h);
  const leaving = new AbortController();
  const posted = request(`${base}/api/bench/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ host: 'sim', suite: SMALL_SUITE, waitMs: 600_000 }),
    signal: leaving.signal,
  });
  await expect.poll(() => asked.length).toBe(1);
  leaving.abort();
  await expect(posted).rejects.toThrow();
  await expect.poll(() => asked[0]!.aborted).toBe(true);
  expect((await h.store.runs.list({})).items).toEqual([]);
});
