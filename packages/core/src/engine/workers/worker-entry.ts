/**
 * An engine worker thread (issue #21): its own transport, built from plain options, sends its share of a
 * cell's requests (sliding-window lanes taking the next index from a counter shared by every worker) and
 * measures each with the same `sendRequest` as the main thread, stamping on the main thread's clock. Every
 * sample goes to the main thread, which numbers, stores, emits and aggregates it as for its own.
 */
import { parentPort } from 'node:worker_threads';
import { createLlamaTransport } from '../../transport/llama/llama-transport.js';
import type { Transport } from '../../transport/transport.js';
import { errorMessage } from '../../util/error-message.js';
import { watchEventLoop } from '../client-health.js';
import { pickPrompt } from '../load/prompt-set.js';
import { nonce } from '../prompts.js';
import type { RunContext, SampleInput } from '../run-context.js';
import { sendRequest } from '../send-request.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { mainThreadClock } from './worker-clock.js';

type Init = Extract<ToWorker, { type: 'init' }>;
type Cell = Extract<ToWorker, { type: 'cell' }>;

const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);
// The run's abort: requests in flight are cancelled (stored `CANCELLED` by the main thread, as on it).
const run = new AbortController();
let init: Init | undefined;
let transport: Transport | undefined;
let clock: () => number = () => performance.now();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      try {
        init = message;
        clock = mainThreadClock(message.mainOrigin, message.clockOffsetMs);
        // Each worker reserves its own lanes' connections: no limit of its own beyond that.
        const { connections: _limit, ...options } = message.transport;
        transport = createLlamaTransport({ ...options, clock });
        post({ type: 'ready' });
      } catch (err) {
        post({ type: 'init-failed', message: errorMessage(err) });
      }
      break;
    case 'reserve':
      void (transport!.reserveConnections?.(message.lanes, { signal: run.signal }) ?? Promise.resolve())
        .catch(() => {})
        .then(() => post({ type: 'reserved' }));
      break;
    case 'cell':
      void runCell(message);
      break;
    case 'abort':
      run.abort(new Error(message.reason));
      break;
    case 'close':
      void (transport?.close() ?? Promise.resolve()).finally(() => port.close());
      break;
  }
});

async function runCell(cell: Cell): Promise<void> {
  const { suite, runId, timelines, promptSet } = init!;
  const t = transport!;
  const counter = new Int32Array(cell.counter);
  const loop = watchEventLoop();
  const lane = async (): Promise<void> => {
    for (;;) {
      const index = Atomics.add(counter, 0, 1);
      if (index >= cell.total || run.signal.aborted) return;
      const requestId = `${runId}-${cell.requestBase + index}`;
      const size = cell.sizes?.[index];
      const entry = promptSet && pickPrompt(promptSet, suite.prompts!.order, suite.seed, index);
      // What `sendRequest` reads of a run context; numbering, storing and emitting stay on the main thread.
      const ctx = {
        suite,
        transport: t,
        clock,
        signal: run.signal,
        timelines,
        nextNonce: () => nonce(cell.nonceBase + index),
        nextRequestId: () => requestId,
        ours: {
          begin: () => post({ type: 'begin', cellId: cell.cellId, index, requestId, startedAt: new Date().toISOString() }),
          end() {},
        },
        record: (sample: SampleInput) => {
          post({ type: 'sample', cellId: cell.cellId, index, sample, completedAt: clock() });
          return sample;
        },
      } as unknown as RunContext;
      const sample = await sendRequest(ctx, {
        phase: 'measured',
        cell: cell.cell,
        plan: cell.plan,
        ...(size === undefined ? {} : { promptTokens: size }),
        ...(entry ? { text: entry.prompt, maxTokens: entry.maxTokens } : {}),
      });
      if (!sample) post({ type: 'dropped', cellId: cell.cellId, index });
    }
  };
  try {
    await Promise.all(Array.from({ length: cell.lanes }, lane));
  } catch (err) {
    post({ type: 'cell-failed', cellId: cell.cellId, message: errorMessage(err) });
  } finally {
    const delay = loop.stop();
    t.reserveConnections?.(0).catch(() => {});
    post({ type: 'cell-done', cellId: cell.cellId, loop: delay });
  }
}
