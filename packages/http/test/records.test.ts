/** Hosts and their models; the playground shares a leased host; host management can be switched off. */
import { afterEach, expect, it } from 'vitest';
import type { HostAccessRequest } from '@swapbench/core';
import { type Harness, harness } from './harness.js';

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
