/**
 * The file store's folder as a person (or git) sees it, its listing cache, and how it decides that a run's
 * writer is gone.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/store/file/index.js';
import type { Store } from '../../src/store/store.js';
import { makeFinishedRun, makeRun, makeSample } from '../contracts/store.contract.js';

let dir: string;
const opened: Store[] = [];
const open = async () => {
  const store = await openFileStore(dir);
  opened.push(store);
  return store;
};
const json = async (...path: string[]) => JSON.parse(await readFile(join(dir, ...path), 'utf8'));
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-file-layout-'));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('file store layout', () => {
  it('keeps one readable document per record, samples as JSON Lines, and ignores its cache in git', async () => {
    const store = await open();
    await store.runs.create(makeRun('r1'));
    await store.runs.appendSamples('r1', [makeSample('r1', 0), makeSample('r1', 1)]);
    await store.runs.finish(makeFinishedRun('r1'));
    await store.suites.put('nightly', { name: 'nightly', models: ['m'], promptTokens: [1], maxTokens: [1], concurrency: [1] });
    await store.baselines.set('main', 'r1');
    await store.hosts.put({ id: 'gpu-box', baseUrl: 'http://gpu-box:8080' });
    await store.leases.acquire({ hostId: 'gpu-box', holder: 'cli', purpose: 'nightly', ttlMs: 60_000 });
    await store.runs.list();

    expect((await readdir(dir)).sort()).toEqual([
      '.gitignore',
      '.index',
      'baselines',
      'hosts',
      'leases',
      'runs',
      'suites',
      'swapbench-store.json',
    ]);
    expect((await readdir(join(dir, 'runs'))).sort()).toEqual(['r1.json', 'r1.samples.jsonl']);
    expect(await json('runs', 'r1.json')).toEqual({
      formatVersion: 1,
      writer: { pid: process.pid, hostname: hostname() },
      run: makeFinishedRun('r1'),
    });
    const lines = (await readFile(join(dir, 'runs', 'r1.samples.jsonl'), 'utf8')).split('\n');
    expect(lines.map((l) => (l ? JSON.parse(l) : l))).toEqual([{ formatVersion: 1 }, makeSample('r1', 0), makeSample('r1', 1), '']);
    expect(await json('suites', 'nightly.json')).toMatchObject({ formatVersion: 1, name: 'nightly', suite: { models: ['m'] } });
    expect(await json('baselines', 'main.json')).toMatchObject({ formatVersion: 1, name: 'main', runId: 'r1' });
    expect(await json('hosts', 'gpu-box.json')).toMatchObject({ formatVersion: 1, id: 'gpu-box', baseUrl: 'http://gpu-box:8080' });
    expect(await readdir(join(dir, 'leases', 'gpu-box'))).toEqual(['000000000001.json']);
    expect(await json('leases', 'gpu-box', '000000000001.json')).toMatchObject({ formatVersion: 1, lease: { holder: 'cli' } });
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toMatch(/^\.index\/\nleases\/\n\*\.tmp$/m);
    // Written through temp files that are renamed into place: none is left behind.
    expect((await readdir(join(dir, 'runs'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps only the newest lease generations', async () => {
    const store = await open();
    const got = await store.leases.acquire({ hostId: 'h', holder: 'a', purpose: 'p', ttlMs: 60_000 });
    if (!got.acquired) throw new Error('acquire failed');
    for (let i = 0; i < 5; i++) expect(await store.leases.renew('h', got.lease.token, 60_000)).toBe(true);
    expect(await store.leases.release('h', got.lease.token)).toBe(true);
    expect(await readdir(join(dir, 'leases', 'h'))).toEqual(['000000000006.json', '000000000007.json']);
    expect(await json('leases', 'h', '000000000007.json')).toEqual({ formatVersion: 1, lease: null });
  });
});

describe('file store listing cache', () => {
  it('sees a run file changed or added behind its back, and works without its index', async () => {
    const store = await open();
    for (const id of ['a', 'b']) await store.runs.create(makeRun(id));
    expect((await store.runs.list()).items.map((r) => [r.runId, r.status])).toEqual([
      ['b', 'running'],
      ['a', 'running'],
    ]);
    // Another tool (or git) replaces a run file and adds one; the index knows neither.
    const doc = await json('runs', 'a.json');
    await writeFile(join(dir, 'runs', 'a.json'), JSON.stringify({ ...doc, run: { ...doc.run, status: 'completed' } }));
    await writeFile(join(dir, 'runs', 'c.json'), JSON.stringify({ ...doc, run: { ...doc.run, runId: 'c' } }));
    expect((await store.runs.list()).items.map((r) => [r.runId, r.status])).toEqual([
      ['c', 'running'],
      ['b', 'running'],
      ['a', 'completed'],
    ]);
    await rm(join(dir, '.index'), { recursive: true });
    expect((await store.runs.list({ status: 'running' })).items.map((r) => r.runId)).toEqual(['c', 'b']);
    await writeFile(join(dir, '.index', 'runs.jsonl'), '{"v":1,"runId":"a","ino":"1",\nnot json\n');
    expect((await store.runs.list()).items).toHaveLength(3);
  });

  it('compacts its index once it holds several lines per run', async () => {
    const store = await open();
    await store.runs.create(makeRun('r'));
    for (let i = 0; i < 80; i++) await store.runs.finish(makeFinishedRun('r', { notes: [`pass ${i}`] }));
    const before = (await readFile(join(dir, '.index', 'runs.jsonl'), 'utf8')).split('\n').length;
    expect((await store.runs.list()).items.map((r) => r.runId)).toEqual(['r']);
    const after = (await readFile(join(dir, '.index', 'runs.jsonl'), 'utf8')).trim().split('\n');
    expect([before, after.length]).toEqual([82, 1]);
    expect(JSON.parse(after[0]!).summary.status).toBe('completed');
  });
});

describe('file store recovery', () => {
  /** Rewrite a run's document with another writer, and set when it was last written. */
  const writtenBy = async (runId: string, writer: { pid: number; hostname: string }, ageMs: number) => {
    const doc = await json('runs', `${runId}.json`);
    await writeFile(join(dir, 'runs', `${runId}.json`), JSON.stringify({ ...doc, writer }));
    const at = new Date(Date.now() - ageMs);
    for (const f of [`${runId}.json`, `${runId}.samples.jsonl`]) await utimes(join(dir, 'runs', f), at, at);
  };

  it('marks a run interrupted on open when its writer on this machine has exited, not while it runs', async () => {
    const store = await open();
    await store.runs.create(makeRun('dead'));
    await store.runs.create(makeRun('alive'));
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    await writtenBy('dead', { pid: child.pid!, hostname: hostname() }, 0);
    await writtenBy('alive', { pid: process.ppid, hostname: hostname() }, 3_600_000);
    await store.close();

    const reopened = await open();
    expect((await reopened.runs.get('dead'))?.status).toBe('interrupted');
    expect((await reopened.runs.get('dead'))?.finishedAt).toBeNull();
    expect((await reopened.runs.get('alive'))?.status).toBe('running');
  });

  it('judges a run written from another machine by how long it has been silent', async () => {
    const store = await open();
    await store.runs.create(makeRun('remote'));
    await store.runs.appendSamples('remote', [makeSample('remote', 0)]);
    await writtenBy('remote', { pid: 1, hostname: 'other-machine' }, 5 * 60_000);
    expect(await store.runs.recoverInterrupted()).toEqual([]);
    expect(await store.runs.recoverInterrupted({ staleAfterMs: 60_000 })).toEqual(['remote']);
    expect((await store.runs.get('remote'))?.status).toBe('interrupted');
  });
});
