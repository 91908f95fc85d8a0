/**
 * Shared by the runner tests: a harness per test (the simulator, a Postgres store in the test's own schema,
 * `swapbench runner` processes and the coordinator's queue), torn down after it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { expect, afterEach, beforeEach } from 'vitest';
import { type RunBenchSuiteOptions, runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import { fileURLToPath } from 'node:url';
import { connectRunners, type ConnectRunnersOptions } from '../../../src/engine/runners/index.js';
import type { RemoteRunners } from '../../../src/engine/runners/remote-runners.js';
import type { RunResult, Sample } from '../../../src/result/types.js';
import type { SuiteInput } from '../../../src/suite/schema.js';
import { type Simulator, startSimulator } from '../../../src/simulator/index.js';
import { openPostgresStore } from '../../../src/store/postgres/index.js';
import type { Store } from '../../../src/store/store.js';
import { createLlamaTransport } from '../../../src/transport/llama/index.js';
import type { Transport } from '../../../src/transport/transport.js';
import { adminQuery, dropSchema, uniqueSchema } from '../../store/postgres-harness.js';

/** The simulated model's time to first token: no sample can report less. */
export const TTFT_MS = 20;
/** Each test starts processes and a real server: generous against a loaded CI machine (the default is 20 s). */
export const TEST_TIMEOUT_MS = 90_000;
/** Short liveness settings, so a dead runner is found in about two seconds. */
export const FAST = { startMarginMs: 1500, heartbeatMs: 250, deadAfterMs: 2000, pollMs: 100, pickupTimeoutMs: 15_000 };

/** What one test runs against; `setUp` starts it, `tearDown` stops every part of it and drops its schema. */
export interface Harness {
  schema: string;
  storeUri: string;
  sim?: Simulator;
  transport?: Transport;
  store?: Store;
  runners?: RemoteRunners;
  children: ChildProcess[];
  setUp(
    genTps: number,
    names?: string[],
    options?: ConnectRunnersOptions,
    flags?: string[],
  ): Promise<{ workerTransport: { baseUrl: string; kind: 'llama-swap' } }>;
  tearDown(): Promise<void>;
}

/**
 * One harness for every test of a suite: set up afresh before each test (`schema` names the store's schema,
 * default a unique lower-case one) and torn down after it.
 */
export function useHarness(url: string, schema: () => string = () => uniqueSchema('runners')): Harness {
  const h = {} as Harness;
  beforeEach(() => {
    for (const key of Object.keys(h)) delete (h as unknown as Record<string, unknown>)[key];
    createHarness(url, schema(), h);
  });
  afterEach(async () => {
    await h.tearDown();
  });
  return h;
}

/** Make the harness in `into`, its store in `schema`. */
function createHarness(url: string, schema: string, into: Harness): Harness {
  const h: Harness = Object.assign(into, {
    schema,
    storeUri: inSchema(url, schema),
    children: [],
    async setUp(genTps, names = ['r1', 'r2'], options = FAST, flags = []) {
      h.sim = await startSimulator({
        mode: 'llama-swap',
        seed: 3,
        models: [{ name: 'm1', ttftMs: TTFT_MS, genTps, promptTps: 1e9, jitter: 0, slots: 64, batchSlowdown: 0, loadMs: 0 }],
      });
      h.transport = createLlamaTransport({ baseUrl: h.sim.url, kind: 'llama-swap' });
      // The store first (it makes the schema), then the runners and the coordinator's queue beside it.
      h.store = await openPostgresStore(h.storeUri);
      for (const name of names) h.children.push(await startRunnerProcess(h.storeUri, name, ...flags));
      h.runners = await connectRunners(h.storeUri, options);
      return { workerTransport: { baseUrl: h.sim.url, kind: 'llama-swap' } };
    },
    async tearDown() {
      for (const child of h.children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await h.runners?.close();
      await h.store?.close();
      await h.transport?.close();
      await h.sim?.close();
      await dropSchema(url, schema);
    },
  } satisfies Harness);
  return h;
}

/** A run's samples as stored. */
export async function samplesOf(store: Store, runId: string): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of store.runs.samples(runId)) out.push(s);
  return out;
}

/** The built CLI (`npx -y pnpm@12 build` first): runners are `swapbench runner` processes, as on a real machine. */
const BIN = fileURLToPath(new URL('../../../../cli/dist/bin.js', import.meta.url));

/** `url` with `?schema=` set. */
export function inSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** A `swapbench runner` process working the queue of `store`; resolves once it says it listens. */
export async function startRunnerProcess(store: string, name: string, ...flags: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'runner', '--store', store, '--name', name, ...flags], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('is working queue')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`runner ${name} exited (${signal ?? code}) before it was ready: ${log}`)));
  });
  return child;
}

/** One closed-loop cell of model `m1` split across two runners: 32-token prompts, 4 streams, 40 requests. */
export function remoteSuite(name: string, overrides: Partial<SuiteInput> = {}): SuiteInput {
  return {
    name,
    models: ['m1'],
    promptTokens: [32],
    maxTokens: [32],
    concurrency: [4],
    requests: 40,
    warmup: 0,
    runners: 2,
    ...overrides,
  };
}

/** Run `suite` on the harness's runners (no foreign-traffic probes), plus any other options. */
export function runRemote(
  h: Harness,
  workerTransport: { baseUrl: string; kind: 'llama-swap' },
  suite: SuiteInput,
  options: Partial<RunBenchSuiteOptions> = {},
): Promise<RunResult> {
  return runBenchSuite(suite, {
    transport: h.transport!,
    store: h.store!,
    workerTransport,
    runners: h.runners!,
    foreignProbeMs: 0,
    ...options,
  });
}

/**
 * Start `suite` on the harness's runners and resolve once runner `r2` has a request in flight (a begun
 * marker whose sample it has not stored yet) and `minSeen` measured samples have come back: the moment to
 * stop it mid-share. `done` is the run; `seen` collects the measured samples as they come.
 */
export async function startUntilMidShare(
  h: Harness,
  url: string,
  workerTransport: { baseUrl: string; kind: 'llama-swap' },
  suite: SuiteInput,
  minSeen: number,
): Promise<{ done: Promise<RunResult>; seen: Sample[] }> {
  const seen: Sample[] = [];
  const done = runRemote(h, workerTransport, suite, {
    onEvent: (e) => {
      if (e.type === 'sample' && e.sample.phase === 'measured') seen.push(e.sample);
    },
  });
  await expect
    .poll(
      async () => {
        const rows = await adminQuery<{ n: string }>(
          url,
          "SELECT count(*) AS n FROM swapbench_runner_begun WHERE runner = 'r2' AND seq >= 0",
          [],
          h.schema,
        );
        return Number(rows[0]?.n ?? 0) >= 1 && seen.length >= minSeen;
      },
      { timeout: 20_000, interval: 50 },
    )
    .toBe(true);
  return { done, seen };
}
