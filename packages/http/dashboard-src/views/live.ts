/**
 * Live run: the run's SSE feed drawn as it arrives — current cell, requests done of total, ETA, live tok/s,
 * errors — with a cancel button. A dropped stream reconnects with Last-Event-ID, so nothing is counted twice.
 * When the run is done, the Results view takes over.
 */
import type { BenchEvent, CellKey } from '@swapbench/core';
import { h, num, replace } from '../dom.js';
import type { ViewContext } from '../view.js';

type FeedEvent =
  | BenchEvent
  | { seq: number; type: 'run-error'; error: { code: string; message: string } }
  // A run this server did not start (a CLI run on the same store): only what is stored so far.
  | { seq?: undefined; type: 'run-status'; result: { status: string } };

const cellName = (c: CellKey) => `${c.model} pp${c.promptTokens} tg${c.maxTokens} c${c.concurrency}`;

export async function liveView({ api, root, signal, go }: ViewContext, runId: string): Promise<void> {
  const status = h('p', { class: 'live-status', 'data-status': 'running' }, 'connecting…');
  const cell = h('p', { class: 'live-cell' });
  const progress = h('progress', { max: 1, value: 0 });
  const counts = h('p', { class: 'live-counts' });
  const tps = h('p', { class: 'live-tps' });
  const errors = h('ul', { class: 'errors' });
  const cancel = h('button', { type: 'button', name: 'cancel' }, 'Cancel run');
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    api
      .call('POST', `/runs/${encodeURIComponent(runId)}/cancel`)
      .catch((err: Error) => errors.append(h('li', {}, `cancel: ${err.message}`)));
  });
  root.append(h('h2', {}, `Run ${runId.slice(0, 8)}`), status, cell, progress, counts, tps, cancel, h('h3', {}, 'Errors'), errors);

  let total = 0;
  let done = 0;
  let failed = 0;
  let firstAt: number | undefined;
  const recent: number[] = [];
  let lastId: string | undefined;
  let finished = false;
  const draw = () => {
    progress.max = Math.max(total, 1);
    progress.value = done;
    const elapsed = firstAt === undefined ? 0 : (performance.now() - firstAt) / 1000;
    const eta = done > 0 && total > done ? (elapsed / done) * (total - done) : 0;
    replace(counts, `${done} / ${total} requests, ${failed} failed`, total > done && done > 0 ? `, ETA ${num(eta, 0)} s` : '');
    const mean = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : null;
    replace(tps, `live gen tok/s (last ${recent.length} requests): `, h('strong', {}, num(mean)));
  };
  const onEvent = (event: FeedEvent) => {
    switch (event.type) {
      case 'run-start':
        total = event.requests;
        firstAt ??= performance.now();
        replace(status, `running ${event.suite.name}: ${event.cells} cells`);
        break;
      case 'cell-start':
        replace(cell, `cell ${event.index + 1}/${event.total}: ${cellName(event.cell)}`);
        break;
      case 'sample':
        if (event.sample.phase !== 'measured') break;
        done++;
        if (!event.sample.ok) {
          failed++;
          const e = event.sample.error;
          errors.append(
            h('li', {}, `${cellName(event.sample)}: ${e?.code ?? 'ERROR'}${e?.status ? ` (HTTP ${e.status})` : ''} ${e?.message ?? ''}`),
          );
        } else if (event.sample.genTps !== undefined) {
          recent.push(event.sample.genTps);
          if (recent.length > 20) recent.shift();
        }
        break;
      case 'warning':
        errors.append(h('li', { class: 'warning' }, event.message));
        break;
      case 'run-done':
        finished = true;
        status.dataset.status = event.result.status;
        replace(status, `run ${event.result.status}`);
        break;
      case 'run-status':
        finished = true;
        status.dataset.status = event.result.status;
        replace(status, `run ${event.result.status} in another process: its results so far`);
        break;
      case 'run-error':
        finished = true;
        status.dataset.status = 'error';
        replace(status, h('span', { class: 'error' }, `run failed: ${event.error.code}: ${event.error.message}`));
        break;
    }
    draw();
  };
  for (let attempt = 0; !finished && !signal.aborted && attempt < 5; attempt++) {
    try {
      await api.stream(
        'GET',
        `/runs/${encodeURIComponent(runId)}/events`,
        (message) => {
          attempt = 0;
          if (message.id) lastId = message.id;
          onEvent(JSON.parse(message.data) as FeedEvent);
        },
        { signal, ...(lastId ? { lastEventId: lastId } : {}) },
      );
    } catch (err) {
      if (signal.aborted) return;
      if ((err as { status?: number }).status) throw err;
    }
    // The stream dropped before the run ended: try again in a second, from the last event seen.
    if (!finished && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (signal.aborted) return;
  cancel.disabled = true;
  if (finished && status.dataset.status !== 'error') go(`#/results/${runId}`);
}
