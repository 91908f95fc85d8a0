/** Hosts and their models; the playground shares a leased host; host management can be switched off. */
import { afterEach, expect, it } from 'vitest';
import type { HostAccessRequest } from '@swapbench/core';
import { type Harness, harness, SMALL_SUITE } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('hosts are registered, listed, asked for their models and removed', async () => {
  h = await harness({}, { mode: 'llama-swap', models: [{ name: 'm-one' }, { name: 'm-two' }] });
  const add = await h.app.inject({
    method: 'POST',
    url: '/api/bench/hosts',
    payload: { id: 'box', baseUrl: `${h.sim.url}/`, kind: 'llama-swap', labels: { gpu: '3090' } },
  });
  expect(add.statusCode, add.body).toBe(201);
  expect(add.json()).toMatchObject({ id: 'box', baseUrl: h.sim.url, kind: 'llama-swap', labels: { gpu: '3090' } });
  expect(
    (await h.app.inject({ method: 'GET', url: '/api/bench/hosts' }))
      .json()
      .map((x: { id: string }) => x.id)
      .sort(),
  ).toEqual(['box', 'sim']);
  const models = await h.app.inject({ method: 'GET', url: '/api/bench/hosts/box/models' });
  expect(models.statusCode, models.body).toBe(200);
  expect(
    models
      .json()
      .models.map((m: { id: string }) => m.id)
      .sort(),
  ).toEqual(['m-one', 'm-two']);
  expect((await h.app.inject({ method: 'DELETE', url: '/api/bench/hosts/box' })).statusCode).toBe(204);
  expect((await h.app.inject({ method: 'DELETE', url: '/api/bench/hosts/box' })).statusCode).toBe(404);
});

it('a host URL with credentials or another scheme is refused, naming body.baseUrl', async () => {
  h = await harness();
  for (const baseUrl of ['http://user:pw@10.0.0.1:8080', 'file:///etc/passwd', '10.0.0.1:8080']) {
    const res = await h.app.inject({ method: 'POST', url: '/api/bench/hosts', payload: { id: 'bad', baseUrl } });
    expect(res.statusCode, baseUrl).toBe(400);
    expect(res.json().error.issues[0].path).toBe('body.baseUrl');
    expect(res.json().error.message).not.toContain('pw@');
  }
  expect(await h.store.hosts.get('bad')).toBeUndefined();
});

it('with manageHosts: false, hosts can be read but not added or removed', async () => {
  h = await harness({ manageHosts: false });
  expect((await h.app.inject({ method: 'GET', url: '/api/bench/hosts' })).statusCode).toBe(200);
  const add = await h.app.inject({ method: 'POST', url: '/api/bench/hosts', payload: { id: 'x', baseUrl: 'http://127.0.0.1:1' } });
  expect(add.statusCode).toBe(404);
  expect((await h.app.inject({ method: 'DELETE', url: '/api/bench/hosts/sim' })).statusCode).toBe(404);
  expect(await h.store.hosts.get('sim')).toBeDefined();
});

it('the playground asks host access with purpose playground, and is let through while a benchmark holds the host', async () => {
  h = await harness();
  await h.store.leases.acquire({ hostId: 'sim', holder: 'a nightly run', purpose: 'bench', ttlMs: 60_000 });
  const chat = { host: 'sim', model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], maxTokens: 3 };
  const res = await h.app.inject({ method: 'POST', url: '/api/bench/playground/chat', payload: chat });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.body).toContain('event: summary');
  await h.close();
  const asked: HostAccessRequest[] = [];
  const { openLease } = await import('@swapbench/core');
  h = await harness({
    hostAccess: async (request) => {
      asked.push(request);
      return openLease(request);
    },
  });
  await h.app.inject({ method: 'POST', url: '/api/bench/playground/chat', payload: chat });
  expect(asked.map((a) => [a.hostId, a.purpose])).toEqual([['sim', 'playground']]);
});

