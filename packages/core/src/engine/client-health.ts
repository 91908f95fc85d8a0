import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ClientHealth } from '../result/types.js';

/**
 * The client's event loop is where arrival times are stamped: when it lags, every timing it takes is late
 * by that much. Above this p99 delay the run is marked `clientSaturated`.
 */
export const SATURATION_P99_MS = 10;

/** Watch the event-loop delay until `stop()`. */
export function watchClientHealth(): { stop(): ClientHealth } {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      // The histogram reads in ns; with no sample yet it reports NaN/huge values, hence the count check.
      if (histogram.count === 0) return { clientSaturated: false, eventLoopDelayP99Ms: null, eventLoopDelayMaxMs: null };
      const p99 = histogram.percentile(99) / 1e6;
      const max = histogram.max / 1e6;
      return { clientSaturated: p99 > SATURATION_P99_MS, eventLoopDelayP99Ms: p99, eventLoopDelayMaxMs: max };
    },
  };
}
