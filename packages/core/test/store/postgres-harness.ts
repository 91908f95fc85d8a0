/**
 * Shared by the Postgres store's tests: the server they run against (SWAPBENCH_TEST_POSTGRES, which
 * `.ci/postgres.sh` starts and exports), a schema of their own per store so test files and tests never see
 * each other's rows, and what happens without a server: in CI a failing test, locally a skip that says how
 * to run them.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

/** The test server's URI, when there is one. */
export const POSTGRES_URL = process.env.SWAPBENCH_TEST_POSTGRES || undefined;

const HOW =
  'start a throwaway server and run them with: bash .ci/postgres.sh npx -y pnpm@12 exec vitest run --project core postgres ' +
  '(or set SWAPBENCH_TEST_POSTGRES=postgres://user:pass@host:port/db)';

/**
 * `body` when the server is there. Without it: in CI (`CI` set) one failing test, since these tests must
 * never be skipped there; locally a skipped suite whose name says how to run it.
 */
export function withPostgres(name: string, body: (url: string) => void): void {
  if (POSTGRES_URL) {
    body(POSTGRES_URL);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs a PostgreSQL server', () => {
        expect.fail(
          `SWAPBENCH_TEST_POSTGRES is not set, so the Postgres store tests cannot run in CI; .ci/run sources .ci/postgres.sh to ${HOW}`,
        );
      });
    });
    return;
  }
  console.warn(`${name}: skipped, SWAPBENCH_TEST_POSTGRES is not set (with CI set this is a failure); ${HOW}`);
  describe.skip(`${name}: skipped, SWAPBENCH_TEST_POSTGRES is not set; ${HOW}`, () => {
    it('needs a PostgreSQL server', () => undefined);
  });
}

/** A schema name no other test uses. */
export function uniqueSchema(tag: string): string {
  return `t_${tag}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Run SQL on the test server outside any store (to tamper with rows, drop schemas, read plans). */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
  schema?: string,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (schema) await client.query(`SET search_path TO "${schema}"`);
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Remove a test's schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  await adminQuery(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
