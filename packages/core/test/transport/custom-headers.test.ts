/** `headers`: sent with every request (calls and streams, both transports); ours win; bad ones are refused up front. */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { createOllamaTransport } from '../../src/transport/ollama/index.js';
import { chatRequest, chunk, closeAfterEach, sse } from './helpers.js';
import { startMswServer } from './msw-loopback.js';

const keep = closeAfterEach();

/** What each request carried: path, the proxy header, content type and authorization. */
type Seen = { path: string; proxy: string | null; type: string | null; auth: string | null };

const record = (seen: Seen[], request: Request) =>
  seen.push({
    path: new URL(request.url).pathname,
    proxy: request.headers.get('x-proxy-token'),
    type: request.headers.get('content-type'),
    auth: request.headers.get('authorization'),
  });

describe('custom headers', () => {
  it('go with every call and stream of an OpenAI-compatible server; content type and the API key stay ours', async () => {
    const seen: Seen[] = [];
    const s = keep(
      await startMswServer([
        http.get('*/v1/models', ({ request }) => {
          record(seen, request);
          return HttpResponse.json({ data: [{ id: 'm' }] });
        }),
        http.post('*/v1/chat/completions', ({ request }) => {
          record(seen, request);
          return new HttpResponse(sse(chunk({ content: 'a' }), chunk({}, 'length'), '[DONE]'), {
            headers: { 'content-type': 'text/event-stream' },
          });
        }),
      ]),
    );
    const t = keep(
      createLlamaTransport({
        baseUrl: s.url,
        kind: 'openai',
        apiKey: 'sk-ours',
        headers: { 'X-Proxy-Token': 'p1', 'Content-Type': 'text/plain', Authorization: 'Basic theirs' },
      }),
    );
    await t.listModels();
    for await (const _ of t.stream(chatRequest())) {
      // drain
    }
    expect(seen).toEqual([
      // A GET has no body of ours to describe: the user's content type goes as given.
      { path: '/v1/models', proxy: 'p1', type: 'text/plain', auth: 'Bearer sk-ours' },
      { path: '/v1/chat/completions', proxy: 'p1', type: 'application/json', auth: 'Bearer sk-ours' },
    ]);
  });

  it('go with the Ollama transport’s requests too', async () => {
    const seen: Seen[] = [];
    const s = keep(
      await startMswServer([
        http.get('*/api/tags', ({ request }) => {
          record(seen, request);
          return HttpResponse.json({ models: [{ name: 'm' }] });
        }),
        http.get('*/api/ps', ({ request }) => {
          record(seen, request);
          return HttpResponse.json({ models: [] });
        }),
      ]),
    );
    const t = keep(createOllamaTransport({ baseUrl: s.url, headers: { 'x-proxy-token': 'p2' } }));
    expect(await t.listModels()).toMatchObject([{ id: 'm', loaded: false }]);
    expect(seen.map((r) => [r.path, r.proxy])).toEqual([
      ['/api/tags', 'p2'],
      ['/api/ps', 'p2'],
    ]);
  });

  it('a header that cannot be sent is a ConfigError naming it, before anything is opened', () => {
    const bad = () =>
      createLlamaTransport({ baseUrl: 'http://127.0.0.1:9', headers: { 'X-Ok': 'a', 'Bad Name': 'b', 'X-Split': 'a\r\nb' } });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/headers\.Bad Name: is not a valid header name/);
    expect(bad).toThrow(/headers\.X-Split: must not contain a line break/);
  });
});
