/** The OpenAPI document at `<prefix>/openapi.json` is generated from the route schemas and validates. */
import { validate } from '@readme/openapi-parser';
import Fastify from 'fastify';
import { createMemoryStore } from '@swapbench/core';
import { expect, it } from 'vitest';
import { swapbench } from '../src/index.js';

it('the OpenAPI document lists every route and passes a standard validator', async () => {
  const app = Fastify();
  await app.register(swapbench, { store: createMemoryStore(), auth: { token: 't' } });
  const res = await app.inject({ method: 'GET', url: '/api/bench/openapi.json', headers: { authorization: 'Bearer t' } });
  await app.close();
  expect(res.statusCode).toBe(200);
  const doc = res.json();
  const result = await validate(structuredClone(doc));
  expect(result.valid, JSON.stringify(result)).toBe(true);
  expect(Object.keys(doc.paths).sort()).toEqual(
    [
      '/api/bench/baselines',
      '/api/bench/baselines/{name}',
      '/api/bench/hosts',
      '/api/bench/hosts/{id}',
      '/api/bench/hosts/{id}/models',
      '/api/bench/playground/chat',
      '/api/bench/playground/chat-ab',
      '/api/bench/runs',
      '/api/bench/runs/{id}',
      '/api/bench/runs/{id}/cancel',
      '/api/bench/runs/{id}/events',
      '/api/bench/suites',
      '/api/bench/suites/{name}',
    ].sort(),
  );
  expect(doc.paths['/api/bench/runs'].post.requestBody.content['application/json'].schema.required).toContain('host');
  expect(doc.security).toEqual([{ bearer: [] }]);
});

it('a prefix given to register mounts everything there, the default prefix only without one', async () => {
  const app = Fastify();
  await app.register(swapbench, { store: createMemoryStore(), prefix: '/bench' });
  await app.register(swapbench, { store: createMemoryStore() });
  expect((await app.inject({ method: 'GET', url: '/bench/hosts' })).statusCode).toBe(200);
  expect((await app.inject({ method: 'GET', url: '/api/bench/hosts' })).statusCode).toBe(200);
  const unknown = await app.inject({ method: 'GET', url: '/bench/nothing' });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().error.code).toBe('NOT_FOUND');
  await app.close();
});
