/** Starting, refusing, listing, comparing and cancelling runs, through `fastify.inject`. */
import { afterEach, expect, it } from 'vitest';
import { type Harness, harness, parseSse, SMALL_SUITE } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function startRun(h: Harness, body: Record<string, unknown>) {
  return h.app.inject({ method: 'POST', url: '/api/bench/runs', payload: body });
}

/** Read a run's event stream to its end (inject resolves when the stream ends), then wait until it let go of the host. */
async function finish(h: Harness, runId: string) {
  const res = await h.app.inject({ method: 'GET', url: `/api/bench/runs/${runId}/events` });
  await expect.poll(async () => (await h.app.inject({ method: 'GET', url: `/api/bench/runs/${runId}` })).json().live).toBe(false);
  return parseSse(res.body);
}

it('POST /runs answers 202 with the run id, and the run completes in the store', async () => {
  h = await harness();
  const res = await startRun(h, { host: 'sim', suite: SMALL_SUITE });
  expect(res.statusCode, res.body).toBe(202);
  const { runId, events } = res.json();
  expect(res.headers.location).toBe(`/api/bench/runs/${runId}`);
  expect(events).toBe(`/api/bench/runs/${runId}/events`);
  const feed = await finish(h, runId);
  expect(feed[0]?.event).toBe('run-start');
  expect(feed.at(-1)?.event).toBe('run-done');
  expect((await h.store.runs.get(runId))?.status).toBe('completed');
  const detail = (await h.app.inject({ method: 'GET', url: `/api/bench/runs/${runId}` })).json();
  expect(detail.run.cells[0]).toMatchObject({ model: 'sim-model', promptTokens: 32, maxTokens: 16, n: 2 });
  expect(detail).toMatchObject({ live: false, baseline: null, comparison: null });
});

it('a run by a stored suite name works as an inline suite does', async () => {
  h = await harness();
  const put = await h.app.inject({ method: 'POST', url: '/api/bench/suites', payload: { suite: SMALL_SUITE } });
  expect(put.statusCode, put.body).toBe(201);
  expect((await h.app.inject({ method: 'GET', url: '/api/bench/suites/small' })).json().suite.name).toBe('small');
  expect((await h.app.inject({ method: 'GET', url: '/api/bench/suites' })).json()).toHaveLength(1);
  const res = await startRun(h, { host: 'sim', suiteName: 'small' });
  expect(res.statusCode, res.body).toBe(202);
  expect((await finish(h, res.json().runId)).at(-1)?.event).toBe('run-done');
});

it('409 names the lease holder while another job holds the host; nothing is stored', async () => {
  h = await harness();
  await h.store.leases.acquire({ hostId: 'sim', holder: 'nightly job on box-2', purpose: 'bench', ttlMs: 60_000 });
  const res = await startRun(h, { host: 'sim', suite: SMALL_SUITE });
  expect(res.statusCode).toBe(409);
  expect(res.json().error).toMatchObject({ code: 'LEASE_HELD', holder: 'nightly job on box-2', purpose: 'bench' });
  expect((await h.store.runs.list()).items).toHaveLength(0);
});

it('409 carries the foreign-traffic evidence; takeover: true runs anyway and says so', async () => {
  h = await harness({}, { mode: 'llama-server', models: [{ name: 'sim-model', genTps: 200, slots: 4 }], foreignTraffic: { requests: 1 } });
  const refused = await startRun(h, { host: 'sim', suite: SMALL_SUITE });
  expect(refused.statusCode).toBe(409);
  expect(refused.json().error.code).toBe('HOST_BUSY');
  expect(refused.json().error.evidence.length).toBeGreaterThan(0);
  // The refusal gave the lease back: the takeover gets it.
  const taken = await startRun(h, { host: 'sim', suite: SMALL_SUITE, takeover: true });
  expect(taken.statusCode, taken.body).toBe(202);
  await finish(h, taken.json().runId);
  const run = await h.store.runs.get(taken.json().runId);
  expect(run?.notes.some((n) => n.includes('took over a busy host'))).toBe(true);
});

it('cancel stops a run in progress, which is stored cancelled', async () => {
  h = await harness({}, { mode: 'llama-server', models: [{ name: 'sim-model', genTps: 20, slots: 4 }] });
  const res = await startRun(h, { host: 'sim', suite: { ...SMALL_SUITE, maxTokens: [200], repetitions: 5 } });
  const { runId } = res.json();
  await expect.poll(() => h!.sim.stats().active).toBeGreaterThan(0);
  const cancel = await h.app.inject({ method: 'POST', url: `/api/bench/runs/${runId}/cancel` });
  expect(cancel.statusCode).toBe(202);
  expect(cancel.json()).toEqual({ runId, status: 'cancelling' });
  const feed = await finish(h, runId);
  expect(JSON.parse(feed.at(-1)!.data).result.status).toBe('cancelled');
  expect((await h.store.runs.get(runId))?.status).toBe('cancelled');
  const again = await h.app.inject({ method: 'POST', url: `/api/bench/runs/${runId}/cancel` });
  expect(again.statusCode).toBe(409);
  const unknown = await h.app.inject({ method: 'POST', url: '/api/bench/runs/nope/cancel' });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().error.code).toBe('RUN_NOT_FOUND');
});

