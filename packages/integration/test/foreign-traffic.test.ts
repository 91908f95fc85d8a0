import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostAccess, createMemoryStore } from '@swapbench/core';
import { HostBusyError } from '@swapbench/core/errors';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { haveRealServer, type LlamaServer, startLlamaServer } from './support/llama-server.js';

// Somebody else's request in flight on the real llama-server is seen through `/slots` (`is_processing`),
// counted, and makes the default host-access policy refuse the host.
describe.runIf(haveRealServer)('foreign traffic on a real llama-server', () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A long generation by "somebody else", with plain fetch; resolves once the first token arrived. */
  async function foreignRequest(signal: AbortSignal): Promise<void> {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'hello' }],
        max_tokens: 1900,
        ignore_eos: true,
        stream: true,
      }),
      signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    // Keep reading in the background until aborted, so the server keeps generating.
    void (async () => {
      for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return;
    })();
  }

  it('sees the request through /slots, and the host-access policy refuses the host unless takeover', async () => {
    const transport = createLlamaTransport({ baseUrl: server.url, kind: 'llama-server' });
    const idle = await transport.probeActivity!();
    expect(idle).toEqual({ busy: false, evidence: [], inFlight: 0 });

    const foreign = new AbortController();
    await foreignRequest(foreign.signal);
    const seen = await transport.probeActivity!();
    expect(seen.busy).toBe(true);
    expect(seen.evidence).toHaveLength(1);
    expect(seen.evidence[0]).toMatch(/^slot [01] is processing$/);
    expect((seen as { inFlight?: number }).inFlight).toBe(1);

    const store = createMemoryStore();
    const access = createHostAccess({ leases: store.leases, activity: transport });
    const refusal = await access({ hostId: 'real', purpose: 'bench' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(HostBusyError);
    expect((refusal as HostBusyError).message).toMatch(/^host real is busy: slot [01] is processing/);
    const taken = await access({ hostId: 'real', purpose: 'bench', takeover: true });
    expect(taken.notes[0]).toMatch(/^took over a busy host/);
    await taken.release();

    foreign.abort();
    // The server frees the slot once it notices the client left.
    let after = await transport.probeActivity!();
    for (let i = 0; i < 50 && after.busy; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await transport.probeActivity!();
    }
    expect(after.busy).toBe(false);
    await transport.close();
  }, 60_000);
});
