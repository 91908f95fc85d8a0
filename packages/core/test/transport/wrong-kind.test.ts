/** A `kind` given that the server is not: its own routes' 404s say so, and how to detect the server instead. */
import { describe, expect, it } from 'vitest';
import { HttpStatusError, ModelNotFoundError } from '../../src/errors/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { closeAfterEach } from './helpers.js';

const keep = closeAfterEach();
const models = [
  { name: 'a', genTps: 2000, ttftMs: 1, loadMs: 30, slots: 2 },
  { name: 'b', genTps: 2000, ttftMs: 1, loadMs: 30 },
];

describe('llama transport given a kind the server is not', () => {
  const hint = (route: string, kind: string) =>
    `(the server does not answer ${route}, which ${kind} does, so it may not be ${kind}: --kind auto (the default) detects what it is)`;

  it('llama-swap’s own routes on a plain llama-server: HTTP_STATUS 404 saying it may not be llama-swap', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models }));
    const transport = keep(createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap' }));
    const running = await transport.runningModels!().catch((e: unknown) => e);
    expect(running).toBeInstanceOf(HttpStatusError);
    expect(running).toMatchObject({ code: 'HTTP_STATUS', status: 404, url: `${sim.url}/running` });
    expect((running as Error).message).toBe(`HTTP 404 from ${sim.url}/running: File Not Found ${hint('/running', 'llama-swap')}`);
    await expect(transport.unload!('a')).rejects.toThrow(hint('/api/models/unload/a', 'llama-swap'));
    await expect(transport.tokenize!('a', { endpoint: 'completion', prompt: 'hi' })).rejects.toThrow(
      hint('/upstream/a/tokenize', 'llama-swap'),
    );
  });

  it('a llama-server’s routes on llama-swap, and Ollama’s on a llama-server, say so too', async () => {
    const swap = keep(await startSimulator({ mode: 'llama-swap', models }));
    const llama = keep(createLlamaTransport({ baseUrl: swap.url, kind: 'llama-server' }));
    await expect(llama.tokenize!('a', { endpoint: 'completion', prompt: 'hi' })).rejects.toThrow(
      `HTTP 404 from ${swap.url}/tokenize: 404 page not found ${hint('/tokenize', 'a llama-server')}`,
    );
    const server = keep(await startSimulator({ mode: 'llama-server', models }));
    const ollama = keep(createLlamaTransport({ baseUrl: server.url, kind: 'ollama' }));
    await expect(ollama.listModels()).rejects.toThrow(hint('/api/tags', 'Ollama'));
  });

  it('a model the server does not have stays ModelNotFoundError, without the hint', async () => {
    const swap = keep(await startSimulator({ mode: 'llama-swap', models }));
    const transport = keep(createLlamaTransport({ baseUrl: swap.url, kind: 'llama-swap' }));
    const error = await transport.unload!('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as Error).message).not.toContain('--kind');
  });
});
