import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { runMain } from './run-main.js';

/**
 * Malformed command lines: each exits 2 within 2 s, names the flag (or argument) and says what is wrong,
 * prints no stack trace, and never echoes a secret. Nothing is contacted: flags are checked first.
 */

const SECRET = 's3cret-do-not-print';
let dir: string;
let suite: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-flags-'));
  suite = join(dir, 'ok.yaml');
  await writeFile(suite, 'name: ok\nmodels: [m]\npromptTokens: [8]\nmaxTokens: [4]\nconcurrency: [1]\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** [what, args after `run <suite>` (or the whole command line with `!`), text the message must hold]. */
const RUN_CASES: [string, string[], string | RegExp][] = [
  ['a word, not a URL', ['--host', 'not-a-url'], '--host: "not-a-url" has no scheme: write http://not-a-url'],
  ['an address without a scheme', ['--host', '127.0.0.1:8080'], '--host: "127.0.0.1:8080" has no scheme: write http://127.0.0.1:8080'],
  ['a host:port without a scheme', ['--host', 'localhost:8080'], 'write http://localhost:8080'],
  ['an unclosed IPv6 bracket', ['--host', 'http://[::1'], '--host: "http://[::1" opens an IPv6 address with [ but never closes it'],
  ['a port out of range', ['--host', 'http://127.0.0.1:99999'], '--host: "http://127.0.0.1:99999" has port 99999, outside 1–65535'],
  ['port 0', ['--host', 'http://127.0.0.1:0'], 'has port 0, outside 1–65535'],
  ['--runners in hex', ['--runners', '0x2'], '--runners must be a number from 0 to 64, got "0x2"'],
  ['a file URL', ['--host', 'file:///etc/passwd'], '--host: "file:///etc/passwd" must be an http:// or https:// URL, not file:'],
  ['a scheme without a host', ['--host', 'https://'], '--host: "https://" has no host'],
  ['one slash', ['--host', 'http:/127.0.0.1'], 'must start with http:// (two slashes)'],
  ['a line break', ['--host', 'http://exa\nmple.com'], '--host: "http://exa\\nmple.com" contains a space or a control character'],
  ['a query', ['--host', 'http://h:1/?token=abc'], '--host: "http://h:1/?token=***" has a query'],
  ['credentials', ['--host', `http://user:${SECRET}@127.0.0.1:8080`], '"http://***@127.0.0.1:8080" holds credentials'],
  ['a token as user name', ['--host', `http://${SECRET}@h`], '"http://***@h" holds credentials'],
  ['an empty host', ['--host', ' '], '--host: is empty'],
  [
    'a regression gate with nothing to compare to',
    ['--host', 'http://127.0.0.1:9', '--fail-on-regression'],
    '--fail-on-regression: needs --baseline (auto, a run id or a baseline name)',
  ],
  [
    'an API key with a newline',
    ['--host', 'http://127.0.0.1:1', '--api-key', `${SECRET}\n`],
    '--api-key: contains a line break (character 20 of 20)',
  ],
  ['an API key with a CR', ['--host', 'http://127.0.0.1:1', '--api-key', `${SECRET}\r`], '--api-key: contains a line break'],
  ['an API key with a NUL', ['--host', 'http://127.0.0.1:1', '--api-key', `a\0b`], '--api-key: contains a control character'],
  ['an API key with "Bearer "', ['--host', 'http://127.0.0.1:1', '--api-key', `Bearer ${SECRET}`], '--api-key: starts with "Bearer "'],
  ['a non-ASCII API key', ['--host', 'http://127.0.0.1:1', '--api-key', 'clé'], '--api-key: contains a non-ASCII character'],
  [
    'an unknown --kind',
    ['--host', 'http://127.0.0.1:1', '--kind', 'vllm'],
    /--kind <kind>' argument 'vllm' is invalid. Allowed choices are/,
  ],
  ['a flag without its value', ['--host'], "option '--host <url|name>' argument missing"],
];

const OTHER_CASES: [string, string[], string | RegExp][] = [
  ['no host (a suite file is optional)', ['run'], '--host: is required (or set SWAPBENCH_HOST)'],
  ['an unknown command', ['bench'], "unknown command 'bench'"],
  ['an unknown flag', ['demo', '--no-such-flag'], "unknown option '--no-such-flag'"],
  ['a fractional --seed', ['demo', '--seed', '1.5'], '--seed must be an integer, got "1.5"'],
  ['a --port out of range', ['simulate', '--port', '99999'], '--port must be a number from 0 to 65535, got "99999"'],
  ['a --slots of zero', ['simulate', '--slots', '0'], '--slots must be a number from 1 to 4096, got "0"'],
  ['a --gen-tps that is not a number', ['simulate', '--gen-tps', 'fast'], '--gen-tps must be a number >= 0.001, got "fast"'],
  ['a --load-ms past the timer range', ['simulate', '--load-ms', '3e9'], '--load-ms must be a number from 0 to 2147483647'],
  ['a negative --ttft-ms', ['simulate', '--ttft-ms', '-1'], '--ttft-ms must be a number from 0'],
  ['an unknown --mode', ['simulate', '--mode', 'vllm'], "argument 'vllm' is invalid"],
  ['an empty --prompt-tps', ['simulate', '--prompt-tps', ''], '--prompt-tps must be a number'],
  ['a --limit of zero', ['runs', '--limit', '0'], '--limit must be a number from 1 to 100000, got "0"'],
  ['a --limit in hex', ['runs', '--limit', '0x10'], '--limit must be a number from 1 to 100000, got "0x10"'],
  ['a runner --concurrency-limit of zero', ['runner', '--concurrency-limit', '0'], '--concurrency-limit must be a number >= 1, got "0"'],
  ['an unknown --status', ['runs', '--status', 'done'], "argument 'done' is invalid. Allowed choices are running, completed"],
  ['show without a run', ['show'], "missing required argument 'run'"],
  ['an unknown export --format', ['export', 'abc', '--format', 'xml'], "argument 'xml' is invalid. Allowed choices are json, csv, jsonl"],
  ['hosts add without a URL', ['hosts', 'add', 'box'], "missing required argument 'url'"],
  ['an unknown hosts subcommand', ['hosts', 'rename'], "unknown command 'rename'"],
  ['hosts without a subcommand', ['hosts'], 'Usage: swapbench hosts'],
];

/** Run in-process and check the common contract; resolves with stderr. */
async function refuse(args: string[]): Promise<string> {
  const started = performance.now();
  const { code, stdout, stderr } = await runMain(args);
  const ms = performance.now() - started;
  expect(code, stderr).toBe(2);
  expect(ms, `${args.join(' ')} took ${ms.toFixed(0)} ms`).toBeLessThan(2000);
  expect(stdout).toBe('');
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain(SECRET);
  return stderr;
}

describe('swapbench run with a bad flag (in-process)', () => {
  it.each(RUN_CASES)('%s', async (_what, args, expected) => {
    const stderr = await refuse(['run', suite, ...args]);
    if (typeof expected === 'string') expect(stderr).toContain(expected);
    else expect(stderr).toMatch(expected);
  });
});

describe('other bad command lines (in-process)', () => {
  it.each(OTHER_CASES)('%s', async (_what, args, expected) => {
    const stderr = await refuse(args);
    if (typeof expected === 'string') expect(stderr).toContain(expected);
    else expect(stderr).toMatch(expected);
  });
});

describe('bad values from the environment (the built CLI)', () => {
  it.each([
    [{ SWAPBENCH_HOST: '127.0.0.1:8080' }, '--host (from SWAPBENCH_HOST): "127.0.0.1:8080" has no scheme'],
    [{ SWAPBENCH_HOST: `http://u:${SECRET}@h:1` }, '--host (from SWAPBENCH_HOST): "http://***@h:1" holds credentials'],
    [
      { SWAPBENCH_HOST: 'http://127.0.0.1:1', SWAPBENCH_API_KEY: `${SECRET}\r\n` },
      '--api-key (from SWAPBENCH_API_KEY): contains a line break',
    ],
  ])('%o', async (env, expected) => {
    const { code, stderr } = await runCli(['run', suite], { env });
    expect(code).toBe(2);
    expect(stderr).toContain(expected);
    expect(stderr).not.toContain(SECRET);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('a port already in use for simulate names --port', async () => {
    const { createServer } = await import('node:net');
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      const { code, stderr } = await runCli(['simulate', '--port', String(port)]);
      expect(code).toBe(2);
      expect(stderr).toContain(`--port: ${port} is in use on 127.0.0.1`);
    } finally {
      server.close();
    }
  });
});
