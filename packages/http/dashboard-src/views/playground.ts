/**
 * Playground: chat with one model, or two side by side (A/B) on the same prompt. TTFT and tok/s are drawn
 * live from the arrival of each chunk in the browser; the server's own figures follow in its summary.
 */
import { h, num, replace } from '../dom.js';
import type { ViewContext } from '../view.js';

interface Lane {
  host: HTMLSelectElement;
  model: HTMLSelectElement;
  text: HTMLElement;
  figures: HTMLElement;
  panel: HTMLElement;
  startedAt: number;
  firstAt?: number | undefined;
  lastAt?: number | undefined;
  chunks: number;
}

export async function playgroundView({ api, root, signal }: ViewContext): Promise<void> {
  const hosts = await api.get<{ id: string }[]>('/hosts');
  const lane = (name: string): Lane => {
    const host = h('select', { name: `host-${name}` }, ...hosts.map((x) => h('option', { value: x.id }, x.id)));
    const model = h('select', { name: `model-${name}` });
    const text = h('pre', { class: 'lane-text', 'data-lane-text': name });
    const figures = h('p', { class: 'lane-figures', 'data-lane-figures': name }, 'TTFT — · tok/s —');
    const loadModels = async () => {
      replace(model);
      try {
        const { models } = await api.get<{ models: { id: string }[] }>(`/hosts/${encodeURIComponent(host.value)}/models`);
        replace(model, ...models.map((m) => h('option', { value: m.id }, m.id)));
        replace(text);
      } catch (err) {
        // An unreachable host (the first in the list, say) must not leave an empty model list with no word why.
        replace(text, h('span', { class: 'error', role: 'alert' }, `models of ${host.value}: ${(err as Error).message}`));
      }
    };
    host.addEventListener('change', () => void loadModels());
    const panel = h(
      'div',
      { class: 'lane' },
      h('h3', {}, `Lane ${name.toUpperCase()}`),
      h('label', {}, 'Host ', host),
      h('label', {}, ' Model ', model),
      figures,
      text,
    );
    void loadModels().then(() => {
      // Lane B starts on another model when there is one, so A/B compares something.
      if (name === 'b' && model.options.length > 1) model.selectedIndex = 1;
    });
    return { host, model, text, figures, panel, startedAt: 0, chunks: 0 };
  };
  const a = lane('a');
  const b = lane('b');
  const ab = h('input', { type: 'checkbox', name: 'ab' });
  const prompt = h('textarea', { name: 'prompt', rows: 4, cols: 70 }, 'Write a haiku about benchmarks.');
  const maxTokens = h('input', { type: 'number', name: 'max-tokens', value: 128, min: 1, max: 32768 });
  const send = h('button', { type: 'button', name: 'send' }, 'Send');
  const status = h('p', { class: 'playground-status', role: 'status' });
  const lanes = h('div', { class: 'lanes' }, a.panel);
  ab.addEventListener('change', () => (ab.checked ? lanes.append(b.panel) : b.panel.remove()));
  root.append(
    h('h2', {}, 'Playground'),
    h('label', {}, ab, ' A/B: two models side by side'),
    h('div', {}, prompt),
    h('label', {}, 'max tokens ', maxTokens),
    ' ',
    send,
    status,
    lanes,
  );

  const onChunk = (l: Lane, data: string) => {
    if (data === '[DONE]') return;
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string; reasoning_content?: string } }[] };
    const delta = chunk.choices?.[0]?.delta;
    const piece = delta?.content ?? delta?.reasoning_content;
    if (!piece) return;
    const now = performance.now();
    l.firstAt ??= now;
    l.lastAt = now;
    l.chunks++;
    l.text.textContent += piece;
    drawFigures(l);
  };
  const drawFigures = (l: Lane, server?: { serverGenTps?: number | null; tokens?: number }) => {
    const ttft = l.firstAt === undefined ? null : l.firstAt - l.startedAt;
    const span = l.firstAt !== undefined && l.lastAt !== undefined ? l.lastAt - l.firstAt : 0;
    const tps = l.chunks > 1 && span > 0 ? ((l.chunks - 1) * 1000) / span : null;
    replace(
      l.figures,
      `TTFT ${num(ttft, 0)} ms · ${num(tps)} tok/s · ${l.chunks} tokens`,
      server ? ` · server ${num(server.serverGenTps ?? null)} tok/s` : '',
    );
  };
  send.addEventListener('click', async () => {
    const active = ab.checked ? [a, b] : [a];
    for (const l of active) {
      Object.assign(l, { startedAt: performance.now(), firstAt: undefined, lastAt: undefined, chunks: 0 });
      replace(l.text);
    }
    send.disabled = true;
    replace(status, 'streaming…');
    const messages = [{ role: 'user', content: prompt.value }];
    const common = { messages, maxTokens: Number(maxTokens.value) || 128 };
    const body = ab.checked
      ? { lanes: active.map((l) => ({ host: l.host.value, model: l.model.value })), ...common }
      : { host: a.host.value, model: a.model.value, ...common };
    try {
      await api.stream(
        'POST',
        ab.checked ? '/playground/chat-ab' : '/playground/chat',
        (event) => {
          if (event.event === 'summary') {
            const s = JSON.parse(event.data) as { lanes?: Record<string, { serverGenTps: number | null }>; serverGenTps?: number | null };
            if (s.lanes) for (const [name, f] of Object.entries(s.lanes)) drawFigures(name === 'a' ? a : b, f);
            else drawFigures(a, s);
          } else if (event.event === 'error') replace(status, h('span', { class: 'error' }, JSON.parse(event.data).message));
          else onChunk(event.event === 'b' ? b : a, event.data);
        },
        { body, signal },
      );
      if (!status.querySelector('.error')) replace(status, 'done');
    } catch (err) {
      replace(status, h('span', { class: 'error', role: 'alert' }, (err as Error).message));
    } finally {
      send.disabled = false;
    }
  });
}