it('a host of every kind the CLI registers (ollama, llama-router) is accepted and reached as that kind', async () => {
  h = await harness({}, { mode: 'ollama', models: [{ name: 'olla-model' }] });
  for (const kind of ['ollama', 'llama-router']) {
    const add = await h.app.inject({ method: 'POST', url: '/api/bench/hosts', payload: { id: `k-${kind}`, baseUrl: h.sim.url, kind } });
    expect(add.statusCode, add.body).toBe(201);
  }
  const models = await h.app.inject({ method: 'GET', url: '/api/bench/hosts/k-ollama/models' });
  expect(models.statusCode, models.body).toBe(200);
  expect(models.json().models.map((m: { id: string }) => m.id)).toContain('olla-model');
});

it('a host name that cannot be registered is refused as a name, not as an unregistered host', async () => {
  h = await harness();
  const res = await h.app.inject({ method: 'POST', url: '/api/bench/hosts', payload: { id: '1box', baseUrl: 'http://127.0.0.1:1' } });
  expect(res.statusCode).toBe(400);
  expect(res.json().error.issues).toEqual([{ path: 'body.id', message: expect.stringMatching(/^must be 1-64 characters: a letter/) }]);
});

it('a suite with several problems is one line of JSON message, each problem under its path', async () => {
  h = await harness();
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/bench/suites',
    payload: { suite: { models: ['m'], promptTokens: [16], maxTokens: [16], concurrency: [0, 'x'] } },
  });
  expect(res.statusCode).toBe(400);
  const { error } = res.json();
  expect(error.message).not.toContain('\n');
  expect(error.issues.map((i: { path: string }) => i.path)).toEqual(
    expect.arrayContaining(['body.suite.name', 'body.suite.concurrency[0]', 'body.suite.concurrency[1]']),
  );
  expect(error.message).toMatch(/^body\.suite\.\S+: .+; body\.suite\./);
});

it('a suite whose name GET /suites/:name could not address is refused at body.suite.name, and not stored', async () => {
  h = await harness();
  const suite = { name: 'team/nightly', models: ['m'], promptTokens: [16], maxTokens: [16], concurrency: [1] };
  const res = await h.app.inject({ method: 'POST', url: '/api/bench/suites', payload: { suite } });
  expect(res.statusCode).toBe(400);
  expect(res.json().error.issues[0].path).toBe('body.suite.name');
  expect(await h.store.suites.list()).toEqual([]);
});

it('a history cursor that is not one is refused under querystring.cursor', async () => {
  h = await harness();
  const res = await h.app.inject({ method: 'GET', url: '/api/bench/runs?cursor=garbage' });
  expect(res.statusCode).toBe(400);
  expect(res.json().error.issues[0].path).toBe('querystring.cursor');
});

it('a polluted run or one whose client was saturated becomes a baseline only with force, as in the CLI', async () => {
  h = await harness();
  const started = await h.app.inject({ method: 'POST', url: '/api/bench/runs', payload: { host: 'sim', suite: SMALL_SUITE } });
  const { runId } = started.json();
  await expect.poll(async () => (await h!.store.runs.get(runId))?.status).toBe('completed');
  const clean = (await h.store.runs.get(runId))!;
  await h.store.runs.create({ ...clean, runId: 'polluted-run', polluted: true });
  await h.store.runs.create({ ...clean, runId: 'saturated-run', client: { ...clean.client, clientSaturated: true } });
  for (const [id, why] of [
    ['polluted-run', /was polluted/],
    ['saturated-run', /saturated client/],
  ] as const) {
    const refused = await h.app.inject({ method: 'PUT', url: '/api/bench/baselines/b', payload: { runId: id } });
    expect(refused.statusCode, id).toBe(409);
    expect(refused.json().error.message).toMatch(why);
    expect(refused.json().error.message).toContain('force: true');
    const forced = await h.app.inject({ method: 'PUT', url: '/api/bench/baselines/b', payload: { runId: id, force: true } });
    expect(forced.statusCode, id).toBe(200);
  }
  const ok = await h.app.inject({ method: 'PUT', url: '/api/bench/baselines/b', payload: { runId } });
  expect(ok.statusCode).toBe(200);
});
