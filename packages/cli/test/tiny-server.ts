/** A llama-server simulator with one model (`tiny`, 4 slots) and a temporary folder, for a test file's tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';

export interface TinyServer {
  /** Set before the file's first test. */
  sim: Simulator;
  dir: string;
}

/** Start them before the file's tests and close them after; the fields are filled before the first test. */
export function useTinyServer(prefix: string): TinyServer {
  const env = {} as TinyServer;
  beforeAll(async () => {
    env.dir = await mkdtemp(join(tmpdir(), prefix));
    env.sim = await startSimulator({
      mode: 'llama-server',
      seed: 3,
      models: [{ name: 'tiny', promptTps: 20_000, genTps: 2_000, ttftMs: 2, slots: 4, loadMs: 0 }],
    });
  });
  afterAll(async () => {
    await env.sim?.close();
    if (env.dir) await rm(env.dir, { recursive: true, force: true });
  });
  return env;
}
