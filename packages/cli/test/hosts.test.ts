import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '@swapbench/core';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { runCli } from './run-cli.js';
import { runMain } from './run-main.js';

/** `swapbench hosts add|list|remove` and `--host <name>`, through the built CLI, on a temp SQLite store. */

let sim: Simulator;
let dir: string;
let store: string;
let suite: string;

const cli = (args: string[]) => runCli(args, { env: { SWAPBENCH_STORE: store } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-hosts-'));
  store = `sqlite:${join(dir, 'history.db')}`;
  sim = await startSimulator({
    mode: 'llama-server',
    seed: 4,
    models: [{ name: 'tiny', genTps: 2000, promptTps: 20000, slots: 1, loadMs: 0 }],
  });
  suite = join(dir, 's.yaml');
  await writeFile(suite, 'name: s\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n');
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hosts', () => {
  it('lists none at first, with exit 0 and the command that adds one', async () => {
    const { code, stdout, stderr } = await cli(['hosts', 'list']);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe(`no hosts registered in ${store} (swapbench hosts add <name> <url>)\n`);
  });

  it('add registers a name for a URL and kind; list shows it; add again replaces it', async () => {
    const added = await cli(['hosts', 'add', 'sim-box', `${sim.url}/`, '--kind', 'llama-swap']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe(`host sim-box added: ${sim.url} (llama-swap) in ${store}\n`);
    const replaced = await cli(['hosts', 'add', 'sim-box', sim.url, '--kind', 'llama-server']);
    expect(replaced.stdout).toBe(`host sim-box updated: ${sim.url} (llama-server) in ${store}\n`);
    const table = await cli(['hosts', 'list']);
    expect(table.stdout).toMatch(
      new RegExp(`│ sim-box\\s+│ ${sim.url.replaceAll('.', '\\.')}\\s+│ llama-server\\s+│ \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+│`),
    );
    const json = JSON.parse((await cli(['hosts', 'list', '--json'])).stdout);
    expect(json).toEqual([{ id: 'sim-box', baseUrl: sim.url, kind: 'llama-server', updatedAt: expect.any(String) }]);
  });

  it('run --host <name> measures its URL with its kind, and the run lists under the name and under the URL', async () => {
    const run = await cli(['run', suite, '--host', 'sim-box', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as RunResult;
    expect(result.host).toEqual({ id: 'sim-box', baseUrl: sim.url });
    expect(result.environment.server?.kind).toBe('llama-server');
    const byName = JSON.parse((await cli(['runs', '--host', 'sim-box', '--json'])).stdout) as { runId: string; hostId?: string }[];
    expect(byName.map((r) => r.runId)).toEqual([result.runId]);
    expect(byName[0]!.hostId).toBe('sim-box');
    expect((await cli(['runs', '--host', 'other-box', '--json'])).stdout).toBe('[]\n');
  });

  it('run --host <the URL of a registered host> stores the run under that host’s name too', async () => {
    const run = await cli(['run', suite, '--host', sim.url, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as RunResult).host.id).toBe('sim-box');
  });

  it('an unregistered name exits 2 before any request, with both fixes', async () => {
    const { code, stderr } = await runMain(['run', suite, '--host', 'gpu-box', '--store', store]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `swapbench: --host: "gpu-box" has no scheme: write http://gpu-box (or https:// for a server behind TLS); no host of that name is registered in ${store} either (swapbench hosts add gpu-box <url>)\n`,
    );
  });

  it.each([
    [['hosts', 'add', '9lives', 'http://127.0.0.1:1'], '<name>: "9lives" is not a host name: a letter first'],
    [['hosts', 'add', 'a/b', 'http://127.0.0.1:1'], '<name>: "a/b" is not a host name'],
    [['hosts', 'add', 'box', '127.0.0.1:8080'], '<url>: "127.0.0.1:8080" has no scheme: write http://127.0.0.1:8080'],
    [['hosts', 'add', 'box', 'http://u:pw@h:1'], '<url>: "http://***@h:1" holds credentials'],
    [['hosts', 'add', 'box', 'http://h:1', '--kind', 'vllm'], "argument 'vllm' is invalid"],
    [['hosts', 'remove', 'never-added'], `<name>: no host "never-added" is registered in`],
  ])('%j exits 2: %s', async (args, message) => {
    const { code, stdout, stderr } = await runMain([...args, '--store', store]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('pw@');
  });

  it('remove forgets the name; its runs stay stored under it', async () => {
    const removed = await cli(['hosts', 'remove', 'sim-box']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(`host sim-box removed from ${store}\n`);
    expect((await cli(['hosts', 'list', '--json'])).stdout).toBe('[]\n');
    const runs = JSON.parse((await cli(['runs', '--host', 'sim-box', '--json'])).stdout) as unknown[];
    expect(runs).toHaveLength(2);
  });
});
