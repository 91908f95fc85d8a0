/** Closing the server cancels the runs in progress: each is stored `cancelled`, and its watchers get the end. */
import { request } from 'undici';
import { expect, it } from 'vitest';
import { harness, parseSse, SMALL_SUITE } from './harness.js';

it('app.close() cancels a running run, stores it cancelled, and ends its event stream with the result', async () => {
  const h = await harness({}, { mode: 'llama-server', models: [{ name: 'sim-model', genTps: 20, slots: 4 }] });
  try {
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const started = await h.app.inject({
      method: 'POST',
      url: '/api/bench/runs',
      payload: { host: 'sim', suite: { ...SMALL_SUITE, maxTokens: [200], repetitions: 5 } },
    });
    const { runId } = started.json();
    const watcher = request(`${base}/api/bench/runs/${runId}/events`).then((res) => res.body.text());
    await expect.poll(() => h.sim.stats().active).toBeGreaterThan(0);
    await h.app.close();
    const run = await h.store.runs.get(runId);
    expect(run?.status).toBe('cancelled');
    const events = parseSse(await watcher);
    expect(events.at(-1)?.event).toBe('run-done');
    expect(JSON.parse(events.at(-1)!.data).result.status).toBe('cancelled');
    // The lease was given back: the next process can take the host.
    expect(await h.store.leases.get('sim')).toBeUndefined();
  } finally {
    await h.close();
  }
});
