/**
 * The suites, baselines, hosts and leases part of the store contract. Called from `describeStoreContract`,
 * inside its per-test store setup.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import type { SuiteInput } from '../../src/suite/schema.js';
import type { StoreHarness } from './store.contract.js';
import { expectStoreError, makeRun } from './store-fixtures.js';

const isIso = (s: string) => new Date(s).toISOString() === s;

export function describeRecordsContract(current: () => { h: StoreHarness; store: Store }): void {
  let h: StoreHarness;
  let store: Store;
  beforeEach(() => {
    ({ h, store } = current());
  });
  /** Let `ms` pass on the store's clock: exactly with `advanceClock`, else in real time. */
  const pass = async (ms: number) => {
    if (h.advanceClock) h.advanceClock(ms);
    else await new Promise((r) => setTimeout(r, ms));
  };
  /** A short TTL when waiting in real time, a long one on an injected clock. */
  const shortTtl = () => (h.advanceClock ? 60_000 : 40);

  describe('suites, baselines, hosts', () => {
    it('keeps suites by name, listed by name, and replaces one on put', async () => {
      const nightly: SuiteInput = { name: 'nightly', models: ['m'], promptTokens: [512], maxTokens: [64], concurrency: [1, 4] };
      const saved = await store.suites.put('nightly', nightly);
      expect(saved).toEqual({ name: 'nightly', suite: nightly, updatedAt: saved.updatedAt });
      expect(isIso(saved.updatedAt)).toBe(true);
      await store.suites.put('adhoc', { ...nightly, name: 'adhoc' });
      nightly.models.push('changed after put');
      expect(await store.suites.get('nightly')).toEqual(saved);
      expect(saved.suite.models).toEqual(['m']);
      expect((await store.suites.list()).map((s) => s.name)).toEqual(['adhoc', 'nightly']);

      await pass(5);
      const replaced = await store.suites.put('nightly', { ...nightly, models: ['other'] });
      expect(Date.parse(replaced.updatedAt)).toBeGreaterThan(Date.parse(saved.updatedAt));
      expect((await store.suites.get('nightly'))?.suite.models).toEqual(['other']);
      expect(await store.suites.list()).toHaveLength(2);

      expect(await store.suites.remove('nightly')).toBe(true);
      expect(await store.suites.remove('nightly')).toBe(false);
      expect(await store.suites.get('nightly')).toBeUndefined();
      expect((await store.suites.list()).map((s) => s.name)).toEqual(['adhoc']);
    });

    it('sets baselines only to runs that exist, and moves one on set', async () => {
      await store.runs.create(makeRun('base'));
      await store.runs.create(makeRun('newer'));
      const b = await store.baselines.set('main', 'base');
      expect(b).toEqual({ name: 'main', runId: 'base', setAt: b.setAt });
      expect(isIso(b.setAt)).toBe(true);
      expect(await store.baselines.get('main')).toEqual(b);

      expect((await expectStoreError(store.baselines.set('other', 'missing-run'), 'RUN_NOT_FOUND')).message).toMatch(/missing-run/);
      expect(await store.baselines.get('other')).toBeUndefined();

      await store.baselines.set('release', 'base');
      await store.baselines.set('main', 'newer');
      expect((await store.baselines.get('main'))?.runId).toBe('newer');
      expect((await store.baselines.list()).map((x) => [x.name, x.runId])).toEqual([
        ['main', 'newer'],
        ['release', 'base'],
      ]);
      expect(await store.baselines.clear('main')).toBe(true);
      expect(await store.baselines.clear('main')).toBe(false);
      expect(await store.baselines.get('main')).toBeUndefined();
      // Clearing a baseline leaves its run alone.
      expect(await store.runs.get('newer')).toBeDefined();
    });

    it('keeps hosts by id with their labels, listed by id, and replaces one on put', async () => {
      const input = { id: 'gpu-box', baseUrl: 'http://gpu-box:8080', kind: 'llama-swap', labels: { gpu: 'RTX 4090' } };
      const host = await store.hosts.put(input);
      expect(host).toEqual({ ...input, updatedAt: host.updatedAt });
      expect(isIso(host.updatedAt)).toBe(true);
      input.labels.gpu = 'changed after put';
      expect((await store.hosts.get('gpu-box'))?.labels).toEqual({ gpu: 'RTX 4090' });

      await store.hosts.put({ id: 'cpu-box', baseUrl: 'http://cpu-box:8080' });
      expect((await store.hosts.get('cpu-box'))?.labels).toBeUndefined();
      await store.hosts.put({ id: 'gpu-box', baseUrl: 'http://gpu-box:9090' });
      expect(await store.hosts.get('gpu-box')).toMatchObject({ baseUrl: 'http://gpu-box:9090' });
      expect((await store.hosts.list()).map((x) => x.id)).toEqual(['cpu-box', 'gpu-box']);
      expect(await store.hosts.remove('gpu-box')).toBe(true);
      expect(await store.hosts.remove('gpu-box')).toBe(false);
      expect(await store.hosts.get('gpu-box')).toBeUndefined();
    });
  });

  describe('leases', () => {
    const req = (holder: string, ttlMs = 60_000, hostId = 'h') => ({ hostId, holder, purpose: `${holder}-bench`, ttlMs });

    it('grants a free host, with an expiry ttlMs ahead and a token', async () => {
      const before = Date.now();
      const got = await store.leases.acquire(req('alice'));
      expect(got.acquired).toBe(true);
      if (!got.acquired) return;
      expect(got.lease).toMatchObject({ hostId: 'h', holder: 'alice', purpose: 'alice-bench' });
      expect(got.lease.token.length).toBeGreaterThanOrEqual(16);
      expect(isIso(got.lease.expiresAt)).toBe(true);
      if (!h.advanceClock) {
        expect(Date.parse(got.lease.expiresAt)).toBeGreaterThanOrEqual(before + 60_000);
        expect(Date.parse(got.lease.expiresAt)).toBeLessThanOrEqual(Date.now() + 60_000);
      }
      expect(await store.leases.get('h')).toEqual(got.lease);
    });

    it('refuses a held host to everyone, its holder included, and shows who holds it', async () => {
      const first = await store.leases.acquire(req('alice'));
      if (!first.acquired) throw new Error('first acquire failed');
      expect(await store.leases.acquire(req('bob'))).toEqual({ acquired: false, current: first.lease });
      expect(await store.leases.acquire(req('alice'))).toEqual({ acquired: false, current: first.lease });
      // Other hosts are independent.
      expect((await store.leases.acquire(req('bob', 60_000, 'other-host'))).acquired).toBe(true);
    });

    it('renews and releases only with the token', async () => {
      const first = await store.leases.acquire(req('alice'));
      if (!first.acquired) throw new Error('first acquire failed');
      expect(await store.leases.renew('h', 'wrong-token', 120_000)).toBe(false);
      expect(await store.leases.renew('other-host', first.lease.token, 120_000)).toBe(false);
      expect(await store.leases.renew('h', first.lease.token, 120_000)).toBe(true);
      const renewed = (await store.leases.get('h'))!;
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(first.lease.expiresAt));
      expect(renewed.token).toBe(first.lease.token);

      expect(await store.leases.release('h', 'wrong-token')).toBe(false);
      expect((await store.leases.get('h'))?.holder).toBe('alice');
      expect(await store.leases.release('h', first.lease.token)).toBe(true);
      expect(await store.leases.get('h')).toBeUndefined();
      expect(await store.leases.release('h', first.lease.token)).toBe(false);
      expect(await store.leases.renew('h', first.lease.token, 60_000)).toBe(false);

      const next = await store.leases.acquire(req('bob'));
      if (!next.acquired) throw new Error('acquire after release failed');
      expect(next.lease.token).not.toBe(first.lease.token);
      // The old token cannot touch the new lease.
      expect(await store.leases.release('h', first.lease.token)).toBe(false);
      expect((await store.leases.get('h'))?.holder).toBe('bob');
    });

    it('lets anyone take an expired lease, and the old token then fails', async () => {
      const old = await store.leases.acquire(req('alice', shortTtl()));
      if (!old.acquired) throw new Error('first acquire failed');
      await pass(shortTtl() + 30);
      expect(await store.leases.get('h')).toBeUndefined();
      expect(await store.leases.renew('h', old.lease.token, 60_000)).toBe(false);
      expect(await store.leases.release('h', old.lease.token)).toBe(false);
      const next = await store.leases.acquire(req('bob'));
      expect(next).toMatchObject({ acquired: true, lease: { holder: 'bob' } });
      expect(await store.leases.renew('h', old.lease.token, 60_000)).toBe(false);
    });

    it('keeps a renewed lease past its first expiry', async (ctx) => {
      if (!h.advanceClock) return ctx.skip();
      const got = await store.leases.acquire(req('alice', 1000));
      if (!got.acquired) throw new Error('acquire failed');
      h.advanceClock(800);
      expect(await store.leases.renew('h', got.lease.token, 1000)).toBe(true);
      h.advanceClock(800);
      expect((await store.leases.acquire(req('bob'))).acquired).toBe(false);
      h.advanceClock(201);
      expect((await store.leases.acquire(req('bob'))).acquired).toBe(true);
    });

    it('rejects a TTL that is not a positive number', async () => {
      for (const ttlMs of [0, -5, Number.NaN]) await expectStoreError(store.leases.acquire(req('alice', ttlMs)), 'CONFIG_INVALID');
      expect(await store.leases.get('h')).toBeUndefined();
    });
  });
}
