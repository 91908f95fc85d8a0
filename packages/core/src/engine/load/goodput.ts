import type { Sample } from '../../result/types.js';
import type { Slo } from '../../suite/load-schema.js';

/**
 * Whether a request meets every SLO given: it succeeded, and each of its latencies is within its bound. An
 * open-loop request is judged on its latencies from when it was due (`scheduledTtftMs`, `scheduledE2eMs`),
 * as a user who sent it then waited: a request the client or the in-flight cap held back does not look good
 * only because the server was quick once it arrived. TPOT is the server's pace either way.
 */
export function meetsSlo(sample: Sample, slo: Slo): boolean {
  if (!sample.ok) return false;
  const ttft = sample.scheduledTtftMs ?? sample.ttftMs;
  const e2e = sample.scheduledE2eMs ?? sample.e2eMs;
  if (slo.ttftMs !== undefined && !(ttft !== undefined && ttft <= slo.ttftMs)) return false;
  if (slo.e2eMs !== undefined && !(e2e !== undefined && e2e <= slo.e2eMs)) return false;
  // A one-token answer has no TPOT: nothing to miss.
  if (slo.tpotMs !== undefined && sample.tpotMs !== undefined && sample.tpotMs > slo.tpotMs) return false;
  return true;
}
