/** llama-server in router mode, from recorded answers of the real b10470 router. */
import { describe, expect, it } from 'vitest';
import { connectLlamaTransport } from '../../src/transport/llama/index.js';
import { parseRouterModels } from '../../src/transport/llama/router-operations.js';
import { closeAfterEach } from './helpers.js';
import { startMswServer } from './msw-loopback.js';
import { llamaRouterHandlers, ROUTER_LOADED } from './recorded-router.js';

const keep = closeAfterEach();

describe('llama-server router mode', () => {
  it('is detected as llama-router, and knows which of its models are loaded', async () => {
    const s = keep(await startMswServer(await llamaRouterHandlers()));
    const t = keep(await connectLlamaTransport({ baseUrl: s.url }));
    expect(t.kind).toBe('llama-router');
    expect(await t.runningModels!()).toEqual([ROUTER_LOADED]);
    expect((await t.listModels()).map((m) => [m.id, m.loaded])).toEqual([
      ['tiny-llama-spm-eos-f16', false],
      [ROUTER_LOADED, true],
    ]);
  });

  it('describes loaded models only, from their own /props (never starting the others)', async () => {
    const s = keep(await startMswServer(await llamaRouterHandlers()));
    const t = keep(await connectLlamaTransport({ baseUrl: s.url }));
    const info = await t.describe!(['tiny-llama-spm-eos-f16', ROUTER_LOADED]);
    expect(info.models.map((m) => [m.id, m.build, m.contextPerSlot])).toEqual([[ROUTER_LOADED, 'b10470-34af94cd', 2048]]);
    expect(s.hits.filter((h) => h.path.startsWith('/props?')).map((h) => h.path)).toEqual([`/props?model=${ROUTER_LOADED}`]);
  });

  it("forced to --kind llama-server, reads the router's n_ctx 0 as an unknown context, not a context of 0 tokens", async () => {
    const s = keep(await startMswServer(await llamaRouterHandlers()));
    const t = keep(await connectLlamaTransport({ baseUrl: s.url, kind: 'llama-server' }));
    const info = await t.describe!([ROUTER_LOADED]);
    expect(info.models).toHaveLength(1);
    // A context of 0 refused every cell ("cannot fit the server's context of 0 tokens per slot").
    expect(info.models[0]!.contextPerSlot).toBeUndefined();
  });

  it('tokenizes through the model named in the body, and sees its busy slot', async () => {
    const s = keep(await startMswServer(await llamaRouterHandlers()));
    const t = keep(await connectLlamaTransport({ baseUrl: s.url }));
    expect(await t.tokenize!(ROUTER_LOADED, { endpoint: 'completion', prompt: 'a b c' })).toBe(4);
    expect(await t.tokenize!(ROUTER_LOADED, { endpoint: 'chat', messages: [{ role: 'user', content: 'hi' }] })).toBeGreaterThan(1);
    expect(await t.probeActivity!()).toEqual({ busy: true, evidence: [`${ROUTER_LOADED} slot 0 is processing`], inFlight: 1 });
  });

  it('unloads a model with POST /models/unload and waits until the router says it is unloaded', async () => {
    const unloads: string[] = [];
    const s = keep(await startMswServer(await llamaRouterHandlers(unloads)));
    const t = keep(await connectLlamaTransport({ baseUrl: s.url }));
    await t.unload!(ROUTER_LOADED);
    expect(unloads).toEqual([ROUTER_LOADED]);
    expect(await t.runningModels!()).toEqual([]);
    // Already unloaded: nothing to ask.
    await t.unload!(ROUTER_LOADED);
    expect(unloads).toEqual([ROUTER_LOADED]);
  });

  it('reads the states of a /models answer, skipping entries without an id', () => {
    expect(parseRouterModels({ data: [{ id: 'a', status: { value: 'loading' } }, { id: 'b' }, { status: {} }] })).toEqual([
      { id: 'a', state: 'loading' },
      { id: 'b', state: undefined },
    ]);
  });
});
