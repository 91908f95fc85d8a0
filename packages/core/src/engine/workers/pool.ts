import { channel } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../../errors/errors.js';
import type { FromWorker, ToWorker } from './protocol.js';

/**
 * A `node:diagnostics_channel` channel that hears of every engine worker thread as it starts
 * (`{ worker, index }`): for tests and tools that watch or kill one; nothing in the engine listens.
 */
export const WORKER_CHANNEL = 'swapbench:engine-worker';
const started = channel(WORKER_CHANNEL);

/** A live worker thread of the pool, and the hooks of the cell that runs on it now. */
export interface EngineWorker {
  readonly index: number;
  readonly thread: Worker;
  /** False once the thread has exited. */
  alive: boolean;
  post(message: ToWorker): void;
  /** The current cell's message handler. */
  onMessage: ((message: FromWorker) => void) | undefined;
  /** The current cell's handler of the thread's death (it then leaves the pool). */
  onExit: ((why: string) => void) | undefined;
}

/** Worker threads kept for a whole run (starting one costs tens of ms), started as cells need them. */
export interface WorkerPool {
  /** `count` live workers, started and initialized as needed. Rejects with ConfigError when one cannot start its transport. */
  take(count: number): Promise<EngineWorker[]>;
  /** Pass the run's abort to every worker: their requests in flight are cancelled. */
  abort(reason: string): void;
  /** Stop every worker (the run is over). */
  close(): Promise<void>;
}

/** Longest wait for a worker to close its transport and exit before it is terminated, ms. */
const CLOSE_GRACE_MS = 2000;

export function createWorkerPool(init: Extract<ToWorker, { type: 'init' }>): WorkerPool {
  const live: EngineWorker[] = [];
  let spawned = 0;
  let aborted: string | undefined;

  const spawn = (): Promise<EngineWorker> => {
    const thread = new Worker(workerEntry());
    const worker: EngineWorker = {
      index: spawned++,
      thread,
      alive: true,
      post: (m) => thread.postMessage(m),
      onMessage: undefined,
      onExit: undefined,
    };
    started.publish({ worker: thread, index: worker.index });
    let error: string | undefined;
    return new Promise((resolve, reject) => {
      thread.on('error', (err) => (error = err.message));
      thread.on('exit', (code) => {
        worker.alive = false;
        const at = live.indexOf(worker);
        if (at >= 0) live.splice(at, 1);
        const why = `worker thread ${worker.index} exited (code ${code}${error ? `: ${error}` : ''})`;
        reject(new ConfigError([{ path: 'workerTransport', message: why }]));
        worker.onExit?.(why);
      });
      thread.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          live.push(worker);
          if (aborted !== undefined) worker.post({ type: 'abort', reason: aborted });
          resolve(worker);
        } else if (m.type === 'init-failed') {
          reject(new ConfigError([{ path: 'workerTransport', message: m.message }]));
          void thread.terminate();
        } else worker.onMessage?.(m);
      });
      thread.postMessage(init);
    });
  };

  return {
    async take(count) {
      const more = Math.max(0, count - live.length);
      await Promise.all(Array.from({ length: more }, spawn));
      return live.slice(0, count);
    },
    abort(reason) {
      aborted = reason;
      for (const w of live) w.post({ type: 'abort', reason });
    },
    async close() {
      await Promise.all(
        live.map(async (w) => {
          w.onExit = undefined;
          const exited = new Promise((resolve) => w.thread.once('exit', resolve));
          w.post({ type: 'close' });
          const timer = setTimeout(() => void w.thread.terminate(), CLOSE_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

/**
 * The worker's script. Built: `engine-worker.js` beside this chunk in `dist/`. From the sources (the test
 * runner), the built copy: build before running the worker tests.
 */
function workerEntry(): URL {
  const beside = new URL('./engine-worker.js', import.meta.url);
  return existsSync(beside) ? beside : new URL('../../../dist/engine-worker.js', import.meta.url);
}
