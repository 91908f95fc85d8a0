import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CellClientHealth, CellResult, ClientHealth } from '../result/types.js';

/**
 * Interval of the event-loop delay monitor, ms. Node records each whole interval between two firings of a
 * timer (an idle loop reads the interval itself), so we subtract it. The cost is per firing, not per token:
 * 20–55 µs of CPU each (a wake-up; measured on an idle loop at 1, 5 and 20 ms), so 1–3 ms per second at 20 ms.
 * Against the simulator in its own process (c16 × 128 tokens at 1 ms gaps, ~15,000 tokens/s, 9 runs each,
 * 2-vCPU VM, Node 24, 2026-11-30) the client used a median 16.0 µs/token, 15.0 with one more monitor at
 * 20 ms, 15.9 at 5 ms (both within the ±1.5 µs noise; expected ~0.1 and ~0.3 µs/token) and 18.0 at 1 ms.
 * 50 readings a second still give a p99 over any cell longer than a couple of seconds.
 */
export const LOOP_MONITOR_RESOLUTION_MS = 20;

/**
 * The client's event loop is where arrival times are stamped: when it lags, every timing it takes is late by
 * that much. Above this p99 delay (beyond the monitor's interval) a cell is marked saturated. An idle loop
 * reads 0–3 ms at p99 on a small VM; 10 ms keeps that noise and short GC pauses out.
 */
export const SATURATION_P99_MS = 10;

/**
 * Above this share of a cell's requests flagged `client-wait` (written late because the client was busy or
 * out of connections), the cell is marked saturated: the server saw less load than the cell claims.
 */
export const SATURATION_CLIENT_WAIT_SHARE = 0.01;

/** Event-loop delay over some span, ms, the monitor's own interval subtracted; null when nothing was read. */
export interface LoopDelay {
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Readings taken. */
  count: number;
}

/** No reading (a cell shorter than two monitor intervals). */
export const NO_LOOP_READING: LoopDelay = { p90Ms: null, p99Ms: null, maxMs: null, count: 0 };

/**
 * Readings needed before a p99 says more than the one longest stall (100 at 20 ms: a 2 s cell). A shorter
 * cell is judged by its p90 (more than a tenth of its readings late): one garbage collection or store write
 * in a half-second cell is not a client that cannot keep up, a stall every few readings is. Below
 * `READINGS_TO_JUDGE` (a cell under 0.2 s) the loop is reported but not judged.
 */
export const READINGS_FOR_P99 = 100;
export const READINGS_TO_JUDGE = 10;

/** Requests of a cell that must wait in the client (besides the share) before it counts as saturated. */
export const MIN_CLIENT_WAIT_REQUESTS = 3;

/** Watch the event-loop delay until `stop()`; one watch per cell. */
export function watchEventLoop(): { stop(): LoopDelay } {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_MONITOR_RESOLUTION_MS });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      // The histogram reads in ns; with no reading yet it reports NaN/huge values, hence the count check.
      if (histogram.count === 0) return { ...NO_LOOP_READING };
      // libuv's timers tick in whole ms, so an interval can read slightly under the resolution: clamp at 0.
      const lag = (ns: number) => Math.max(0, ns / 1e6 - LOOP_MONITOR_RESOLUTION_MS);
      return {
        p90Ms: lag(histogram.percentile(90)),
        p99Ms: lag(histogram.percentile(99)),
        maxMs: lag(histogram.max),
        count: histogram.count,
      };
    },
  };
}

/** Whether the client kept up during one cell, from its loop delay and its requests' client-side waits. */
export function cellClientHealth(
  loop: LoopDelay,
  requests: number,
  clientWaitRequests: number,
  queueP99Ms: number | null,
): CellClientHealth {
  const judged = loop.count >= READINGS_FOR_P99 ? loop.p99Ms : loop.count >= READINGS_TO_JUDGE ? loop.p90Ms : null;
  const lagging = judged !== null && judged > SATURATION_P99_MS;
  const waiting =
    requests > 0 && clientWaitRequests >= MIN_CLIENT_WAIT_REQUESTS && clientWaitRequests / requests > SATURATION_CLIENT_WAIT_SHARE;
  return {
    saturated: lagging || waiting,
    eventLoopDelayP99Ms: loop.p99Ms,
    eventLoopDelayMaxMs: loop.maxMs,
    clientWaitRequests,
    queueP99Ms,
  };
}

/** The run's client health: its worst cell, and how many cells were saturated. */
export function rollUpClientHealth(cells: readonly CellResult[]): ClientHealth {
  let p99: number | null = null;
  let max: number | null = null;
  let saturatedCells = 0;
  for (const { client } of cells) {
    if (client.saturated) saturatedCells++;
    if (client.eventLoopDelayP99Ms !== null) p99 = Math.max(p99 ?? 0, client.eventLoopDelayP99Ms);
    if (client.eventLoopDelayMaxMs !== null) max = Math.max(max ?? 0, client.eventLoopDelayMaxMs);
  }
  return { clientSaturated: saturatedCells > 0, eventLoopDelayP99Ms: p99, eventLoopDelayMaxMs: max, saturatedCells };
}
