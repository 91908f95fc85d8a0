import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { BIN } from './run-cli.js';

/** Run the built CLI with its stdout closed by the reader before anything is written (`… | true`). */
async function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr };
}

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-out-'));
  sim = await startSimulator({
    mode: 'llama-server',
    seed: 9,
    models: [{ name: 'tiny', genTps: 2000, promptTps: 20000, slots: 2, loadMs: 0 }],
  });
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a reader that goes away (EPIPE)', () => {
  it('--help | true: exits 0, no uncaught write EPIPE', async () => {
    const { code, stderr } = await runWithClosedStdout(['--help']);
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    expect(code).toBe(0);
  });

  it('run --json | true: the run completes and exits with its own code, quietly', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'name: ok\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n');
    const { code, stderr } = await runWithClosedStdout(['run', file, '--host', sim.url, '--json']);
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    expect(stderr).toMatch(/cell 1\/1/);
    expect(code).toBe(0);
  });
});

describe('SIGHUP', () => {
  it('stops the run like Ctrl-C: the report of what was measured, exit 130', async () => {
    const file = join(dir, 'long.yaml');
    // Long enough that the signal lands mid-run: 200 requests of 400 tokens at 2000 tokens/s.
    await writeFile(
      file,
      'name: long\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [400]\nconcurrency: [1]\nrepetitions: 200\nwarmup: 0\n',
    );
    const child = spawn(process.execPath, [BIN, 'run', file, '--host', sim.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hungUp = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // The run has started: its first line is on stderr.
      if (!hungUp && /^run \S+:/m.test(stderr)) {
        hungUp = true;
        setTimeout(() => child.kill('SIGHUP'), 300);
      }
    });
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).toBe(130);
    expect(stdout).toMatch(/· cancelled in /);
    expect(stdout).toContain('tiny');
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
