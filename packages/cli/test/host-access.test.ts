/**
 * Host access through the built CLI, each `swapbench run` a process of its own on one SQLite store and one
 * simulated llama-server: the second run is refused (exit 3) or waits with --wait; a host busy with foreign
 * requests is refused unless --takeover, and its cells come out polluted in --json and in the table.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '@swapbench/core';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { openSqliteStore } from '@swapbench/core/stores/sqlite';
import { runCli } from './run-cli.js';

let sim: Simulator;
let dir: string;
let slow: string;
let quick: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-host-access-'));
  // 40 tokens at 20 t/s: one request takes 2 s, long enough for a second process to find the host taken.
  sim = await startSimulator({ mode: 'llama-server', models: [{ name: 'm', genTps: 20, promptTps: 20_000, ttftMs: 1, slots: 4 }] });
  slow = join(dir, 'slow.yaml');
  quick = join(dir, 'quick.yaml');
  await writeFile(slow, 'name: slow\nmodels: [m]\npromptTokens: [16]\nmaxTokens: [40]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n');
  await writeFile(quick, 'name: quick\nmodels: [m]\npromptTokens: [16]\nmaxTokens: [30]\nconcurrency: [1, 2]\nrepetitions: 1\nwarmup: 0\n');
  env = { SWAPBENCH_STORE: `sqlite:${join(dir, 'shared.db')}` };
  const added = await runCli(['hosts', 'add', 'simbox', sim.url], { env });
  expect(added.code).toBe(0);
});
afterEach(() => sim.setForeignTraffic({ requests: 0 }));
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once some process holds the lease of `hostId` in the shared store. */
async function leaseTaken(hostId: string): Promise<void> {
  const store = await openSqliteStore(join(dir, 'shared.db'));
  try {
    for (let i = 0; i < 200; i++) {
      if (await store.leases.get(hostId)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`nobody took the lease of ${hostId}`);
  } finally {
    await store.close();
  }
}

describe('swapbench run on a shared host', () => {
  it('refuses a second run while the first holds the host (exit 3, who and since when); with --wait it runs after', async () => {
    const first = runCli(['run', slow, '--host', 'simbox', '--json'], { env });
    await leaseTaken('simbox');
    const refused = await runCli(['run', quick, '--host', 'simbox'], { env });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/host simbox is leased for bench by swapbench pid \d+ on \S+ since \d{4}-\d\d-\d\dT[\d:.]+Z/);
    const waiting = runCli(['run', quick, '--host', 'simbox', '--wait', '30', '--json'], { env });
    const a = await first;
    const aDone = Date.now();
    const b = await waiting;
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ra = JSON.parse(a.stdout) as RunResult;
    const rb = JSON.parse(b.stdout) as RunResult;
    // The waiting run started only after the first one had finished.
    expect(Date.parse(rb.startedAt)).toBeGreaterThanOrEqual(Date.parse(ra.finishedAt!));
    expect(Date.now()).toBeGreaterThanOrEqual(aDone);
    expect(ra.polluted).toBe(false);
    expect(rb.polluted).toBe(false);
  }, 60_000);

  it('refuses a host with a foreign request in flight (exit 3, what was seen), and runs it with --takeover, cells polluted', async () => {
    sim.setForeignTraffic({ requests: 1 });
    const refused = await runCli(['run', quick, '--host', sim.url], { env });
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('is busy: slot 0 is processing (--takeover to run anyway)');

    const json = await runCli(['run', quick, '--host', sim.url, '--takeover', '--json'], { env });
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as RunResult;
    expect(result.polluted).toBe(true);
    expect(result.concurrentForeignRequests?.peak).toBe(1);
    for (const cell of result.cells) {
      expect(cell.polluted).toBe(true);
      expect(cell.concurrentForeignRequests?.peak).toBe(1);
    }
    expect(result.notes[0]).toBe('took over a busy host (--takeover): slot 0 is processing');

    const table = await runCli(['run', quick, '--host', sim.url, '--takeover'], { env });
    expect(table.code).toBe(0);
    const rows = table.stdout.split('\n').filter((l) => /^m +\d/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    // The flags column's letter, explained by the legend.
    for (const row of rows) expect(row).toMatch(/ P\S*$/);
    expect(table.stdout).toContain('flags: P polluted: foreign requests ran on the host during the cell');
  }, 60_000);

  it('rejects a --wait that is not a number of seconds (exit 2)', async () => {
    const bad = await runCli(['run', quick, '--host', sim.url, '--wait', 'soon'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--wait: must be a number of seconds ≥ 0, got "soon"');
  });
});
