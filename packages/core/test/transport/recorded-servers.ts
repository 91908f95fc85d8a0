/**
 * Loopback servers shaped like llama-server and llama-swap, answering from msw handlers with the recorded
 * bodies in `test/fixtures/llama-server` (props, models, slots, metrics) and a fake template and tokenizer.
 */
import { http, HttpResponse, type RequestHandler } from 'msw';
import { fixtureText } from './helpers.js';
import { SSE_HEADERS } from './msw-loopback.js';

/** A JSON answer with the given status, as llama-server sends it. */
export const json = (text: string, status = 200) =>
  new HttpResponse(text, { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

/** A finished OAI chat stream with no content. */
export const FINISHED =
  'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"finish_reason":"length","delta":{}}]}\n\ndata: [DONE]\n\n';
/** A finished native `/completion` stream with no content. */
export const NATIVE_FINISHED = 'data: {"index":0,"content":"","stop":true,"stop_type":"limit"}\n\n';

/** A llama-server: recorded /props, /v1/models, /slots, /metrics; a fake template and tokenizer. */
export async function llamaServerHandlers(): Promise<RequestHandler[]> {
  const [props, models, slots, metrics] = await Promise.all(
    ['07_props.json', '07_v1_models.json', '07_slots_after_requests.json', '07_metrics.txt'].map(fixtureText),
  );
  return [
    http.get('*/props', () => json(props!)),
    http.get('*/v1/models', () => json(models!)),
    http.get('*/slots', () => json(slots!)),
    http.get('*/metrics', () => new HttpResponse(metrics!, { headers: { 'content-type': 'text/plain; version=0.0.4' } })),
    http.post('*/apply-template', async ({ request }) => {
      const { messages } = (await request.json()) as { messages: { content: string }[] };
      return HttpResponse.json({ prompt: `[INST] ${messages.map((m) => m.content).join(' ')} [/INST]` });
    }),
    http.post('*/tokenize', async ({ request }) => {
      const { content, add_special } = (await request.json()) as { content: string; add_special: boolean };
      const words = content.split(' ').map((_, i) => 100 + i);
      return HttpResponse.json({ tokens: add_special ? [1, ...words] : words });
    }),
    http.post('*/v1/chat/completions', () => new HttpResponse(FINISHED, { headers: SSE_HEADERS })),
    http.post('*/completion', () => new HttpResponse(NATIVE_FINISHED, { headers: SSE_HEADERS })),
  ];
}

/** A llama-swap with models a (ready), b (starting) and org/c (not loaded); `/v1/models` without status. */
export async function llamaSwapHandlers(): Promise<RequestHandler[]> {
  const props = await fixtureText('07_props.json');
  return [
    http.get('*/running', () =>
      HttpResponse.json({
        running: [
          { model: 'a', state: 'ready' },
          { model: 'b', state: 'starting' },
        ],
      }),
    ),
    http.get('*/v1/models', () => HttpResponse.json({ object: 'list', data: [{ id: 'a' }, { id: 'b' }, { id: 'org/c' }] })),
    http.get('*/upstream/a/props', () => json(props)),
    http.get('*/upstream/a/slots', () =>
      HttpResponse.json([
        { id: 0, is_processing: false },
        { id: 1, is_processing: true },
      ]),
    ),
    http.post('*/upstream/a/apply-template', () => HttpResponse.json({ prompt: '[INST] hi [/INST]' })),
    http.post('*/upstream/a/tokenize', () => HttpResponse.json({ tokens: [1, 2, 3, 4] })),
    http.post('*/api/models/unload/org/c', () => new HttpResponse('OK')),
    http.post('*/api/models/unload/*', () => json('{"src":"llama-swap","error":"model not found"}', 404)),
    http.post('*/v1/chat/completions', async ({ request }) => {
      const { model } = (await request.json()) as { model: string };
      if (model === 'nope') return json('{"src":"llama-swap","error":"no router for requested model"}', 404);
      return new HttpResponse(FINISHED, { headers: SSE_HEADERS });
    }),
  ];
}
