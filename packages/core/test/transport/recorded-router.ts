/**
 * A loopback llama-server in router mode, answering from msw handlers with the bodies recorded from the real
 * b10470 router (`test/fixtures/llama-router`): `/props` with `role: "router"`, `/models` with each model's
 * state, `?model=` routes for the loaded one, load and unload. Calls to `/models/unload` are counted.
 */
import { readFile } from 'node:fs/promises';
import { http, HttpResponse, type RequestHandler } from 'msw';
import { FINISHED, json } from './recorded-servers.js';
import { SSE_HEADERS } from './msw-loopback.js';

const routerFixture = (name: string) => readFile(new URL(`../fixtures/llama-router/${name}`, import.meta.url), 'utf8');

/** The loaded model of the recording. */
export const ROUTER_LOADED = 'tiny-llama-spm-f16';

/** Handlers of a router whose loaded model unloads on `POST /models/unload`; `unloads` records the asks. */
export async function llamaRouterHandlers(unloads: string[] = []): Promise<RequestHandler[]> {
  const [props, propsModel, modelsText] = await Promise.all(['props.json', 'props-model.json', 'models.json'].map(routerFixture));
  const models = JSON.parse(modelsText!) as { data: { id: string; status: { value: string } }[] };
  return [
    http.get('*/props', ({ request }) => {
      const model = new URL(request.url).searchParams.get('model');
      if (!model) return json(props!);
      return model === ROUTER_LOADED ? json(propsModel!) : json('{"error":{"code":400,"message":"model is not loaded"}}', 400);
    }),
    http.get('*/models', () => HttpResponse.json(models)),
    http.get('*/v1/models', () => HttpResponse.json(models)),
    http.get('*/slots', ({ request }) =>
      new URL(request.url).searchParams.get('model') === ROUTER_LOADED
        ? HttpResponse.json([{ id: 0, n_ctx: 2048, speculative: false, is_processing: true }])
        : json('{"error":{"code":400,"message":"model is not loaded"}}', 400),
    ),
    http.post('*/models/unload', async ({ request }) => {
      const { model } = (await request.json()) as { model: string };
      unloads.push(model);
      for (const m of models.data) if (m.id === model) m.status.value = 'unloaded';
      return HttpResponse.json({ success: true });
    }),
    http.post('*/tokenize', async ({ request }) => {
      const { model, content } = (await request.json()) as { model?: string; content: string };
      if (!model) return json('{"error":{"code":400,"message":"model name is missing from the request"}}', 400);
      return HttpResponse.json({ tokens: [1, ...content.split(' ').map((_, i) => 100 + i)] });
    }),
    http.post('*/apply-template', async ({ request }) => {
      const { model, messages } = (await request.json()) as { model?: string; messages: { content: string }[] };
      if (!model) return json('{"error":{"code":400,"message":"model name is missing from the request"}}', 400);
      return HttpResponse.json({ prompt: `<|im_start|>user\n${messages.map((m) => m.content).join(' ')}<|im_end|>\n` });
    }),
    http.post('*/v1/chat/completions', () => new HttpResponse(FINISHED, { headers: SSE_HEADERS })),
  ];
}
