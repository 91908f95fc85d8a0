/**
 * Launcher: a registered host and a stored suite (or one edited here as JSON), then start. A busy host (409)
 * shows who or what holds it and asks before taking over.
 */
import { ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import type { ViewContext } from '../view.js';

interface HostJson {
  id: string;
  baseUrl: string;
  kind?: string;
}
interface SuiteJson {
  name: string;
  suite: Record<string, unknown>;
}

const EXAMPLE_SUITE = { name: 'quick', models: ['model-name'], promptTokens: [128], maxTokens: [32], concurrency: [1, 2], repetitions: 2 };

export async function launcherView({ api, root, go }: ViewContext): Promise<void> {
  const [hosts, suites] = await Promise.all([api.get<HostJson[]>('/hosts'), api.get<SuiteJson[]>('/suites')]);
  const hostSelect = h(
    'select',
    { name: 'host' },
    ...hosts.map((x) => h('option', { value: x.id }, `${x.id} (${x.kind ?? 'auto'}, ${x.baseUrl})`)),
  );
  const suiteSelect = h(
    'select',
    { name: 'suite' },
    ...suites.map((s) => h('option', { value: s.name }, s.name)),
    h('option', { value: '' }, '(edit below)'),
  );
  const editor = h('textarea', { name: 'suite-json', rows: 12, cols: 70, spellcheck: 'false' });
  const showSuite = () => {
    const chosen = suites.find((s) => s.name === suiteSelect.value);
    editor.value = JSON.stringify(chosen?.suite ?? EXAMPLE_SUITE, null, 2);
  };
  suiteSelect.addEventListener('change', showSuite);
  showSuite();
  const message = h('div', { class: 'launch-message', role: 'status' });
  const start = async (takeover: boolean) => {
    replace(message);
    let suite: unknown;
    try {
      suite = JSON.parse(editor.value);
    } catch (err) {
      replace(message, h('p', { class: 'error' }, `suite: not valid JSON (${(err as Error).message})`));
      return;
    }
    const stored = suites.find((s) => s.name === suiteSelect.value);
    // The stored suite by name unless it was edited here.
    const useName = stored && JSON.stringify(stored.suite) === JSON.stringify(suite);
    const body = { host: hostSelect.value, ...(useName ? { suiteName: stored.name } : { suite }), ...(takeover ? { takeover } : {}) };
    try {
      const accepted = await api.call<{ runId: string }>('POST', '/runs', body);
      go(`#/live/${accepted.runId}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) return busy(err);
      throw err;
    }
  };
  const busy = (err: ApiError) => {
    const evidence = Array.isArray(err.body.evidence) ? (err.body.evidence as string[]) : [];
    const holder = typeof err.body.holder === 'string' ? err.body.holder : undefined;
    replace(
      message,
      h(
        'div',
        { class: 'busy', 'data-busy': err.code },
        h('p', {}, h('strong', {}, `Host ${hostSelect.value} is busy (${err.code}). `), err.message),
        holder ? h('p', {}, `Held by: ${holder}`) : null,
        evidence.length ? h('ul', {}, ...evidence.map((e) => h('li', {}, e))) : null,
        // A lease is another benchmark's until it ends: only foreign traffic can be taken over.
        ...(err.code === 'HOST_BUSY'
          ? [
              h('p', {}, 'Taking over runs anyway: foreign traffic will be measured with the run and its cells marked polluted.'),
              h('button', { type: 'button', name: 'takeover', onclick: () => void start(true).catch(show) }, 'Take over and start'),
            ]
          : [h('button', { type: 'button', name: 'retry', onclick: () => void start(false).catch(show) }, 'Try again')]),
      ),
    );
  };
  const show = (err: unknown) =>
    replace(message, h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)));
  root.append(
    h('h2', {}, 'Start a run'),
    hosts.length === 0 ? h('p', { class: 'error' }, 'No host is registered: POST /hosts or `swapbench hosts add` first.') : '',
    h('label', {}, 'Host ', hostSelect),
    h('label', {}, ' Suite ', suiteSelect),
    h('div', {}, editor),
    h('button', { type: 'button', name: 'start', onclick: () => void start(false).catch(show) }, 'Start run'),
    message,
    await recentRuns(api),
  );
}

/** The last few runs, each linking to its results (or its live view while it runs). */
async function recentRuns(api: ViewContext['api']): Promise<HTMLElement> {
  const page = await api.get<{ items: { runId: string; suiteName: string; status: string; startedAt: string; hostId?: string }[] }>(
    '/runs?limit=10',
  );
  return h(
    'section',
    {},
    h('h3', {}, 'Recent runs'),
    h(
      'ul',
      { class: 'recent' },
      ...page.items.map((r) =>
        h(
          'li',
          {},
          h('a', { href: `#/${r.status === 'running' ? 'live' : 'results'}/${r.runId}` }, `${r.suiteName} on ${r.hostId ?? '?'}`),
          ` ${r.status}, ${r.startedAt}`,
        ),
      ),
    ),
  );
}
