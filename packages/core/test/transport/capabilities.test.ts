/**
 * What each kind of server can do (`capabilitiesOf`) and how it behaves (`traits`), set explicitly or
 * detected; and the auto-detecting facade: every capability until detection, then only the kind's own.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { HostUnreachableError, UnsupportedError } from '../../src/errors/index.js';
import { connectLlamaTransport, createLlamaTransport, type LlamaServerKind } from '../../src/transport/llama/index.js';
import { capabilitiesOf, TRANSPORT_CAPABILITIES, type TransportCapability, type TransportTraits } from '../../src/transport/transport.js';
import { closeAfterEach } from './helpers.js';
import { startMswServer } from './msw-loopback.js';
import { llamaRouterHandlers } from './recorded-router.js';
import { llamaServerHandlers, llamaSwapHandlers } from './recorded-servers.js';

const keep = closeAfterEach();
const serve = async (handlers: Parameters<typeof startMswServer>[0]) => keep(await startMswServer(handlers));

/** What each kind offers: the table the engine's fallbacks depend on. */
const EXPECTED: Record<LlamaServerKind, { capabilities: TransportCapability[]; traits: TransportTraits }> = {
  'llama-server': {
    capabilities: ['tokenize', 'applyTemplate', 'describe', 'probeActivity', 'serverCounters'],
    traits: { anyModelName: true, describesLoadedModelsOnly: false },
  },
  'llama-swap': {
    capabilities: ['tokenize', 'applyTemplate', 'describe', 'runningModels', 'unload', 'probeActivity', 'serverCounters'],
    traits: { anyModelName: false, describesLoadedModelsOnly: true },
  },
  'llama-router': {
    capabilities: ['tokenize', 'applyTemplate', 'describe', 'runningModels', 'unload', 'probeActivity', 'serverCounters'],
    traits: { anyModelName: false, describesLoadedModelsOnly: true },
  },
  // vLLM's `/tokenize` (a server without it is probed instead); usage reports sizes; the cache cannot be turned off.
  openai: {
    capabilities: ['tokenize', 'describe', 'serverCounters'],
    traits: { anyModelName: false, describesLoadedModelsOnly: false, reportsPromptTokens: true, obeysCachePrompt: false },
  },
};
const KINDS = Object.keys(EXPECTED) as LlamaServerKind[];

/** A loopback server of each kind; the OpenAI-compatible one answers `/v1/models` only. */
async function handlersFor(kind: LlamaServerKind) {
  if (kind === 'llama-server') return llamaServerHandlers();
  if (kind === 'llama-swap') return llamaSwapHandlers();
  if (kind === 'llama-router') return llamaRouterHandlers();
  return [http.get('*/v1/models', () => HttpResponse.json({ data: [{ id: 'Qwen/Qwen3-8B' }] }))];
}

describe('capabilities and traits per kind', () => {
  it.each(KINDS)('%s, when the kind is given', (kind) => {
    // Nothing listens there: building a transport of a given kind sends nothing.
    const t = keep(createLlamaTransport({ baseUrl: 'http://127.0.0.1:9', kind }));
    expect(t.kind).toBe(kind);
    expect(capabilitiesOf(t)).toEqual(EXPECTED[kind].capabilities);
    expect(t.traits).toEqual(EXPECTED[kind].traits);
  });

  it.each(KINDS)('%s, when connectLlamaTransport detects it', async (kind) => {
    const s = await serve(await handlersFor(kind));
    const t = keep(await connectLlamaTransport({ baseUrl: s.url }));
    expect([t.kind, capabilitiesOf(t), t.traits]).toEqual([kind, EXPECTED[kind].capabilities, EXPECTED[kind].traits]);
  });
});

describe('the auto-detecting facade', () => {
  it('offers every capability before detection, and reads as the kind that promises least', async () => {
    const s = await serve(await llamaServerHandlers());
    const t = keep(createLlamaTransport({ baseUrl: s.url }));
    expect(capabilitiesOf(t)).toEqual([...TRANSPORT_CAPABILITIES]);
    expect([t.kind, t.traits]).toEqual(['openai', EXPECTED.openai.traits]);
    expect(s.hits).toHaveLength(0);
  });

  it.each(KINDS)('after its first call to a %s, has exactly that kind’s capabilities, traits and kind', async (kind) => {
    const s = await serve(await handlersFor(kind));
    const t = keep(createLlamaTransport({ baseUrl: s.url, kind: 'auto' }));
    expect((await t.listModels()).length).toBeGreaterThan(0);
    expect([t.kind, capabilitiesOf(t), t.traits]).toEqual([kind, EXPECTED[kind].capabilities, EXPECTED[kind].traits]);
    // Detection asks llama-swap's /running, then llama-server's /props, as far as it needs to (unanswered
    // routes get a 599 and are not recorded); then the call itself goes out.
    const probes = { 'llama-swap': ['/running'], 'llama-server': ['/props'], 'llama-router': ['/props'], openai: [] }[kind];
    expect(s.hits.map((h) => h.path).slice(0, probes.length + 1)).toEqual([...probes, '/v1/models']);
  });

  it('a capability the detected kind lacks, called before detection, throws UnsupportedError and is then gone', async () => {
    const s = await serve(await llamaServerHandlers());
    const t = keep(createLlamaTransport({ baseUrl: s.url }));
    const error = await t.unload!('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toBe(`llama-server server at ${s.url} has no unload`);
    expect([t.kind, t.unload, t.runningModels]).toEqual(['llama-server', undefined, undefined]);
    // Only detection reached the server: nothing was sent for the unsupported call.
    expect(s.hits.map((h) => h.path)).toEqual(['/props']);
  });

  it('a capability the kind has, called before detection, is passed through with its arguments', async () => {
    const s = await serve(await llamaSwapHandlers());
    const t = keep(createLlamaTransport({ baseUrl: s.url }));
    expect(await t.applyTemplate!('a', [{ role: 'user', content: 'hi' }])).toBe('[INST] hi [/INST]');
    expect(await t.runningModels!()).toEqual(['a']);
    expect(s.hits.map((h) => h.path)).toEqual(['/running', '/upstream/a/apply-template', '/running']);
    expect(capabilitiesOf(t)).toEqual(EXPECTED['llama-swap'].capabilities);
  });

  it('an aborted call rejects with the signal’s reason, found in the options that come last', async () => {
    const s = await serve(await llamaServerHandlers());
    const t = keep(createLlamaTransport({ baseUrl: s.url }));
    const reason = new Error('not now');
    await expect(t.describe!(['m'], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(t.tokenize!('m', { endpoint: 'completion', prompt: 'p' }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('a failed detection keeps every capability and is tried again on the next call', async () => {
    const t = keep(createLlamaTransport({ baseUrl: 'http://127.0.0.1:9' }));
    await expect(t.listModels()).rejects.toBeInstanceOf(HostUnreachableError);
    expect(capabilitiesOf(t)).toEqual([...TRANSPORT_CAPABILITIES]);
    await expect(t.probeActivity!()).rejects.toBeInstanceOf(HostUnreachableError);
  });
});
