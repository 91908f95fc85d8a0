/**
 * Bulk sample inserts. One statement per chunk of rows, as multi-row VALUES with every ITL bytea as its own
 * parameter, which `pg` sends in binary: no hex or decimal text for the gaps on the way in. Measured against
 * one INSERT … SELECT FROM unnest($2::text[], $3::bytea[]) per batch (bench/store-insert-postgres.ts
 * `--insert unnest`): an array parameter travels as text, every gap byte as two hex digits, and the server
 * parses the array literal; VALUES was the faster of the two (figures in that file).
 */
import type { Queryable } from './context.js';

/** Rows per statement: 3 parameters each, well under Postgres's 65,535 and small enough to plan quickly. */
const CHUNK = 1000;

/** How a batch goes in: `values` (the store's) or `unnest` (kept for the benchmark's comparison). */
export type InsertMode = 'values' | 'unnest';

/** Insert encoded samples of `runId` in their order (`seq` ascends with it). */
export async function insertSamples(
  db: Queryable,
  runId: string,
  rows: ReadonlyArray<readonly [body: string, itl: Uint8Array]>,
  mode: InsertMode = 'values',
): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    if (mode === 'unnest') {
      // WITH ORDINALITY + ORDER BY: identity values are drawn in the batch's order.
      await db.query(
        'INSERT INTO samples (run_id, body, itl) SELECT $1, b, i FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS t(b, i, n) ORDER BY n',
        [runId, chunk.map((r) => r[0]), chunk.map((r) => Buffer.from(r[1].buffer, r[1].byteOffset, r[1].byteLength))],
      );
      continue;
    }
    const params: unknown[] = [runId];
    const tuples: string[] = [];
    for (const [body, itl] of chunk) {
      params.push(body, itl);
      tuples.push(`($1, $${params.length - 1}, $${params.length})`);
    }
    // VALUES rows are inserted, and so numbered, in the order written.
    await db.query(`INSERT INTO samples (run_id, body, itl) VALUES ${tuples.join(', ')}`, params);
  }
}
