/**
 * The SQLite store across real processes: two writers on one file at once, a writer killed with SIGKILL
 * mid-run, several processes racing for one lease, and what a fresh process loads. The other processes run
 * `fixtures/sqlite-worker.ts` from the sources.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/result/types.js';
import type { LeaseAcquireResult, Store } from '../../src/store/store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const WORKER = fileURLToPath(new URL('./fixtures/sqlite-worker.ts', import.meta.url));

let dir: string;
let file: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-sqlite-proc-'));
  file = join(dir, 'swapbench.db');
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function worker(...args: string[]): ChildProcess {
  // No inherited exec flags: the worker runs on this Node with type stripping, nothing of vitest's.
  const child = fork(WORKER, args, { execArgv: ['--no-warnings'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return child;
}

/** The next message from `child` that has `key`; rejects if the child exits first. */
function next<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      child.off('message', onMessage).off('exit', onExit);
      resolve(message[key] as T);
    };
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`worker exited (${signal ?? code}) before sending ${key}`));
    child.on('message', onMessage).on('exit', onExit);
  });
}

async function samplesOf(store: Store, runId: string): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of store.runs.samples(runId)) out.push(s);
  return out;
}

describe('SQLite store across processes', () => {
  it('keeps every sample of two processes writing one file at the same time', async () => {
    const total = 3000;
    const writers = ['w1', 'w2'].map((runId) => ({ runId, child: worker('write', file, runId, String(total), '100') }));
    // Both open (the second waits for the first's schema) before either starts appending.
    await Promise.all(writers.map((w) => next(w.child, 'ready')));
    const exits = writers.map((w) => once(w.child, 'exit'));
    for (const w of writers) w.child.send({ go: true });
    await Promise.all(writers.map((w) => next(w.child, 'done')));
    expect((await Promise.all(exits)).map(([code]) => code)).toEqual([0, 0]);

    await using store = await openSqliteStore(file);
    for (const { runId } of writers) {
      const stored = await samplesOf(store, runId);
      expect(stored.map((s) => s.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(stored.every((s) => s.runId === runId && s.itlMs.length === 256)).toBe(true);
      expect((await store.runs.get(runId))?.status).toBe('completed');
    }
  });

  it('keeps every batch appended before a SIGKILL, and shows the run interrupted when opened again', async () => {
    const batch = 64;
    const child = worker('append-forever', file, 'killed', String(batch));
    await next(child, 'ready');
    // Kill it part way, right after it reported a commit: it may be inside the next transaction.
    let acknowledged = 0;
    while (acknowledged < 20 * batch) acknowledged = await next<number>(child, 'committed');
    const exit = once(child, 'exit');
    child.kill('SIGKILL');
    expect(await exit).toEqual([null, 'SIGKILL']);

    await using store = await openSqliteStore(file);
    const stored = await samplesOf(store, 'killed');
    expect(stored.length).toBeGreaterThanOrEqual(acknowledged);
    // Whole batches only (a batch is one transaction), in append order.
    expect(stored.length % batch).toBe(0);
    expect(stored.map((s) => s.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i));
    const run = await store.runs.get('killed');
    expect(run?.status).toBe('interrupted');
    expect(run?.finishedAt).toBeNull();
    expect((await store.runs.list({ status: 'interrupted' })).items.map((r) => r.runId)).toEqual(['killed']);
  });

  it('loads node:sqlite only when a store is opened: never for the root entry', async () => {
    const child = worker('load-check', file);
    expect(await next(child, 'loaded')).toEqual({ afterRoot: false, afterEntry: false, afterOpen: true });
  });

  it('grants a contended lease to exactly one of several processes', async () => {
    // The file exists with its schema before the race, so the race is over the lease alone.
    await (await openSqliteStore(file)).close();
    const racers = ['p1', 'p2', 'p3', 'p4'].map((holder) => worker('lease', file, 'gpu-box', holder));
    await Promise.all(racers.map((child) => next(child, 'ready')));
    const answers = racers.map((child) => next<LeaseAcquireResult>(child, 'answer'));
    for (const child of racers) child.send({ go: true });
    const results = await Promise.all(answers);

    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const lease = winners[0]!.acquired ? winners[0]!.lease : undefined;
    for (const r of results) if (!r.acquired) expect(r.current).toEqual(lease);
    await using store = await openSqliteStore(file);
    expect(await store.leases.get('gpu-box')).toEqual(lease);
    expect(await store.leases.release('gpu-box', lease!.token)).toBe(true);
  });
});
