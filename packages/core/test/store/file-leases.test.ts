/**
 * Leases in a file store, contended by real processes: whatever the interleaving, exactly one racer gets
 * the host and every other one is shown that racer's lease.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/store/file/index.js';
import type { LeaseAcquireResult } from '../../src/store/store.js';

const HOOKS = new URL('./fixtures/file-ts-hooks.mjs', import.meta.url).href;
const RACER = fileURLToPath(new URL('./fixtures/file-lease-racer.ts', import.meta.url));
const RACERS = 6;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-file-leases-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start the racers, let them all call acquire at the same moment, and collect what each got. */
async function race(hostId: string): Promise<Array<LeaseAcquireResult & { racer: string }>> {
  // Late enough for every process to have started and opened the store.
  const startAt = Date.now() + 1500;
  const runs = Array.from({ length: RACERS }, async (_, i) => {
    const racer = `racer-${i}`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', HOOKS, RACER, dir, hostId, racer, String(startAt)]);
    return { ...(JSON.parse(stdout) as LeaseAcquireResult), racer };
  });
  return Promise.all(runs);
}

describe('file store leases across processes', () => {
  it('grants a free host to exactly one of several processes acquiring at once', async () => {
    const results = await race('gpu-box');
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const lease = winners[0]!.acquired ? winners[0]!.lease : undefined;
    expect(lease?.holder).toBe(winners[0]!.racer);
    for (const r of results.filter((x) => !x.acquired)) expect(r).toEqual({ acquired: false, current: lease, racer: r.racer });
    const store = await openFileStore(dir);
    expect(await store.leases.get('gpu-box')).toEqual(lease);
    await store.close();
  });

  it('hands an expired lease to exactly one of several processes taking it over at once', async () => {
    const store = await openFileStore(dir);
    const old = await store.leases.acquire({ hostId: 'gpu-box', holder: 'crashed', purpose: 'nightly', ttlMs: 50 });
    await store.close();
    const results = await race('gpu-box');
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const lease = winners[0]!.acquired ? winners[0]!.lease : undefined;
    expect(lease?.token).not.toBe(old.acquired && old.lease.token);
    expect(results.filter((r) => !r.acquired).map((r) => !r.acquired && r.current.holder)).toEqual(Array(RACERS - 1).fill(lease?.holder));
  });
});
