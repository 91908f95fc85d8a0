import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors/errors.js';
import { loadSuiteFile } from '../../src/suite/load-suite.js';

const OK_YAML = 'name: ok\nmodels: [m]\npromptTokens: [64]\nmaxTokens: [16]\nconcurrency: [1]\n';
const OK_JSON = JSON.stringify({ name: 'ok', models: ['m'], promptTokens: [64], maxTokens: [16], concurrency: [1] });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-suite-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Write `body` to `name` in the temp dir and load it; resolves with the ConfigError's message (or fails). */
async function loadError(name: string, body: string | Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, body);
  const err = await loadSuiteFile(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const message = (err as ConfigError).message;
  expect(message.startsWith(`${file}: `)).toBe(true);
  return message;
}

describe('loadSuiteFile: text', () => {
  it('accepts a JSON file that starts with a UTF-8 BOM, and a YAML one', async () => {
    await writeFile(join(dir, 'bom.json'), `\uFEFF${OK_JSON}`);
    await writeFile(join(dir, 'bom.yaml'), `\uFEFF${OK_YAML}`);
    expect((await loadSuiteFile(join(dir, 'bom.json'))).name).toBe('ok');
    expect((await loadSuiteFile(join(dir, 'bom.yaml'))).name).toBe('ok');
  });

  it('refuses a file over 64 KiB before parsing it (a 50 MB file in well under a second)', async () => {
    const big = `models: [${'1,'.repeat(25_000_000)}1]`;
    const started = performance.now();
    expect(await loadError('big.yaml', big)).toMatch(/is 50,000,0\d\d bytes; a suite file may have at most 65,536/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('parses the worst YAML just under the limit quickly: a long flow list, or thousands of distinct keys', async () => {
    for (const [name, body] of [
      ['flow.yaml', `models: [${'1,'.repeat(32_000)}1]`],
      ['keys.yaml', Array.from({ length: 8000 }, (_, i) => `k${i.toString(36)}: 1`).join('\n')],
    ]) {
      const started = performance.now();
      const message = await loadError(name!, body!);
      expect(message).toMatch(/and [\d,]+ more problems/);
      expect(performance.now() - started).toBeLessThan(1500);
    }
  });

  it.each([
    ['empty.yaml', '', 'is empty: a suite is a mapping'],
    ['scalar.yaml', 'hello', 'holds a single string value'],
    ['list.yaml', '- a\n- b\n', 'holds a list'],
    ['array.json', '[1, 2]', 'holds a list'],
    ['utf16.yaml', Buffer.from(`\uFEFF${OK_YAML}`, 'utf16le'), 'is UTF-16 text; save it as UTF-8'],
    ['binary.yaml', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]), 'is not UTF-8 text'],
    ['nul.yaml', `name: a\0b\n`, 'contains NUL bytes'],
    ['syntax.json', '{"name": "a",}', 'not valid JSON'],
    ['syntax.yaml', 'name: [a, b\n', 'not valid YAML: line 2'],
    ['deep.yaml', `name: ${'['.repeat(40)}${']'.repeat(40)}`, 'nested more than 32 levels deep'],
    ['very-deep.yaml', '['.repeat(30_000) + ']'.repeat(30_000), 'not valid YAML'],
    ['laughs.yaml', `a: &a [1, 1]\n${Array.from({ length: 120 }, (_, i) => `b${i}: [*a, *a]`).join('\n')}\n`, 'not valid YAML'],
    ['alias.yaml', 'name: *nowhere\n', 'Unresolved alias'],
    ['multi.yaml', `${OK_YAML}---\n${OK_YAML}`, 'not valid YAML'],
  ])('%s: a clean ConfigError naming the file', async (name, body, expected) => {
    expect(await loadError(name, body)).toContain(expected);
  });
});

describe('loadSuiteFile: YAML that is not plain data', () => {
  it('refuses a custom tag with the line, and prints no YAMLWarning', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    expect(await loadError('tag.yaml', `${OK_YAML}sampling: !env SEED\n`)).toContain(
      'not valid YAML: line 6: Unresolved tag: !env (custom tags are not supported)',
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('refuses a duplicate key, at any depth, with both lines', async () => {
    const message = await loadError('dup.yaml', `${OK_YAML}name: again\nsampling: {seed: 1, seed: 2}\n`);
    expect(message).toContain('name: line 6: duplicate key (first at line 1)');
    expect(message).toContain('sampling.seed: line 7: duplicate key (first at line 7)');
  });

  it('refuses a key that is a list, without printing a warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    expect(await loadError('key.yaml', `${OK_YAML}? [a, b]\n: 1\n`)).toContain('a key must be a plain name');
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('loadSuiteFile: where the problem is', () => {
  it('names each field with its line in a YAML file', async () => {
    const message = await loadError(
      'fields.yaml',
      'name: ok\nmodels: [m]\npromptTokens: [64]\nmaxTokens: [16]\nconcurrency:\n  - 1\n  - 9999\n',
    );
    expect(message).toBe(
      `${join(dir, 'fields.yaml')}: concurrency[1]: line 7: must be at most 4,096 (got 9,999): ` +
        'one client process cannot time more streams honestly, and each holds a socket (a file descriptor)',
    );
  });

  it('names the field in a JSON file', async () => {
    expect(await loadError('fields.json', OK_JSON.replace('"concurrency":[1]', '"concurrency":[1,1]'))).toContain(
      'concurrency[1]: repeats',
    );
  });

  it('says what is wrong with the path itself', async () => {
    await mkdir(join(dir, 'a-dir.yaml'));
    await expect(loadSuiteFile(join(dir, 'a-dir.yaml'))).rejects.toThrow(`${join(dir, 'a-dir.yaml')}: is a directory, not a suite file`);
    await expect(loadSuiteFile(join(dir, 'missing.yaml'))).rejects.toThrow(`${join(dir, 'missing.yaml')}: no such file`);
    await expect(loadSuiteFile(join(dir, 'missing', 'x.yaml'))).rejects.toThrow(/no such file/);
  });
});

describe('loadSuiteFile: fields given elsewhere', () => {
  it('fills the fields the file leaves out from `given`, and keeps the file’s own', async () => {
    const file = join(dir, 'no-models.yaml');
    await writeFile(file, 'name: ok\npromptTokens: [64]\nmaxTokens: [16]\nconcurrency: [1]\n');
    await expect(loadSuiteFile(file)).rejects.toThrow('no-models.yaml: models: is missing (expected array)');
    const suite = await loadSuiteFile(file, { models: ['a', 'b'], maxTokens: [99] });
    expect(suite.models).toEqual(['a', 'b']);
    expect(suite.maxTokens).toEqual([16]);
  });

  it('blames the file for its own problems, and leaves the source out when only the given fields are wrong', async () => {
    const file = join(dir, 'no-models-bad.yaml');
    await writeFile(file, 'name: ok\npromptTokens: [0]\nmaxTokens: [16]\nconcurrency: [1]\n');
    const own = await loadSuiteFile(file, { models: ['a'] }).catch((e: unknown) => e);
    expect(own).toBeInstanceOf(ConfigError);
    expect((own as ConfigError).source).toBe(file);
    expect((own as ConfigError).issues.map((i) => i.path)).toEqual(['promptTokens[0]']);
    const good = join(dir, 'no-models-ok.yaml');
    await writeFile(good, 'name: ok\npromptTokens: [8]\nmaxTokens: [16]\nconcurrency: [1]\n');
    const given = await loadSuiteFile(good, { models: ['a', 'a'] }).catch((e: unknown) => e);
    expect((given as ConfigError).source).toBeUndefined();
    expect((given as ConfigError).issues[0]!.path).toBe('models[1]');
  });
});
