import { expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { describeStoreContract, makeRun } from '../contracts/store.contract.js';

describeStoreContract('memory', async () => ({ store: createMemoryStore() }));

it('memory: dispose closes the store', async () => {
  let store;
  {
    await using s = createMemoryStore();
    store = s;
    await s.runs.create(makeRun('r'));
  }
  await expect(store.runs.get('r')).rejects.toThrow(/closed/);
});

it('memory: lease expiry follows the injected clock', async () => {
  let now = Date.parse('2026-11-24T10:00:00.000Z');
  const store = createMemoryStore({ now: () => new Date(now) });
  const lease = await store.leases.acquire({ hostId: 'h', holder: 'a', purpose: 'p', ttlMs: 1000 });
  expect(lease.acquired && lease.lease.expiresAt).toBe('2026-11-24T10:00:01.000Z');
  now += 999;
  expect((await store.leases.acquire({ hostId: 'h', holder: 'b', purpose: 'p', ttlMs: 1000 })).acquired).toBe(false);
  now += 2;
  expect((await store.leases.acquire({ hostId: 'h', holder: 'b', purpose: 'p', ttlMs: 1000 })).acquired).toBe(true);
});
