/**
 * WAL checkpoints on a worker thread. SQLite copies its log into the database file (and fsyncs both) in
 * whichever connection commits past 1,000 pages; on the engine's thread that is a 20-130 ms stall every few
 * thousand samples, while streams are in flight and their token arrivals wait behind it. A connection of its
 * own on a worker thread checkpoints instead (PASSIVE: it never blocks a writer), and the store's connection
 * stops checkpointing: appends measured 2 times faster with a p99 of 3 ms instead of 20 ms
 * (bench/store-insert.ts). Started when the store first creates a run or appends samples, so short-lived
 * readers (the CLI listing runs) start no thread.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints, ms. */
const EVERY_MS = 200;

// CommonJS, evaluated in the worker: a file of its own would need its own bundle entry.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.file);
const checkpoint = () => {
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or gone: the next round tries again, and the last connection to close checkpoints anyway.
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Start the worker if it is not running (idempotent). */
  start(): void;
  /** Stop the worker after one last checkpoint; the store's connection checkpoints again by itself. */
  stop(): Promise<void>;
}

export function createCheckpointer(db: DatabaseSync, file: string): Checkpointer {
  let worker: { thread: Worker; exited: Promise<unknown> } | undefined;
  return {
    start() {
      if (worker) return;
      let thread: Worker;
      try {
        thread = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { file, everyMs: EVERY_MS },
          // Each thread warns once that node:sqlite is experimental (Node 22.13–22.x): not the user's business here.
          execArgv: [...process.execArgv, '--disable-warning=ExperimentalWarning'],
        });
      } catch {
        // No worker threads here: the connection keeps checkpointing by itself, as SQLite does.
        return;
      }
      // A store left open must not keep the process alive.
      thread.unref();
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      thread.once('error', () => {
        // The worker failed (it could not open the file?): checkpoint on this connection again.
        if (db.isOpen) db.exec('PRAGMA wal_autocheckpoint = 1000');
      });
      db.exec('PRAGMA wal_autocheckpoint = 0');
      worker = { thread, exited };
    },
    async stop() {
      const running = worker;
      worker = undefined;
      if (!running) return;
      // Held by the worker again until it is done, or the process could exit under the awaiting caller.
      running.thread.ref();
      running.thread.postMessage('stop');
      await running.exited;
    },
  };
}
