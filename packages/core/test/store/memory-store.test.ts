import { describe, expect, it } from 'vitest';
import { createMemoryStore, createMemoryStoreState } from '../../src/store/memory/index.js';
import { describeStoreContract, expectStoreError, makeRun } from '../contracts/store.contract.js';

/** A wall clock the test moves by hand. */
function manualClock(start = '2026-11-24T12:00:00.000Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

// Shared state stands in for the storage a persistent store would reopen, or a second process would open.
describeStoreContract('memory (injected clock)', async () => {
  const clock = manualClock();
  const state = createMemoryStoreState();
  const open = async () => createMemoryStore({ now: clock.now, state });
  return { store: await open(), reopen: open, connect: open, advanceClock: clock.advance };
});

describeStoreContract('memory (wall clock)', async () => ({ store: createMemoryStore() }));

describe('memory store', () => {
  it('stamps records and lease expiry from the injected clock', async () => {
    const clock = manualClock();
    const store = createMemoryStore({ now: clock.now });
    expect((await store.suites.put('s', { name: 's', models: ['m'], promptTokens: [1], maxTokens: [1], concurrency: [1] })).updatedAt).toBe(
      '2026-11-24T12:00:00.000Z',
    );
    clock.advance(1500);
    expect((await store.hosts.put({ id: 'h', baseUrl: 'http://h:1' })).updatedAt).toBe('2026-11-24T12:00:01.500Z');
    const lease = await store.leases.acquire({ hostId: 'h', holder: 'a', purpose: 'p', ttlMs: 1000 });
    expect(lease.acquired && lease.lease.expiresAt).toBe('2026-11-24T12:00:02.500Z');
    clock.advance(999);
    expect((await store.leases.acquire({ hostId: 'h', holder: 'b', purpose: 'p', ttlMs: 1000 })).acquired).toBe(false);
    // Expired at exactly expiresAt.
    clock.advance(1);
    expect((await store.leases.acquire({ hostId: 'h', holder: 'b', purpose: 'p', ttlMs: 1000 })).acquired).toBe(true);
  });

  it('keeps separate stores separate unless they share a state', async () => {
    const a = createMemoryStore();
    const b = createMemoryStore();
    await a.runs.create(makeRun('r'));
    expect(await b.runs.get('r')).toBeUndefined();
    await expectStoreError(b.baselines.set('main', 'r'), 'RUN_NOT_FOUND');
  });

  it('leaves shared data in place when one of the stores closes', async () => {
    const state = createMemoryStoreState();
    const a = createMemoryStore({ state });
    await a.runs.create(makeRun('r'));
    await a.close();
    const b = createMemoryStore({ state });
    expect((await b.runs.get('r'))?.runId).toBe('r');
    await expectStoreError(a.runs.get('r'), 'STORE_CLOSED');
  });
});
