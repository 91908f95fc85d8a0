import type { Suite } from '../../suite/schema.js';

/**
 * The most requests a suite keeps in flight at once: its highest concurrency, its open-loop cap
 * (`maxConcurrency`) when it has rates or a sweep, and the sweep's maximum-throughput step. A front-end sizes
 * the transport's connection pool with it.
 */
export function suiteMaxInFlight(suite: Pick<Suite, 'concurrency' | 'rate' | 'sweep' | 'maxConcurrency'>): number {
  const levels = [...suite.concurrency, 1];
  if (suite.rate || suite.sweep) levels.push(suite.maxConcurrency);
  if (suite.sweep) levels.push(suite.sweep.maxConcurrency);
  return Math.max(...levels);
}
