/**
 * Opening the Postgres store: by URI through openStore (credentials never shown), versioned migrations, and
 * each way opening fails, as a one-line StoreUnavailableError or SchemaVersionError naming the server
 * without its password.
 */
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, resolveStoreUri } from '../../src/store/open-store.js';
import { redactUrl, redactUrlsIn } from '../../src/util/redact-url.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { expectStoreError, makeRun } from '../contracts/store.contract.js';
import { adminQuery, dropSchema, uniqueSchema, withPostgres } from './postgres-harness.js';

/** `url` with its query parameter `name` set. */
function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Postgres URIs as shown', () => {
  it('hide the user, the password and query values, in a URI and in a message that quotes one', async () => {
    expect(redactUrl('postgres://team:s3cret@db.lan:5432/bench?sslmode=require&password=p2')).toBe(
      'postgres://***@db.lan:5432/bench?sslmode=***&password=***',
    );
    expect(redactUrl('postgresql://team:s3cret@db.lan/bench')).toBe('postgresql://***@db.lan/bench');
    // The clause's colon after the URI stays the message's.
    expect(redactUrlsIn('store postgres://team:s3cret@db.lan/bench?schema=ci: the server refused the login')).toBe(
      'store postgres://***@db.lan/bench?schema=***: the server refused the login',
    );
    const location = await resolveStoreUri('postgres://team:s3cret@db.lan/bench');
    expect(location).toEqual({
      scheme: 'postgres',
      uri: 'postgres://***@db.lan/bench',
      connectionString: 'postgres://team:s3cret@db.lan/bench',
    });
    await expect(resolveStoreUri('postgres://team:s3cret@[db/bench')).rejects.toThrow(
      /^store postgres:\/\/\*\*\*@\[db\/bench: is not a valid URI/,
    );
  });
});

withPostgres('Opening the Postgres store', (url) => {
  const password = new URL(url).password;
  let schema: string;
  beforeEach(() => {
    schema = uniqueSchema('open');
  });
  afterEach(async () => {
    await dropSchema(url, schema);
  });

  describe('by URI', () => {
    it('shows a postgres:// URI with its credentials redacted and still connects with them', async () => {
      const uri = withParam(url, 'schema', schema);
      const location = await resolveStoreUri(uri);
      expect(location.scheme).toBe('postgres');
      expect(location.uri).not.toContain(password);
      expect(location.uri).toMatch(/^postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/swapbench\?schema=\*\*\*$/);
      expect(location.connectionString).toBe(uri);
      // As the CLI does: resolve, print `uri`, open by `connectionString`.
      await using store = await openStore(location.connectionString!);
      await store.runs.create(makeRun('by-uri'));
      await using other = await openStore(uri.replace(/^postgres:/, 'postgresql:'));
      expect((await other.runs.list()).items.map((r) => r.runId)).toEqual(['by-uri']);
      // The tables are in the schema the URI named.
      expect(await adminQuery(url, 'SELECT run_id FROM runs', [], schema)).toEqual([{ run_id: 'by-uri' }]);
    });

    it('opens with pool settings instead of a URI, and names the server without the password when they are wrong', async () => {
      const u = new URL(url);
      const settings = { host: u.hostname, port: Number(u.port), user: u.username, password, database: u.pathname.slice(1) };
      await using store = await openPostgresStore(settings, { schema });
      await store.runs.create(makeRun('by-settings'));
      expect((await store.runs.get('by-settings'))?.runId).toBe('by-settings');
      const err = await expectStoreError(openPostgresStore({ ...settings, password: 'nope' }, { schema }), 'STORE_UNAVAILABLE');
      expect(err.message).toMatch(/^store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/swapbench: the server refused the login/);
    });

    it('refuses a wrong password, naming the server but not the password', async () => {
      const wrong = new URL(url);
      wrong.password = 'not-the-password';
      const err = await expectStoreError(openStore(wrong.toString()), 'STORE_UNAVAILABLE');
      expect(err.message).toMatch(/^store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/swapbench: the server refused the login/);
      expect(err.message).not.toContain('not-the-password');
      expect(err.message.split('\n')).toHaveLength(1);
    });

    it('refuses a database that does not exist, a port nothing listens on, and TLS the server does not offer', async () => {
      const missing = new URL(url);
      missing.pathname = '/no_such_database';
      const err = await expectStoreError(openStore(missing.toString()), 'STORE_UNAVAILABLE');
      expect(err.message).toMatch(/no_such_database" does not exist; create it first/);
      expect(err.message).not.toContain(password);

      const closed = new URL(url);
      closed.port = String(await closedPort());
      const refused = await expectStoreError(openStore(closed.toString()), 'STORE_UNAVAILABLE');
      expect(refused.message).toMatch(/nothing accepts connections there .*ECONNREFUSED/);
      expect(refused.message).not.toContain(password);

      // The test server has no TLS: asking for it is a connection problem, said as such.
      const tls = await expectStoreError(openStore(withParam(url, 'sslmode', 'verify-full')), 'STORE_UNAVAILABLE');
      expect(tls.message).toMatch(/: the TLS connection failed \(The server does not support SSL connections\); check sslmode/);
    });
  });

  describe('migrations', () => {
    it('records each applied version once, and opening again applies nothing', async () => {
      await (await openPostgresStore(url, { schema })).close();
      await (await openPostgresStore(url, { schema })).close();
      const rows = await adminQuery<{ version: number }>(url, 'SELECT version FROM swapbench_migrations ORDER BY version', [], schema);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    });

    it('refuses a database written by a newer swapbench, and leaves it alone', async () => {
      await (await openPostgresStore(url, { schema })).close();
      await adminQuery(url, 'INSERT INTO swapbench_migrations (version) VALUES ($1)', [MIGRATIONS.length + 5], schema);
      const err = await expectStoreError(openPostgresStore(url, { schema }), 'SCHEMA_VERSION');
      expect(err.message).toMatch(new RegExp(`schema version ${MIGRATIONS.length + 5} was written by a newer swapbench`));
      expect(err.message).not.toContain(password);
    });

    it("refuses a schema that holds another application's tables", async () => {
      await adminQuery(url, `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".runs (id int)`);
      const err = await expectStoreError(openPostgresStore(url, { schema }), 'STORE_UNAVAILABLE');
      expect(err.message).toMatch(/holds tables of another application \(runs\); give swapbench its own with \?schema=/);
    });
  });
});