it('a run beyond the concurrent-run limit is refused with 429', async () => {
  h = await harness({ limits: { concurrentRuns: 1 } }, { mode: 'llama-swap', models: [{ name: 'sim-model', genTps: 20 }] });
  await h.store.hosts.put({ id: 'sim2', baseUrl: h.sim.url, kind: 'llama-swap' });
  const first = await startRun(h, { host: 'sim', suite: { ...SMALL_SUITE, maxTokens: [100] } });
  expect(first.statusCode).toBe(202);
  const second = await startRun(h, { host: 'sim2', suite: SMALL_SUITE });
  expect(second.statusCode).toBe(429);
  expect(second.json().error.code).toBe('TOO_MANY_RUNS');
  await h.app.inject({ method: 'POST', url: `/api/bench/runs/${first.json().runId}/cancel` });
});

it('GET /runs pages through history with filters', async () => {
  h = await harness();
  const ids: string[] = [];
  for (const name of ['alpha', 'beta', 'alpha']) {
    const res = await startRun(h, { host: 'sim', suite: { ...SMALL_SUITE, name, repetitions: 1 } });
    ids.push(res.json().runId);
    await finish(h, res.json().runId);
  }
  const alpha = (await h.app.inject({ method: 'GET', url: '/api/bench/runs?suite=alpha' })).json();
  expect(alpha.items.map((r: { runId: string }) => r.runId).sort()).toEqual([ids[0], ids[2]].sort());
  const page1 = (await h.app.inject({ method: 'GET', url: '/api/bench/runs?limit=2' })).json();
  expect(page1.items).toHaveLength(2);
  expect(page1.nextCursor).toBeTypeOf('string');
  const page2 = (
    await h.app.inject({ method: 'GET', url: `/api/bench/runs?limit=2&cursor=${encodeURIComponent(page1.nextCursor)}` })
  ).json();
  expect(page2.items).toHaveLength(1);
  expect(new Set([...page1.items, ...page2.items].map((r: { runId: string }) => r.runId))).toEqual(new Set(ids));
  const bad = await h.app.inject({ method: 'GET', url: '/api/bench/runs?limit=0&status=done' });
  expect(bad.statusCode).toBe(400);
  expect(
    bad
      .json()
      .error.issues.map((i: { path: string }) => i.path)
      .sort(),
  ).toEqual(['querystring.limit', 'querystring.status']);
});

it('GET /runs/:id compares with the baseline of its suite and host', async () => {
  h = await harness();
  const base = (await startRun(h, { host: 'sim', suite: { ...SMALL_SUITE, repetitions: 3 } })).json().runId;
  await finish(h, base);
  const put = await h.app.inject({ method: 'PUT', url: '/api/bench/baselines/small@sim', payload: { runId: base } });
  expect(put.statusCode, put.body).toBe(200);
  expect((await h.app.inject({ method: 'GET', url: '/api/bench/baselines' })).json()).toMatchObject([{ name: 'small@sim', runId: base }]);
  const cand = (await startRun(h, { host: 'sim', suite: { ...SMALL_SUITE, repetitions: 3 } })).json().runId;
  await finish(h, cand);
  const detail = (await h.app.inject({ method: 'GET', url: `/api/bench/runs/${cand}` })).json();
  expect(detail.baseline).toEqual({ name: 'small@sim', runId: base });
  expect(detail.comparison.baseline.runId).toBe(base);
  expect(detail.comparison.candidate.runId).toBe(cand);
  expect(['regression', 'improvement', 'unchanged', 'inconclusive']).toContain(detail.comparison.verdict);
  expect(detail.comparison.cells[0].metrics.length).toBeGreaterThan(0);
  const del = await h.app.inject({ method: 'DELETE', url: '/api/bench/baselines/small@sim' });
  expect(del.statusCode).toBe(204);
  expect((await h.app.inject({ method: 'DELETE', url: '/api/bench/baselines/small@sim' })).statusCode).toBe(404);
});

it('GET /runs/:id finds the baseline set under another name of the same server, as the CLI does', async () => {
  h = await harness();
  const base = (await startRun(h, { host: 'sim', suite: SMALL_SUITE })).json().runId;
  await finish(h, base);
  expect((await h.app.inject({ method: 'PUT', url: '/api/bench/baselines/small@sim', payload: { runId: base } })).statusCode).toBe(200);
  // A second name for the same URL: runs through it are named `small@sim2`, and no baseline has that name.
  const sim = (await h.store.hosts.get('sim'))!;
  await h.store.hosts.put({ ...sim, id: 'sim2' });
  const cand = (await startRun(h, { host: 'sim2', suite: SMALL_SUITE })).json().runId;
  await finish(h, cand);
  const detail = (await h.app.inject({ method: 'GET', url: `/api/bench/runs/${cand}` })).json();
  expect(detail.baseline).toEqual({ name: 'small@sim', runId: base });
  expect(detail.comparison.baseline.runId).toBe(base);
});

it('a suite with worker threads runs on them with the default transport (202, then completed and stored)', async () => {
  h = await harness();
  const res = await startRun(h, { host: 'sim', suite: { ...SMALL_SUITE, concurrency: [2], workers: 2 } });
  expect(res.statusCode, res.body).toBe(202);
  const { runId } = res.json();
  const feed = await finish(h, runId);
  expect(feed.at(-1)?.event, feed.at(-1)?.data).toBe('run-done');
  const stored = await h.store.runs.get(runId);
  expect(stored?.status).toBe('completed');
  expect(stored?.cells[0]?.n).toBe(4);
});

it('with an app transport, a suite with worker threads is refused up front at body.suite.workers', async () => {
  const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
  h = await harness({ transport: async (host) => connectLlamaTransport({ baseUrl: host.baseUrl, kind: 'llama-server' }) });
  const res = await startRun(h, { host: 'sim', suite: { ...SMALL_SUITE, workers: 2 } });
  expect(res.statusCode).toBe(400);
  expect(res.json().error.issues[0].path).toBe('body.suite.workers');
  expect((await h.store.runs.list({})).items).toEqual([]);
});
