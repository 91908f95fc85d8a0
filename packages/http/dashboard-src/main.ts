/**
 * The dashboard: a hash router over five views (Launcher, Live run, Results, History, Playground). A 401 from
 * any call shows the token form; the token is kept for the browser tab (sessionStorage) and sent as a bearer
 * header.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Api, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { historyView } from './views/history.js';
import { launcherView } from './views/launcher.js';
import { liveView } from './views/live.js';
import { playgroundView } from './views/playground.js';
import { resultsView } from './views/results.js';
import type { ViewContext } from './view.js';

const base = document.querySelector<HTMLMetaElement>('meta[name="swapbench-api"]')?.content ?? '/api/bench';
const api = new Api(base);
const nav: [string, string][] = [
  ['#/launcher', 'Launcher'],
  ['#/history', 'History'],
  ['#/playground', 'Playground'],
];
const main = h('main', { id: 'view' });
const navEl = h('nav', {}, h('strong', {}, 'swapbench'), ...nav.map(([href, label]) => h('a', { href }, label)));
document.body.append(navEl, main);
let leaving = new AbortController();

async function route(): Promise<void> {
  leaving.abort();
  leaving = new AbortController();
  const signal = leaving.signal;
  const [, view = 'launcher', arg = ''] = location.hash.split('/');
  for (const a of navEl.querySelectorAll('a')) a.classList.toggle('active', a.getAttribute('href') === `#/${view}`);
  // Each view draws into a container of its own: one the user left is detached, so a late answer to it
  // draws nowhere visible.
  const root = h('div', { class: `view-${view}` });
  replace(main, root);
  const ctx: ViewContext = {
    api,
    root,
    signal,
    go: (hash) => {
      location.hash = hash;
    },
  };
  try {
    if (view === 'live') await liveView(ctx, decodeURIComponent(arg));
    else if (view === 'results') await resultsView(ctx, decodeURIComponent(arg));
    else if (view === 'history') await historyView(ctx);
    else if (view === 'playground') await playgroundView(ctx);
    else await launcherView(ctx);
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) return tokenForm(err.message);
    root.append(h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)));
  }
}

/** Ask for the bearer token, then show the view again. */
function tokenForm(reason: string): void {
  const input = h('input', { type: 'password', name: 'token', placeholder: 'bearer token', autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'token-form' },
    h('p', {}, `This server needs a token (${reason}).`),
    input,
    h('button', { type: 'submit' }, 'Use token'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api.token = input.value.trim() || null;
    void route();
  });
  replace(main, form);
}

window.addEventListener('hashchange', () => void route());
void route();
