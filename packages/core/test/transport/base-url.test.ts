/**
 * The factories check their options before opening anything: credentials in the base URL are refused (they
 * would be silently dropped, never sent), an unparsable URL or a bad timeout is a ConfigError naming the
 * option. What the transport shows of its URL (`baseUrl`, `describe`, messages) is redacted; the requests
 * still go to the real one.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, UnsupportedError } from '../../src/errors/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { connectLlamaTransport, createLlamaTransport, type LlamaTransportOptions } from '../../src/transport/llama/index.js';
import { closeAfterEach } from './helpers.js';

const keep = closeAfterEach();

/** The ConfigError the factories give for `options` (create throws it, connect rejects with it). */
async function refusal(options: LlamaTransportOptions): Promise<ConfigError> {
  let created: unknown;
  try {
    keep(createLlamaTransport(options));
  } catch (err) {
    created = err;
  }
  const connected = await connectLlamaTransport(options).then(keep, (e: unknown) => e);
  expect(created).toBeInstanceOf(ConfigError);
  expect(connected).toBeInstanceOf(ConfigError);
  expect((connected as Error).message).toBe((created as Error).message);
  return created as ConfigError;
}

describe('base URL', () => {
  it('with credentials: ConfigError on baseUrl suggesting apiKey, the password never shown', async () => {
    const error = await refusal({ baseUrl: 'http://bench:s3cret@127.0.0.1:8080/v1' });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('baseUrl');
    expect(error.message).toContain('apiKey');
    expect(error.message).toContain('http://***@127.0.0.1:8080/v1');
    expect(error.message).not.toContain('s3cret');
    expect((await refusal({ baseUrl: 'https://token@example.com' })).issues[0]!.path).toBe('baseUrl');
  });

  it('unparsable, missing, or not http(s): ConfigError naming baseUrl', async () => {
    for (const baseUrl of ['http://[::1', 'not a url', '', 'ftp://127.0.0.1:21']) {
      const error = await refusal({ baseUrl });
      expect(error.issues.map((i) => i.path)).toEqual(['baseUrl']);
    }
    expect((await refusal({ baseUrl: 'ftp://127.0.0.1:21' })).message).toContain('http:// or https://');
  });

  it('every problem at once: bad timeouts and pool size name their option', async () => {
    const error = await refusal({ baseUrl: 'http://127.0.0.1:8080', callTimeoutMs: 0, headersTimeoutMs: Number.NaN, connections: 1.5 });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['callTimeoutMs', 'connections', 'headersTimeoutMs']);
  });

  it('an API key an HTTP header cannot carry is refused without being shown', async () => {
    const error = await refusal({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'sk-abc\n' });
    expect(error.issues.map((i) => i.path)).toEqual(['apiKey']);
    expect(error.message).not.toContain('sk-abc');
  });
});

describe('the URL the transport shows', () => {
  it('a query (which would be dropped, never sent) is refused, and the refusal shows it redacted', () => {
    const error = (() => {
      try {
        createLlamaTransport({ baseUrl: 'http://127.0.0.1:9/v1?key=abc123' });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'baseUrl', message: expect.stringContaining('"http://127.0.0.1:9/v1?key=***" has a query') },
    ]);
    expect((error as Error).message).not.toContain('abc123');
  });

  it('baseUrl, describe and messages name the server by the URL given; requests reach it', async () => {
    const sim = keep(await startSimulator({ mode: 'llama-server', models: [{ name: 'm', loadMs: 0 }] }));
    const baseUrl = `${sim.url}/v1`;
    const transport = keep(createLlamaTransport({ baseUrl }));
    // Taken before detection removes it: the kind turns out to be llama-server, which cannot unload.
    const unload = transport.unload!;
    expect(transport.baseUrl).toBe(baseUrl);
    expect((await transport.describe!(['m'])).baseUrl).toBe(baseUrl);
    expect((await transport.listModels()).map((m) => m.id)).toEqual(['m']);
    const error = await unload('m').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain(baseUrl);
    const connected = keep(await connectLlamaTransport({ baseUrl }));
    expect([connected.kind, connected.baseUrl]).toEqual(['llama-server', baseUrl]);
  });
});

describe('connections', () => {
  it('says how many streams it can have on the wire: the limit given, none by default or with an injected dispatcher', async () => {
    const { MockAgent } = await import('undici');
    const url = 'http://127.0.0.1:9';
    const cases: [LlamaTransportOptions, number | undefined][] = [
      [{ baseUrl: url, kind: 'llama-server', connections: 3 }, 3],
      [{ baseUrl: url, kind: 'llama-swap' }, undefined],
      [{ baseUrl: url, connections: 5 }, 5],
      [{ baseUrl: url, kind: 'openai', dispatcher: new MockAgent() }, undefined],
    ];
    for (const [options, connections] of cases) {
      const transport = createLlamaTransport(options);
      expect(transport.connections).toBe(connections);
      await transport.close();
    }
  });
});
