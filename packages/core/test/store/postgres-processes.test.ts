/**
 * The Postgres store across real processes: two runners racing for one host lease round after round,
 * several processes migrating a new schema at once, a writer killed with SIGKILL mid-run, and that only a
 * Postgres store loads `pg`. The other processes run `fixtures/postgres-worker.ts` from the sources.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sample } from '../../src/result/types.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { LeaseAcquireResult, Store } from '../../src/store/store.js';
import { adminQuery, dropSchema, uniqueSchema, withPostgres } from './postgres-harness.js';

const WORKER = fileURLToPath(new URL('./fixtures/postgres-worker.ts', import.meta.url));
const ROUNDS = 20;

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

withPostgres('Postgres store across processes', (url) => {
  let schema: string;
  const children: ChildProcess[] = [];
  const worker = (...args: string[]) => {
    // No inherited exec flags: the worker runs on this Node with type stripping, nothing of vitest's.
    const child = fork(WORKER, [args[0]!, url, schema, ...args.slice(1)], {
      execArgv: ['--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return child;
  };
  beforeEach(() => {
    schema = uniqueSchema('proc');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await dropSchema(url, schema);
  });

  it(`grants a contended host lease to exactly one of two processes, ${ROUNDS} rounds in a row`, async () => {
    // The schema exists before the race, so each round is over the lease alone.
    await (await openPostgresStore(url, { schema })).close();
    const racers = ['runner-a', 'runner-b'].map((holder) => worker('lease', holder));
    await Promise.all(racers.map((child) => next(child, 'ready')));
    const wins = { 'runner-a': 0, 'runner-b': 0 } as Record<string, number>;
    for (let round = 0; round < ROUNDS; round++) {
      // A fresh host every other round; otherwise the host of the round before, released in between.
      const hostId = `gpu-${Math.floor(round / 2)}`;
      const answers = racers.map((child) => next<LeaseAcquireResult>(child, 'answer'));
      for (const child of racers) child.send({ hostId });
      const results = await Promise.all(answers);
      const winners = results.filter((r) => r.acquired);
      expect(winners, `round ${round}`).toHaveLength(1);
      const lease = winners[0]!.acquired ? winners[0]!.lease : undefined;
      wins[lease!.holder]!++;
      for (const r of results) if (!r.acquired) expect(r.current).toEqual(lease);
      await using store = await openPostgresStore(url, { schema });
      expect(await store.leases.get(hostId)).toEqual(lease);
      if (round % 2 === 0) expect(await store.leases.release(hostId, lease!.token)).toBe(true);
    }
    expect(wins['runner-a']! + wins['runner-b']!).toBe(ROUNDS);
    const exits = racers.map((child) => once(child, 'exit'));
    for (const child of racers) child.send({ exit: true });
    expect((await Promise.all(exits)).map(([code]) => code)).toEqual([0, 0]);
  });

  it('migrates a new schema once when several processes open it at the same moment', async () => {
    const openers = [1, 2, 3, 4].map(() => worker('open'));
    await Promise.all(openers.map((child) => next(child, 'ready')));
    const opened = openers.map((child) => next<boolean>(child, 'opened'));
    for (const child of openers) child.send({ go: true });
    expect(await Promise.all(opened)).toEqual([true, true, true, true]);
    const versions = await adminQuery<{ version: number }>(url, 'SELECT version FROM swapbench_migrations', [], schema);
    expect(versions.map((r) => r.version)).toEqual([1]);
  });

  it('keeps every batch appended before a SIGKILL, and shows the run interrupted when opened again', async () => {
    const batch = 64;
    const child = worker('append-forever', 'killed', String(batch));
    await next(child, 'ready');
    let acknowledged = 0;
    while (acknowledged < 10 * batch) acknowledged = await next<number>(child, 'committed');
    const exit = once(child, 'exit');
    child.kill('SIGKILL');
    expect(await exit).toEqual([null, 'SIGKILL']);

    await using store = await openPostgresStore(url, { schema });
    const stored = await samplesOf(store, 'killed');
    expect(stored.length).toBeGreaterThanOrEqual(acknowledged);
    // Whole batches only (a batch is one transaction), in append order.
    expect(stored.length % batch).toBe(0);
    expect(stored.map((s) => s.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i));
    const run = await store.runs.get('killed');
    expect(run?.status).toBe('interrupted');
    expect(run?.finishedAt).toBeNull();
  });

  it('loads pg only when a Postgres store is opened: never for the root or the stores entry', async () => {
    const child = worker('load-check');
    expect(await next(child, 'loaded')).toEqual({ afterRoot: false, afterEntry: false, afterOpen: true });
  });
});
