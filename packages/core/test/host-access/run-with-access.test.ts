/**
 * `runBenchSuite` with host access and foreign-activity sampling, over real loopback HTTP to the simulator:
 * the lease is taken before the first request and given back at the end, on error and on abort; foreign
 * requests started mid-run mark the cells that saw them polluted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { HostBusyError } from '../../src/errors/index.js';
import { createHostAccess } from '../../src/host-access/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { suite } from '../engine/helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function setup(foreign = 0) {
  sim = await startSimulator({
    mode: 'llama-server',
    models: [{ name: 'm1', slots: 8, genTps: 400, ttftMs: 2, promptTps: 50_000 }],
    ...(foreign > 0 && { foreignTraffic: { requests: foreign } }),
  });
  const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' });
  const store = createMemoryStore();
  const hostAccess = createHostAccess({ leases: store.leases, activity: transport });
  return { sim, transport, store, hostAccess };
}

describe('runBenchSuite with hostAccess', () => {
  it('holds the lease during the run and releases it at the end; foreign requests mid-run pollute the cells that saw them', async () => {
    const { sim, transport, store, hostAccess } = await setup();
    const leaseDuringRun: (string | undefined)[] = [];
    const result = await runBenchSuite(suite({ maxTokens: [40], concurrency: [1, 2], repetitions: 4 }), {
      transport,
      store,
      hostAccess,
      hostId: 'sim',
      foreignProbeMs: 25,
      onEvent: (e) => {
        if (e.type === 'cell-start') void store.leases.get('sim').then((l) => leaseDuringRun.push(l?.purpose));
        // Somebody starts chatting after the first cell.
        if (e.type === 'cell-done' && e.index === 0) sim.setForeignTraffic({ requests: 2 });
      },
    });
    await transport.close();
    expect(result.status).toBe('completed');
    expect(leaseDuringRun).toEqual(['bench', 'bench']);
    expect(await store.leases.get('sim')).toBeUndefined();
    const [clean, dirty] = result.cells;
    expect(clean!.polluted).toBe(false);
    expect(clean!.concurrentForeignRequests).toMatchObject({ peak: 0, mean: 0 });
    expect(clean!.concurrentForeignRequests!.probes).toBeGreaterThan(0);
    expect(dirty!.polluted).toBe(true);
    expect(dirty!.concurrentForeignRequests!.peak).toBe(2);
    expect(dirty!.concurrentForeignRequests!.mean).toBeGreaterThan(0);
    expect(result.polluted).toBe(true);
    expect(result.concurrentForeignRequests!.peak).toBe(2);
    expect(result.notes).toContain('cell m1 pp32 tg40 c2 is polluted: up to 2 foreign request(s) were in flight on the host');
    // Stored as measured.
    expect((await store.runs.get(result.runId))?.cells[1]?.polluted).toBe(true);
  });

  it('counts none of our own requests as foreign: a run alone on the host is clean', async () => {
    const { transport, store, hostAccess } = await setup();
    const result = await runBenchSuite(suite({ maxTokens: [30], concurrency: [1, 4], repetitions: 3, warmup: 1 }), {
      transport,
      store,
      hostAccess,
      foreignProbeMs: 10,
    });
    await transport.close();
    expect(result.cells.map((c) => [c.polluted, c.concurrentForeignRequests?.peak])).toEqual([
      [false, 0],
      [false, 0],
    ]);
    expect(result.polluted).toBe(false);
  });

  it('rejects with HostBusyError before storing anything when foreign requests are in flight; runs with takeover', async () => {
    const { transport, store, hostAccess } = await setup(1);
    await expect(runBenchSuite(suite(), { transport, store, hostAccess, hostId: 'sim' })).rejects.toBeInstanceOf(HostBusyError);
    expect((await store.runs.list({})).items).toEqual([]);
    expect(await store.leases.get('sim')).toBeUndefined();
    const taken = createHostAccess({ leases: store.leases, activity: transport, takeover: true });
    const result = await runBenchSuite(suite(), { transport, store, hostAccess: taken, hostId: 'sim', foreignProbeMs: 20 });
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.notes[0]).toBe('took over a busy host (--takeover): slot 0 is processing');
    expect(result.polluted).toBe(true);
    expect(await store.leases.get('sim')).toBeUndefined();
  });

  it('releases the lease when the run is aborted', async () => {
    const { transport, store, hostAccess } = await setup();
    const controller = new AbortController();
    const result = await runBenchSuite(suite({ maxTokens: [400], concurrency: [2], repetitions: 5 }), {
      transport,
      store,
      hostAccess,
      hostId: 'sim',
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'cell-start') setTimeout(() => controller.abort(new Error('stop')), 100);
      },
    });
    await transport.close();
    expect(result.status).toBe('cancelled');
    expect(await store.leases.get('sim')).toBeUndefined();
  });

  it('releases the lease when the run fails (host gone after access was granted)', async () => {
    const { sim, transport, store } = await setup();
    let held: string | undefined;
    const hostAccess = createHostAccess({ leases: store.leases, activity: transport });
    const result = await runBenchSuite(suite(), {
      transport,
      store,
      hostId: 'sim',
      // Grant access, then take the host away before the first request.
      hostAccess: async (request) => {
        const lease = await hostAccess(request);
        held = (await store.leases.get('sim'))?.purpose;
        await sim.close();
        return lease;
      },
    });
    await transport.close();
    expect(held).toBe('bench');
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HOST_UNREACHABLE');
    expect(await store.leases.get('sim')).toBeUndefined();
  });
});
