import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { runMain } from './run-main.js';

/**
 * Malformed suite files, each run through `swapbench run <file>`: every one exits 2 within 2 s, names the
 * file and the field (or what is wrong with the file), and prints no stack trace. The host is valid and
 * never contacted: the suite is refused before any connection.
 */

const HOST = 'http://127.0.0.1:1';
const OK = { name: 'ok', models: ['m'], promptTokens: [64], maxTokens: [16], concurrency: [1] };
const OK_YAML = 'name: ok\nmodels: [m]\npromptTokens: [64]\nmaxTokens: [16]\nconcurrency: [1]\n';
const json = (patch: Record<string, unknown>) => JSON.stringify({ ...OK, ...patch });

/** [file name, contents, text the message must hold besides the file name (the field, or the file's problem)]. */
const CASES: [string, string | Buffer, string][] = [
  ['string-concurrency.json', json({ concurrency: ['four'] }), 'concurrency[0]: Invalid input: expected number, received string'],
  ['object-models.json', json({ models: { a: 1 } }), 'models: Invalid input: expected array'],
  ['number-name.yaml', OK_YAML.replace('name: ok', 'name: 42'), 'name: line 1: Invalid input: expected string'],
  ['negative.yaml', OK_YAML.replace('concurrency: [1]', 'concurrency: [-4]'), 'concurrency[0]: line 5: must be at least 1'],
  ['zero-tokens.json', json({ maxTokens: [0] }), 'maxTokens[0]: must be at least 1'],
  ['huge-concurrency.yaml', OK_YAML.replace('concurrency: [1]', 'concurrency: [1e9]'), 'concurrency[0]: line 5: must be at most 4,096'],
  ['huge-prompt.yaml', OK_YAML.replace('promptTokens: [64]', 'promptTokens: [1e9]'), 'promptTokens[0]: line 3: must be at most 1,048,576'],
  ['timeout.json', json({ requestTimeoutMs: 3e9 }), 'requestTimeoutMs: must be at most 2,147,483,647'],
  ['nan.yaml', `${OK_YAML}repetitions: .nan\n`, 'repetitions: line 6: Invalid input: expected number, received NaN'],
  ['nan-string.json', json({ repetitions: 'NaN' }), 'repetitions: Invalid input: expected number, received string'],
  ['infinity.yaml', `${OK_YAML}warmup: .inf\n`, 'warmup: line 6: Invalid input: expected number, received Infinity'],
  ['fraction.json', json({ repetitions: 2.5 }), 'repetitions: must be a whole number (got 2.5)'],
  ['empty-models.json', json({ models: [] }), 'models: must list at least one value'],
  ['empty-name.json', json({ name: '' }), 'name: must not be empty'],
  ['missing-field.json', JSON.stringify({ name: 'x' }), 'models: is missing (expected array)'],
  ['unknown-key.yaml', `${OK_YAML}concurency: [2]\n`, 'concurency: line 6: unknown field (did you mean concurrency?)'],
  ['proto-key.json', '{"__proto__": {"x": 1}, "name": "x"}', '__proto__: unknown field'],
  ['dup-models.json', json({ models: ['m', 'm'] }), 'models[1]: repeats the model "m" of [0]'],
  ['dup-prompt.yaml', OK_YAML.replace('promptTokens: [64]', 'promptTokens: [64, 128, 64]'), 'promptTokens[2]: line 3: repeats'],
  ['dup-key.yaml', `${OK_YAML}concurrency: [2]\n`, 'concurrency: line 6: duplicate key (first at line 5)'],
  ['too-many-cells.json', json({ promptTokens: range(200), maxTokens: range(100) }), '20,000 cells'],
  ['too-many-requests.json', json({ concurrency: [4096, 4095], repetitions: 500 }), 'measured requests'],
  ['bad-enum.yaml', `${OK_YAML}cache: sometimes\n`, 'cache: line 6: Invalid option'],
  ['deep.yaml', `${OK_YAML}sampling: ${'['.repeat(50)}${']'.repeat(50)}\n`, 'nested more than 32 levels deep'],
  ['deeper.json', `${'['.repeat(30_000)}${']'.repeat(30_000)}`, 'holds a list'],
  ['binary.yaml', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), 'is not UTF-8 text'],
  ['nul.json', '{"name":"\u0000"}'.replace('\\u0000', '\0'), 'contains NUL bytes'],
  ['utf16.json', Buffer.from(`\uFEFF${json({})}`, 'utf16le'), 'is UTF-16 text'],
  ['bom-bad.json', `\uFEFF${json({ concurrency: [0] })}`, 'concurrency[0]: must be at least 1'],
  ['custom-tag.yaml', OK_YAML.replace('name: ok', 'name: !secret ok'), 'line 1: Unresolved tag: !secret'],
  ['merge-tag.yaml', `${OK_YAML}sampling: !!js/function "x"\n`, 'line 6: Unresolved tag'],
  ['scalar.yaml', 'just a string\n', 'holds a single string value'],
  ['list.yaml', '- name: ok\n', 'holds a list'],
  ['empty.yaml', '', 'is empty'],
  ['comments-only.yaml', '# nothing here\n', 'is empty'],
  ['syntax.json', '{"name": "ok", }', 'not valid JSON'],
  ['syntax.yaml', 'name: "unterminated\n', 'not valid YAML'],
  ['tabs.yaml', 'name: ok\n\tmodels: [m]\n', 'not valid YAML'],
  ['control-name.json', json({ name: 'ok\u001b]0;pwned\u0007' }), 'name: must not contain control characters'],
  // 5,000 wrong names, and one more problem: more than 64 models.
  ['many-errors.json', json({ models: Array.from({ length: 5000 }, () => 1) }), '  - and 4,981 more problems'],
  ['under-limit.yaml', `models: [${'1,'.repeat(32_000)}1]\n`, 'more problems'],
];

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-fuzz-'));
  for (const [name, body] of CASES) await writeFile(join(dir, name), body);
  // The issue's own example: 50 MB of `models: [1,1,…]`, which used to run V8 out of memory.
  await writeFile(join(dir, 'huge.yaml'), `models: [${'1,'.repeat(25_000_000)}1]\n`);
  await mkdir(join(dir, 'a-directory.yaml'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run `swapbench run <file>` in-process and check the common contract; resolves with stderr. */
async function refuse(file: string): Promise<string> {
  const started = performance.now();
  const { code, stdout, stderr } = await runMain(['run', file, '--host', HOST]);
  const ms = performance.now() - started;
  expect(code, stderr).toBe(2);
  expect(ms, `${file} took ${ms.toFixed(0)} ms`).toBeLessThan(2000);
  expect(stdout).toBe('');
  expect(stderr).toContain(`swapbench: ${file}: `);
  expect(stderr).not.toMatch(/^\s+at /m);
  // One short error, however many problems the file has.
  expect(stderr.split('\n').length).toBeLessThan(30);
  return stderr;
}

describe('swapbench run <malformed suite file> (in-process)', () => {
  it.each(CASES)('%s', async (name, _body, expected) => {
    expect(await refuse(join(dir, name))).toContain(expected);
  });

  it('a 50 MB file: refused by its size before it is parsed', async () => {
    expect(await refuse(join(dir, 'huge.yaml'))).toMatch(/is 50,000,0\d\d bytes; a suite file may have at most 65,536/);
  });

  it('a directory', async () => {
    expect(await refuse(join(dir, 'a-directory.yaml'))).toContain('is a directory, not a suite file');
  });

  it('a missing file', async () => {
    expect(await refuse(join(dir, 'nope.yaml'))).toContain('nope.yaml: no such file');
  });
});

describe('swapbench run <malformed suite file> (the built CLI)', () => {
  it.each([
    ['huge.yaml', /is 50,000,0\d\d bytes/],
    ['custom-tag.yaml', /Unresolved tag: !secret/],
    ['bom-bad.json', /concurrency\[0\]: must be at least 1/],
    ['binary.yaml', /is not UTF-8 text/],
    ['nope.yaml', /no such file/],
  ])('%s', async (name, expected) => {
    const file = join(dir, name);
    const { code, stderr } = await runCli(['run', file, '--host', HOST]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toMatch(expected);
    expect(stderr).not.toMatch(/^\s+at |YAMLWarning|\(node:\d+\)/m);
  });
});
