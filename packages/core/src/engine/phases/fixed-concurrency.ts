import type { CellKey } from '../../result/types.js';
import { rateCellRequests } from '../../suite/load-checks.js';
import type { Suite } from '../../suite/schema.js';

/**
 * Measured requests of a grid cell: the suite's `requests`, or `repetitions × C` at fixed concurrency; an
 * open-loop cell's `requests`, or 10 s of its arrivals (at least 10).
 */
export function cellRequests(suite: Pick<Suite, 'requests' | 'repetitions'>, cell: Pick<CellKey, 'concurrency' | 'rate'>): number {
  if (cell.rate !== undefined) return rateCellRequests(suite, cell.rate);
  return suite.requests ?? suite.repetitions * cell.concurrency;
}
