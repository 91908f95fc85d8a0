/** `swapbench serve` as a user runs it: a child process that listens, answers, and refuses unsafe binds. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { BIN, runCli } from './run-cli.js';

it('serves the API on loopback with the token from SWAPBENCH_TOKEN, and stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', 'memory:'], {
    env: { ...process.env, SWAPBENCH_TOKEN: 'env-token' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await expect.poll(() => stdout, { timeout: 15_000 }).toMatch(/\n$/);
    const base = stdout.trim();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/bench$/);
    expect(stderr).toContain('bearer token required');
    const refused = await fetch(`${base}/hosts`);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const ok = await fetch(`${base}/hosts`, { headers: { authorization: 'Bearer env-token' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual([]);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});

it('refuses to bind beyond loopback without a token: exit 2 and one line saying why', async () => {
  const res = await runCli(['serve', '--bind', '0.0.0.0', '--port', '0', '--store', 'memory:'], { env: { SWAPBENCH_TOKEN: '' } });
  expect(res.code).toBe(2);
  expect(res.stdout).toBe('');
  const lines = res.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/--bind: 0\.0\.0\.0 is beyond loopback: give --token \(or SWAPBENCH_TOKEN\)/);
});

it('refuses a --bind name that does not resolve: exit 2 naming --bind, not an internal error', async () => {
  // `.invalid` never resolves (RFC 2606); a token is given so that the address check is what fails.
  const res = await runCli(['serve', '--bind', 'no-such-host.invalid', '--token', 't', '--port', '0', '--store', 'memory:']);
  expect(res.code).toBe(2);
  const lines = res.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/--bind: cannot listen on no-such-host\.invalid:0 \((ENOTFOUND|EAI_AGAIN)\)/);
});

it('without a token, answers only requests addressed to a loopback name (a DNS-rebinding guard)', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', 'memory:'], {
    env: { ...process.env, SWAPBENCH_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await expect.poll(() => stdout, { timeout: 15_000 }).toMatch(/\n$/);
    const base = stdout.trim();
    const port = new URL(base).port;
    // What a browser sends once evil.example resolves to 127.0.0.1: the page's own name in Host.
    const rebound = await getWithHost(`${base}/hosts`, `evil.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.message).toMatch(/"evil\.example:\d+" is not a loopback name/);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost'])
      expect((await getWithHost(`${base}/hosts`, host)).status, host).toBe(200);
    child.kill('SIGTERM');
    await once(child, 'exit');
  } finally {
    child.kill('SIGKILL');
  }
});

/** A GET with the Host header of our choosing (fetch does not let one set it). */
async function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
