/**
 * The default host-access policy on real parts: a memory store's leases shared by two "processes" (two
 * policies with their own holder), the simulator as a host with foreign traffic, a real clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HostBusyError, LeaseHeldError } from '../../src/errors/index.js';
import { createHostAccess } from '../../src/host-access/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const idle = { probeActivity: async () => ({ busy: false, evidence: [] }) };

describe('default host-access policy', () => {
  it('lets one benchmark hold a host: a second is refused with the holder and since when, then gets it after release', async () => {
    const store = createMemoryStore();
    const first = createHostAccess({ leases: store.leases, activity: idle, holder: 'run A' });
    const second = createHostAccess({ leases: store.leases, activity: idle, holder: 'run B' });
    const lease = await first({ hostId: 'box', purpose: 'bench' });
    const refusal = await second({ hostId: 'box', purpose: 'bench' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(LeaseHeldError);
    expect((refusal as LeaseHeldError).code).toBe('LEASE_HELD');
    expect((refusal as Error).message).toMatch(
      /^host box is leased for bench by run A since \d{4}-\d\d-\d\dT.* \(lease expires .* unless renewed\)$/,
    );
    // Another host is free.
    await (await second({ hostId: 'other', purpose: 'bench' })).release();
    await lease.release();
    await lease.release(); // idempotent
    const again = await second({ hostId: 'box', purpose: 'bench' });
    expect((await store.leases.get('box'))?.holder).toMatch(/^run B since /);
    await again.release();
    expect(await store.leases.get('box')).toBeUndefined();
  });

  it('waits for a held host with waitMs, and gives up with the refusal when the wait runs out', async () => {
    const store = createMemoryStore();
    const first = createHostAccess({ leases: store.leases, activity: idle, holder: 'run A' });
    const second = createHostAccess({ leases: store.leases, activity: idle, holder: 'run B', pollMs: 20 });
    const lease = await first({ hostId: 'box', purpose: 'bench' });
    await expect(second({ hostId: 'box', purpose: 'bench', waitMs: 100 })).rejects.toBeInstanceOf(LeaseHeldError);
    const t0 = Date.now();
    setTimeout(() => void lease.release(), 150);
    const waited = await second({ hostId: 'box', purpose: 'bench', waitMs: 5_000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect((await store.leases.get('box'))?.holder).toMatch(/^run B /);
    await waited.release();
  });

  it('stops waiting on abort, rejecting with the signal reason', async () => {
    const store = createMemoryStore();
    const lease = await createHostAccess({ leases: store.leases, activity: idle })({ hostId: 'box', purpose: 'bench' });
    const access = createHostAccess({ leases: store.leases, activity: idle, pollMs: 20 });
    const reason = new Error('stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 60);
    await expect(access({ hostId: 'box', purpose: 'bench', waitMs: 10_000, signal: controller.signal })).rejects.toBe(reason);
    await lease.release();
  });

  it('renews the lease while held, so it outlives its ttl; a released lease is gone', async () => {
    const store = createMemoryStore();
    const lease = await createHostAccess({ leases: store.leases, activity: idle, ttlMs: 90 })({ hostId: 'box', purpose: 'bench' });
    await new Promise((r) => setTimeout(r, 300));
    const other = createHostAccess({ leases: store.leases, activity: idle });
    await expect(other({ hostId: 'box', purpose: 'bench' })).rejects.toBeInstanceOf(LeaseHeldError);
    expect(lease.lost.aborted).toBe(false);
    await lease.release();
    await (await other({ hostId: 'box', purpose: 'bench' })).release();
  });

  it('refuses a host with foreign requests in flight (evidence from /slots), and runs with takeover', async () => {
    sim = await startSimulator({ mode: 'llama-server', models: [{ name: 'm', slots: 4 }], foreignTraffic: { requests: 1 } });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' });
    const store = createMemoryStore();
    const access = createHostAccess({ leases: store.leases, activity: transport });
    const refusal = await access({ hostId: 'sim', purpose: 'bench' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(HostBusyError);
    expect((refusal as HostBusyError).code).toBe('HOST_BUSY');
    expect((refusal as HostBusyError).evidence).toEqual(['slot 0 is processing']);
    // The refusal gave the lease back.
    expect(await store.leases.get('sim')).toBeUndefined();
    const lease = await access({ hostId: 'sim', purpose: 'bench', takeover: true });
    expect(lease.notes).toEqual(['took over a busy host (--takeover): slot 0 is processing']);
    await lease.release();
    // Stopped foreign traffic: free again.
    sim.setForeignTraffic({ requests: 0 });
    await (await access({ hostId: 'sim', purpose: 'bench' })).release();
    await transport.close();
  });

  it('never refuses playground: not for a held lease, not for foreign traffic, and takes no lease', async () => {
    const store = createMemoryStore();
    const busy = { probeActivity: async () => ({ busy: true, evidence: ['slot 0 is processing'] }) };
    const bench = await createHostAccess({ leases: store.leases, activity: idle })({ hostId: 'box', purpose: 'bench' });
    const play = await createHostAccess({ leases: store.leases, activity: busy })({ hostId: 'box', purpose: 'playground' });
    expect(play.notes).toEqual([]);
    await play.release();
    expect((await store.leases.get('box'))?.purpose).toBe('bench');
    await bench.release();
    await (await createHostAccess({ leases: store.leases, activity: busy })({ hostId: 'box', purpose: 'playground' })).release();
    expect(await store.leases.get('box')).toBeUndefined();
  });

  it('lets a host through with a note when it cannot be probed', async () => {
    const store = createMemoryStore();
    const lease = await createHostAccess({ leases: store.leases, activity: {} })({ hostId: 'box', purpose: 'eval' });
    expect(lease.notes).toEqual(['foreign traffic not checked before the run: the transport cannot probe activity']);
    await lease.release();
  });
});
