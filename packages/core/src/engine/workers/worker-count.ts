import { availableParallelism } from 'node:os';
import type { Suite } from '../../suite/schema.js';

/**
 * Streams one worker thread is given under `workers: auto`. One event loop stamps 256 streams of 1 ms gaps
 * late by tens of ms at p99 (issue #21), 64 within a few: 128 keeps each thread well inside what it times
 * honestly while not starting a thread for a handful of streams.
 */
export const STREAMS_PER_WORKER = 128;

/**
 * Worker threads for a closed-loop cell of `concurrency` streams: 1 means the main thread alone (today's
 * path). Never more threads than streams; `auto` leaves one core to the main thread, which merges.
 */
export function workersForCell(setting: Suite['workers'], concurrency: number, cores = availableParallelism()): number {
  if (setting === 'auto') return Math.max(1, Math.min(Math.ceil(concurrency / STREAMS_PER_WORKER), cores - 1));
  return Math.max(1, Math.min(setting, concurrency));
}

/** Worker k's share of `concurrency` lanes, as even as it gets (the first ones take the remainder). */
export function lanesOf(concurrency: number, workers: number, k: number): number {
  return Math.floor(concurrency / workers) + (k < concurrency % workers ? 1 : 0);
}
