/** Safe defaults: bearer auth, registered hosts only (no SSRF), redirects not followed, body limits, validation. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { type Harness, harness, SMALL_SUITE } from './harness.js';

let h: Harness | undefined;
let extra: Server | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await new Promise((resolve) => (extra ? extra.close(resolve) : resolve(undefined)));
  extra = undefined;
});

const CHAT = { host: 'sim', model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], maxTokens: 4 };

it('without a token every route answers 401 and asks for a bearer token', async () => {
  h = await harness({ auth: { token: 'correct horse battery staple' } });
  for (const [method, url] of [
    ['GET', '/api/bench/runs'],
    ['GET', '/api/bench/hosts'],
    ['GET', '/api/bench/openapi.json'],
    ['POST', '/api/bench/runs'],
  ] as const) {
    const res = await h.app.inject({ method, url, payload: method === 'POST' ? { host: 'sim', suite: SMALL_SUITE } : undefined });
    expect(res.statusCode, url).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
    expect(res.json().error.code).toBe('UNAUTHORIZED');
  }
  expect(await h.store.runs.list()).toEqual({ items: [] });
});

it('a wrong token is refused and the right one let through', async () => {
  h = await harness({ auth: { token: 'correct horse battery staple' } });
  for (const authorization of ['Bearer wrong', 'Bearer correct horse', 'Basic Y29ycmVjdA==', 'Bearer correct-horse-battery-staple']) {
    const res = await h.app.inject({ method: 'GET', url: '/api/bench/hosts', headers: { authorization } });
    expect(res.statusCode, authorization).toBe(401);
  }
  await h.close();
  h = await harness({ auth: { token: 's3cr3t-t0ken' } });
  const ok = await h.app.inject({ method: 'GET', url: '/api/bench/hosts', headers: { authorization: 'Bearer s3cr3t-t0ken' } });
  expect(ok.statusCode).toBe(200);
  expect(ok.json().map((x: { id: string }) => x.id)).toEqual(['sim']);
});

it('a base URL in a body is refused, by the field that holds it', async () => {
  h = await harness();
  const cases: [string, Record<string, unknown>, string][] = [
    ['/api/bench/runs', { host: 'sim', baseUrl: 'http://169.254.169.254', suite: SMALL_SUITE }, 'body.baseUrl'],
    ['/api/bench/runs', { host: 'http://169.254.169.254/latest', suite: SMALL_SUITE }, 'body.host'],
    ['/api/bench/runs', { host: '127.0.0.1:8080', suite: SMALL_SUITE }, 'body.host'],
    ['/api/bench/playground/chat', { ...CHAT, url: 'http://10.0.0.1/' }, 'body.url'],
    [
      '/api/bench/playground/chat-ab',
      {
        ...CHAT,
        host: undefined,
        model: undefined,
        lanes: [
          { host: 'sim', model: 'a' },
          { host: 'sim', model: 'b', upstream: 'http://x' },
        ],
      },
      'body.lanes[1].upstream',
    ],
  ];
  for (const [url, payload, path] of cases) {
    const res = await h.app.inject({ method: 'POST', url, payload });
    expect(res.statusCode, `${url} ${path}`).toBe(400);
    expect(res.json().error.issues.map((i: { path: string }) => i.path)).toContain(path);
  }
  expect(h.sim.groundTruth).toHaveLength(0);
});

it('only registered host names are accepted', async () => {
  h = await harness();
  const run = await h.app.inject({ method: 'POST', url: '/api/bench/runs', payload: { host: 'ghost', suite: SMALL_SUITE } });
  expect(run.statusCode).toBe(400);
  expect(run.json().error.issues).toEqual([{ path: 'body.host', message: expect.stringContaining('no host named "ghost" is registered') }]);
  const chat = await h.app.inject({ method: 'POST', url: '/api/bench/playground/chat', payload: { ...CHAT, host: 'ghost' } });
  expect(chat.statusCode).toBe(400);
  const models = await h.app.inject({ method: 'GET', url: '/api/bench/hosts/ghost/models' });
  expect(models.statusCode).toBe(404);
});

it('a host that redirects is not followed: the target never sees the request', async () => {
  h = await harness();
  let redirects = 0;
  extra = createServer((_req, res) => {
    redirects++;
    res.writeHead(302, { location: `${h!.sim.url}/v1/chat/completions` }).end();
  });
  await new Promise<void>((resolve) => extra!.listen(0, '127.0.0.1', resolve));
  const port = (extra.address() as AddressInfo).port;
  await h.store.hosts.put({ id: 'hop', baseUrl: `http://127.0.0.1:${port}`, kind: 'llama-server' });
  const res = await h.app.inject({ method: 'POST', url: '/api/bench/playground/chat', payload: { ...CHAT, host: 'hop' } });
  expect(res.statusCode).toBe(502);
  expect(res.json().error).toMatchObject({
    code: 'UPSTREAM_STATUS',
    upstreamStatus: 302,
    message: expect.stringContaining('redirects are not followed'),
  });
  expect(redirects).toBe(1);
  expect(h.sim.groundTruth).toHaveLength(0);
});

it('a body over the limit is refused with 413 before it is read whole', async () => {
  h = await harness({ limits: { bodyBytes: 2048 } });
  const big = { host: 'sim', suite: { ...SMALL_SUITE, name: 'x'.repeat(4096) } };
  const res = await h.app.inject({ method: 'POST', url: '/api/bench/runs', payload: big });
  expect(res.statusCode).toBe(413);
  expect(res.json().error.code).toBe('BODY_TOO_LARGE');
  const small = await h.app.inject({ method: 'POST', url: '/api/bench/suites', payload: { suite: SMALL_SUITE } });
  expect(small.statusCode).toBe(201);
});

it('an invalid body is 400 with the path of each problem', async () => {
  h = await harness();
  const suite = await h.app.inject({
    method: 'POST',
    url: '/api/bench/runs',
    payload: { host: 'sim', suite: { ...SMALL_SUITE, concurrency: [0] } },
  });
  expect(suite.statusCode).toBe(400);
  expect(suite.json().error.code).toBe('CONFIG_INVALID');
  expect(suite.json().error.issues[0].path).toMatch(/^body\.suite\.concurrency/);
  const shape = await h.app.inject({
    method: 'POST',
    url: '/api/bench/playground/chat',
    payload: { ...CHAT, maxTokens: -1, messages: [{ role: 'robot' }] },
  });
  expect(shape.statusCode).toBe(400);
  expect(
    shape
      .json()
      .error.issues.map((i: { path: string }) => i.path)
      .sort(),
  ).toEqual(['body.maxTokens', 'body.messages[0].content', 'body.messages[0].role']);
  const json = await h.app.inject({
    method: 'POST',
    url: '/api/bench/runs',
    headers: { 'content-type': 'application/json' },
    payload: '{"host":',
  });
  expect(json.statusCode).toBe(400);
  expect(json.json().error.code).toBe('CONFIG_INVALID');
  const both = await h.app.inject({ method: 'POST', url: '/api/bench/runs', payload: { host: 'sim' } });
  expect(both.json().error.issues[0]).toEqual({ path: 'body.suite', message: 'give exactly one of `suite` and `suiteName`' });
});
