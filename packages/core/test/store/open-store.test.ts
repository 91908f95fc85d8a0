import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultStoreUri, openStore, resolveStoreUri } from '../../src/store/open-store.js';
import { expectStoreError, makeFinishedRun } from '../contracts/store.contract.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-open-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A STORE_UNAVAILABLE error whose one-line message matches `message`. */
async function unavailable(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await expectStoreError(promise, 'STORE_UNAVAILABLE');
  expect(err.message).toMatch(message);
  expect(err.message).not.toContain('\n');
}

describe('defaultStoreUri', () => {
  it('Linux: $XDG_DATA_HOME/swapbench/swapbench.db', () => {
    expect(defaultStoreUri({ XDG_DATA_HOME: '/data/u', HOME: '/home/u' }, 'linux')).toBe('sqlite:/data/u/swapbench/swapbench.db');
  });

  it('Linux: ~/.local/share when XDG_DATA_HOME is unset, empty or relative (the XDG spec ignores those)', () => {
    for (const XDG_DATA_HOME of [undefined, '', 'rel/data'])
      expect(defaultStoreUri({ XDG_DATA_HOME, HOME: '/home/u' }, 'linux')).toBe('sqlite:/home/u/.local/share/swapbench/swapbench.db');
  });

  it('macOS: ~/Library/Application Support, whatever XDG_DATA_HOME says', () => {
    expect(defaultStoreUri({ HOME: '/Users/u', XDG_DATA_HOME: '/x' }, 'darwin')).toBe(
      'sqlite:/Users/u/Library/Application Support/swapbench/swapbench.db',
    );
  });

  it('Windows: %LOCALAPPDATA%\\swapbench\\swapbench.db, else under %USERPROFILE%', () => {
    expect(defaultStoreUri({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32')).toBe(
      'sqlite:C:\\Users\\u\\AppData\\Local\\swapbench\\swapbench.db',
    );
    expect(defaultStoreUri({ USERPROFILE: 'C:\\Users\\u' }, 'win32')).toBe('sqlite:C:\\Users\\u\\AppData\\Local\\swapbench\\swapbench.db');
  });

  it('resolves to itself: the default is a URI openStore takes as it is', async () => {
    const uri = defaultStoreUri({ XDG_DATA_HOME: dir }, 'linux');
    expect(await resolveStoreUri(uri)).toEqual({ scheme: 'sqlite', path: join(dir, 'swapbench', 'swapbench.db'), uri });
  });
});

describe('resolveStoreUri', () => {
  it('sqlite: and file: paths resolve against the given folder; memory: has none', async () => {
    expect(await resolveStoreUri('sqlite:runs.db', { cwd: dir })).toEqual({
      scheme: 'sqlite',
      path: join(dir, 'runs.db'),
      uri: `sqlite:${join(dir, 'runs.db')}`,
    });
    expect(await resolveStoreUri('file:hist/../history', { cwd: dir })).toEqual({
      scheme: 'file',
      path: join(dir, 'history'),
      uri: `file:${join(dir, 'history')}`,
    });
    expect(await resolveStoreUri('file:/abs/h', { cwd: dir })).toMatchObject({ path: '/abs/h' });
    expect(await resolveStoreUri('memory:')).toEqual({ scheme: 'memory', uri: 'memory:' });
  });

  it('takes the URL form with an empty host, a scheme in capitals, and ~ for the home folder', async () => {
    expect(await resolveStoreUri('sqlite:///var/lib/s.db')).toMatchObject({ scheme: 'sqlite', path: '/var/lib/s.db' });
    expect(await resolveStoreUri('file:///var/lib/h')).toMatchObject({ scheme: 'file', path: '/var/lib/h' });
    expect(await resolveStoreUri('SQLite:x.db', { cwd: dir })).toMatchObject({ scheme: 'sqlite', path: join(dir, 'x.db') });
    expect(await resolveStoreUri('sqlite:~/b/s.db', { env: { HOME: dir } })).toMatchObject({ path: join(dir, 'b', 's.db') });
  });

  it('a bare path: .db/.sqlite/.sqlite3 is SQLite, an existing folder is a file store, an existing database is SQLite', async () => {
    expect(await resolveStoreUri('history.sqlite3', { cwd: dir })).toMatchObject({ scheme: 'sqlite', path: join(dir, 'history.sqlite3') });
    await mkdir(join(dir, 'hist'));
    expect(await resolveStoreUri('hist', { cwd: dir })).toMatchObject({ scheme: 'file', path: join(dir, 'hist') });
    const db = new DatabaseSync(join(dir, 'bench-data'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(await resolveStoreUri('bench-data', { cwd: dir })).toMatchObject({ scheme: 'sqlite', path: join(dir, 'bench-data') });
  });

  it('refuses a bare path it cannot place, showing the three forms', async () => {
    await writeFile(join(dir, 'notes.txt'), 'not a database');
    await unavailable(
      resolveStoreUri('notes.txt', { cwd: dir }),
      /notes\.txt: neither a directory nor a SQLite database; use sqlite:<file>, file:<dir>, postgres:\/\/host\/database or memory:/,
    );
    await unavailable(resolveStoreUri('nowhere', { cwd: dir }), /nowhere: no such directory.*sqlite:<file>/);
  });

  it('refuses an unknown scheme, naming the URI and the schemes', async () => {
    await unavailable(
      resolveStoreUri('mysql://db.local/bench'),
      /^store mysql:\/\/db\.local\/bench: unknown scheme "mysql:"; use sqlite:<file>, file:<dir>, postgres:\/\/host\/database or memory:$/,
    );
  });

  it('refuses a scheme without a path, a host in the URL form, a path after memory:, and nothing at all', async () => {
    await unavailable(resolveStoreUri('sqlite:'), /sqlite: needs a path/);
    await unavailable(resolveStoreUri('file://server/share'), /takes a path, not a host/);
    await unavailable(resolveStoreUri('memory:x'), /memory: takes no path/);
    await unavailable(resolveStoreUri('  '), /no store named/);
  });
});

describe('openStore', () => {
  it('memory: a working store of its own each time', async () => {
    const a = await openStore('memory:');
    const b = await openStore('memory:');
    await a.runs.create(makeFinishedRun('r1'));
    expect((await a.runs.get('r1'))?.status).toBe('completed');
    expect(await b.runs.get('r1')).toBeUndefined();
    await a.close();
    await b.close();
  });

  it.each([
    ['sqlite', (d: string) => `sqlite:${join(d, 'deep', 'er', 'history.db')}`],
    ['file', (d: string) => `file:${join(d, 'deep', 'er', 'history')}`],
  ])('%s: creates what is missing, keeps runs, and opens again from a bare path', async (_name, uriIn) => {
    const uri = uriIn(dir);
    const store = await openStore(uri);
    await store.runs.create(makeFinishedRun('run-1'));
    await store.close();
    const again = await openStore(uri.slice(uri.indexOf(':') + 1));
    expect((await again.runs.get('run-1'))?.suite.name).toBe('suite-a');
    await again.close();
  });

  it.each(['sqlite', 'file'])('%s: a path through a regular file is STORE_UNAVAILABLE naming the path', async (scheme) => {
    await writeFile(join(dir, 'plain'), 'x');
    const target = join(dir, 'plain', scheme === 'sqlite' ? 'h.db' : 'h');
    await unavailable(openStore(`${scheme}:${target}`), new RegExp(target.replaceAll('/', '\\/')));
  });
});
