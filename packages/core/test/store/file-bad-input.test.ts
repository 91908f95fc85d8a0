/**
 * What the file store does with input it cannot use: paths that are not a writable store folder, names that
 * cannot be file names, documents that do not parse or come from a newer format.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SwapbenchError } from '../../src/errors/index.js';
import { openFileStore } from '../../src/store/file/index.js';
import type { Store } from '../../src/store/store.js';
import { expectStoreError, makeRun, makeSample } from '../contracts/store.contract.js';

let dir: string;
const opened: Store[] = [];
const open = async (at = dir, onWarning?: (w: SwapbenchError) => void) => {
  const store = await openFileStore(at, onWarning ? { onWarning } : {});
  opened.push(store);
  return store;
};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-file-bad-'));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await chmod(dir, 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('file store: the folder', () => {
  it('refuses a path that is a file, or under one, naming it', async () => {
    const file = join(dir, 'history.txt');
    await writeFile(file, 'notes');
    const err = await expectStoreError(openFileStore(file), 'STORE_UNAVAILABLE');
    expect(err.message).toBe(`store file:${file}: is not a directory; a file store is a folder`);
    const under = await expectStoreError(openFileStore(join(file, 'store')), 'STORE_UNAVAILABLE');
    expect(under.message).toMatch(new RegExp(`^store file:${file}/store: is inside a file, not a folder$`));
  });

  it('refuses a folder that holds other things, and takes an empty or new one', async () => {
    await writeFile(join(dir, 'package.json'), '{}');
    const err = await expectStoreError(openFileStore(dir), 'STORE_UNAVAILABLE');
    expect(err.message).toBe(
      `store file:${dir}: is not empty and is not a swapbench store (no swapbench-store.json); use a new or empty folder`,
    );
    const fresh = await open(join(dir, 'a', 'b'));
    await fresh.runs.create(makeRun('r'));
    expect(JSON.parse(await readFile(join(dir, 'a', 'b', 'swapbench-store.json'), 'utf8'))).toEqual({
      formatVersion: 1,
      store: 'swapbench file store',
    });
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it cannot write, naming it', async () => {
    await chmod(dir, 0o555);
    const err = await expectStoreError(openFileStore(dir), 'STORE_UNAVAILABLE');
    expect(err.message).toMatch(new RegExp(`^store file:${dir}: the folder is not writable \\(EACCES\\)`));
  });

  it.skipIf(process.platform !== 'linux')('refuses a folder it cannot create, naming it', async () => {
    // sysfs refuses new folders even to root.
    const err = await expectStoreError(openFileStore('/sys/swapbench-store'), 'STORE_UNAVAILABLE');
    expect(err.message).toMatch(/^store file:\/sys\/swapbench-store: cannot create the folder \((EPERM|EACCES|EROFS)/);
  });

  it('refuses a store written in a newer format, naming the file', async () => {
    await (await open()).close();
    await writeFile(join(dir, 'swapbench-store.json'), JSON.stringify({ formatVersion: 2 }));
    const err = await expectStoreError(openFileStore(dir), 'SCHEMA_VERSION');
    expect(err.message).toBe(`${join(dir, 'swapbench-store.json')}: written in store format 2; this swapbench reads format 1: upgrade it`);
  });
});

describe('file store: names', () => {
  it('refuses names that are not file names, before writing anything', async () => {
    const store = await open();
    for (const id of ['a/b', '..', '.', 'a\\b', '', 'x\0y']) {
      const err = await expectStoreError(store.runs.create(makeRun(id)), 'CONFIG_INVALID');
      expect(err.message).toMatch(/^runId: must /);
    }
    expect(
      (
        await expectStoreError(
          store.suites.put('../etc', { name: 'x', models: ['m'], promptTokens: [1], maxTokens: [1], concurrency: [1] }),
          'CONFIG_INVALID',
        )
      ).message,
    ).toBe('suite name: must not contain "/", "\\" or NUL, got "../etc"');
    await expectStoreError(store.hosts.put({ id: 'gpu/1', baseUrl: 'http://h:1' }), 'CONFIG_INVALID');
    await expectStoreError(store.leases.acquire({ hostId: '..', holder: 'a', purpose: 'p', ttlMs: 1000 }), 'CONFIG_INVALID');
    await expectStoreError(store.runs.create(makeRun('x'.repeat(200))), 'CONFIG_INVALID');
    expect((await store.runs.list()).items).toEqual([]);
  });

  it('keeps any other name exactly, under an encoded file name', async () => {
    const store = await open();
    const id = 'nightly run: Grüße 2026-11-24';
    await store.runs.create(makeRun(id));
    await store.runs.appendSamples(id, [makeSample(id, 0)]);
    await store.runs.create(makeRun('.hidden'));
    expect(await readFile(join(dir, 'runs', 'nightly%20run%3A%20Gr%C3%BC%C3%9Fe%202026-11-24.json'), 'utf8')).toContain(`"runId": "${id}"`);
    expect((await store.runs.list()).items.map((r) => r.runId).sort()).toEqual(['.hidden', id]);
    expect(await store.runs.findIds('night')).toEqual([id]);
    expect(await store.runs.findIds('.')).toEqual(['.hidden']);
    await store.hosts.put({ id: 'GPU box #1', baseUrl: 'http://h:1' });
    expect((await store.hosts.list()).map((h) => h.id)).toEqual(['GPU box #1']);
  });
});

describe('file store: documents', () => {
  it('reads a run file that does not parse as a CorruptRecordError naming it; a listing skips and reports it', async () => {
    const store = await open();
    await store.runs.create(makeRun('good'));
    await store.runs.create(makeRun('broken'));
    const file = join(dir, 'runs', 'broken.json');
    await writeFile(file, '{ "formatVersion": 1, "run": { "runId": "broken", ');
    const err = await expectStoreError(store.runs.get('broken'), 'CORRUPT_RECORD');
    expect(err.message).toMatch(new RegExp(`^${file}: not valid JSON \\(`));

    const warnings: SwapbenchError[] = [];
    const reader = await open(dir, (w) => warnings.push(w));
    expect((await reader.runs.list()).items.map((r) => r.runId)).toEqual(['good']);
    expect(warnings.map((w) => w.code)).toEqual(['CORRUPT_RECORD']);
    expect(warnings[0]?.message).toMatch(new RegExp(`^${file}: not valid JSON`));
  });

  it('refuses a run file that is not a run, or not the run its name says', async () => {
    const store = await open();
    await store.runs.create(makeRun('a'));
    const file = join(dir, 'runs', 'a.json');
    await writeFile(file, JSON.stringify({ formatVersion: 1, run: { ...makeRun('b') } }));
    expect((await expectStoreError(store.runs.get('a'), 'CORRUPT_RECORD')).message).toBe(`${file}: holds run "b", not "a"`);
    await writeFile(file, JSON.stringify({ formatVersion: 1, run: { runId: 'a', status: 'running' } }));
    expect((await expectStoreError(store.runs.get('a'), 'CORRUPT_RECORD')).message).toMatch(new RegExp(`^${file}: not a run record`));
    await writeFile(file, JSON.stringify({ run: makeRun('a') }));
    expect((await expectStoreError(store.runs.get('a'), 'CORRUPT_RECORD')).message).toBe(`${file}: formatVersion must be 1, got undefined`);
  });

  it('refuses documents and sample files of a newer format, naming the file', async () => {
    const store = await open();
    await store.runs.create(makeRun('future'));
    const runFile = join(dir, 'runs', 'future.json');
    const doc = JSON.parse(await readFile(runFile, 'utf8'));
    await writeFile(runFile, JSON.stringify({ ...doc, formatVersion: 3 }));
    const err = await expectStoreError(store.runs.get('future'), 'SCHEMA_VERSION');
    expect(err.message).toBe(`${runFile}: written in store format 3; this swapbench reads format 1: upgrade it`);

    await store.runs.create(makeRun('future-samples'));
    const samplesFile = join(dir, 'runs', 'future-samples.samples.jsonl');
    await writeFile(samplesFile, `{"formatVersion":2}\n${JSON.stringify(makeSample('future-samples', 0))}\n`);
    const read = async () => {
      for await (const _ of store.runs.samples('future-samples'));
    };
    expect((await expectStoreError(read(), 'SCHEMA_VERSION')).message).toBe(
      `${samplesFile}:1: written in store format 2; this swapbench reads format 1: upgrade it`,
    );

    await mkdir(join(dir, 'suites'), { recursive: true });
    await writeFile(join(dir, 'suites', 'next.json'), JSON.stringify({ formatVersion: 2, name: 'next' }));
    await expectStoreError(store.suites.get('next'), 'SCHEMA_VERSION');
  });

  it('turns a disk error into a StoreUnavailableError naming the store and the file', async () => {
    const store = await open();
    await store.runs.create(makeRun('r'));
    // A folder where the samples file should be: the open fails with EISDIR, as a broken disk might.
    await rm(join(dir, 'runs', 'r.samples.jsonl'));
    await mkdir(join(dir, 'runs', 'r.samples.jsonl'));
    const err = await expectStoreError(store.runs.appendSamples('r', [makeSample('r', 0)]), 'STORE_UNAVAILABLE');
    expect(err.message).toMatch(new RegExp(`^store file:${dir}: EISDIR: .*r\\.samples\\.jsonl`));
  });
});
