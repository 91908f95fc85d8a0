/**
 * Opening the Postgres store: by URI through openStore (credentials never shown), versioned migrations, and
 * each way opening fails, as a one-line StoreUnavailableError or SchemaVersionError naming the server
 * without its password.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    // A URL quoted in backticks keeps its closing backtick (it was read as part of the query's value).
    expect(redactUrlsIn('the store (`postgres://team:s3cret@db.lan/bench?schema=ci`) did not answer')).toBe(
      'the store (`postgres://***@db.lan/bench?schema=***`) did not answer',
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

describe('Postgres URI parameters that cannot be meant', () => {
  // Refused before any connection, so no server is needed.
  it('refuses an empty or repeated ?schema= instead of quietly using public or the first one', async () => {
    const empty = await expectStoreError(openStore('postgres://team:s3cret@db.lan/bench?schema='), 'STORE_UNAVAILABLE');
    expect(empty.message).toBe('store postgres://***@db.lan/bench?schema=***: ?schema= is empty; name a schema or leave it out for public');
    const twice = await expectStoreError(openStore('postgres://team:s3cret@db.lan/bench?schema=a&schema=b'), 'STORE_UNAVAILABLE');
    expect(twice.message).toMatch(/: \?schema= is given more than once; name one schema$/);
  });

  it('refuses a password with an unencoded / (it would end the host early) without showing any of it', async () => {
    // Parsed as libpq does, host `s3` and database `cr/et@db.lan/bench`: the usual redaction printed `cr/et`.
    for (const uri of ['postgres://team:s3/cr/et@db.lan/bench', 'postgres://team:s3/cr/et@db.lan/bench?schema=ci']) {
      for (const attempt of [openStore(uri), openPostgresStore(uri)]) {
        const err = await expectStoreError(attempt, 'STORE_UNAVAILABLE');
        expect(err.message).toMatch(/^store postgres:\/\/\*\*\*@db\.lan\/bench(\?schema=\*\*\*)?: has an @ after its host: percent-encode/);
        expect(err.message).not.toMatch(/s3|cr|et@/);
      }
    }
  });

  it('refuses an sslmode pg cannot honour, and verify-ca without the CA to verify against', async () => {
    const bogus = await expectStoreError(openStore('postgres://team:s3cret@db.lan/bench?sslmode=on'), 'STORE_UNAVAILABLE');
    expect(bogus.message).toMatch(/: sslmode must be one of disable, prefer, require, verify-ca, verify-full$/);
    const ca = await expectStoreError(openStore('postgres://team:s3cret@db.lan/bench?sslmode=verify-ca'), 'STORE_UNAVAILABLE');
    expect(ca.message).toMatch(/: sslmode=verify-ca needs sslrootcert=<CA file>; or use sslmode=verify-full$/);
    for (const err of [bogus, ca]) expect(err.message).not.toContain('s3cret');
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

    it('takes a password the URI lacks from the password file (PGPASSFILE), and says so when there is none', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'swapbench-pgpass-'));
      const saved = { PGPASSFILE: process.env.PGPASSFILE, PGPASSWORD: process.env.PGPASSWORD };
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      try {
        delete process.env.PGPASSWORD;
        const file = join(dir, 'pgpass');
        process.env.PGPASSFILE = file;
        const bare = new URL(url);
        bare.password = '';
        bare.searchParams.set('schema', schema);
        // No password anywhere: one line that says where one can go (pg's own words were a SASL TypeError, exit 70).
        const none = await expectStoreError(openStore(bare.toString()), 'STORE_UNAVAILABLE');
        expect(none.message).toMatch(
          /: the server asks for a password and none was given; put it in the URI, in PGPASSWORD or in ~\/\.pgpass$/,
        );
        // A wildcard line with an escaped colon in a field before it, as libpq reads the file.
        await writeFile(file, `# team\nother\\:host:*:*:*:wrong\n*:${bare.port}:*:${bare.username}:${password}\n`, { mode: 0o600 });
        await using store = await openStore(bare.toString());
        expect((await store.runs.list()).items).toEqual([]);
        await new Promise((resolve) => setImmediate(resolve));
        // pg's own .pgpass support prints a DeprecationWarning: it must not be the one used.
        expect(warnings).toEqual([]);
        // A file that others can read is ignored, as libpq ignores it.
        await chmod(file, 0o644);
        await expectStoreError(openStore(bare.toString()), 'STORE_UNAVAILABLE');
      } finally {
        process.off('warning', onWarning);
        for (const [k, v] of Object.entries(saved))
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('prints no warning of the driver on stderr: not for sslmode=require, not for a query queued on a new connection', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      try {
        // libpq's require (encrypted, not verified): pg's own reading of it prints a SECURITY WARNING.
        await expectStoreError(openStore(withParam(url, 'sslmode', 'require')), 'STORE_UNAVAILABLE');
        await using store = await openPostgresStore(url, { schema, maxConnections: 4 });
        // Several calls at once open new connections, each of which first sets the search_path.
        await Promise.all(Array.from({ length: 6 }, () => store.runs.list()));
        // process.emitWarning delivers on the next tick.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings).toEqual([]);
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
