/**
 * `pnpm bench`: measure the measurer. Against the simulator (in its own process, on loopback), run three
 * clients in alternating order — swapbench's own path, a naive fetch client, and a raw-socket floor — and
 * report how late each stamps tokens (vs the simulator's ground-truth write times) and what CPU it burns.
 *
 *   node bench/run.ts            full run (~5 min), writes bench/results/latest.json
 *   node bench/run.ts --quick    smoke test (seconds), writes bench/results/quick.json
 */
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { runFloorClient } from './clients/floor.ts';
import { runNaiveClient } from './clients/naive.ts';
import { runSwapbenchClient } from './clients/swapbench.ts';
import type { ClientRun, ClientRunOptions } from './clients/types.ts';
import { distribution, median, type Distribution } from './stats.ts';

const CLIENTS = { floor: runFloorClient, naive: runNaiveClient, swapbench: runSwapbenchClient } as const;
type ClientName = keyof typeof CLIENTS;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    // Narrow a run down, e.g. to profile one setting: --concurrency 64 --gap 1 --clients swapbench
    concurrency: { type: 'string' },
    gap: { type: 'string' },
    clients: { type: 'string' },
    repetitions: { type: 'string' },
  },
});
const list = (value: string | undefined): number[] | undefined => value?.split(',').map(Number);
const quick = args.quick ?? false;
const TOKENS = quick ? 32 : 256;
const GAPS_MS = list(args.gap) ?? (quick ? [1] : [1, 0]);
const CONCURRENCY = list(args.concurrency) ?? (quick ? [1, 8] : [1, 16, 64, 256, 1024]);
const REPETITIONS = Number(args.repetitions ?? (quick ? 1 : 3));
const CLIENT_NAMES = (args.clients?.split(',') ?? ['floor', 'naive', 'swapbench']) as ClientName[];
for (const name of CLIENT_NAMES) if (!(name in CLIENTS)) throw new Error(`--clients: unknown client "${name}" (floor, naive, swapbench)`);
const MODEL = 'bench-model';
const out = args.out ?? fileURLToPath(new URL(quick ? './results/quick.json' : './results/latest.json', import.meta.url));

/** Requests per run: 40 at low concurrency, so a TTFT p99 is more than the max of a dozen; two rounds at high. */
const requestsFor = (c: number): number => (quick ? 2 * c : Math.max(40, 2 * c));

interface RunFigures {
  client: ClientName;
  gapMs: number;
  concurrency: number;
  repetition: number;
  requests: number;
  errors: number;
  tokens: number;
  wallMs: number;
  tokensPerSec: number;
  cpuUsPerToken: number;
  simCpuUsPerToken: number;
  memoryPerStreamKiB: number;
  ttftSkewMs: Distribution;
  tokenSkewMs: Distribution;
}

const sim = fork(fileURLToPath(new URL('./sim-process.ts', import.meta.url)), { serialization: 'advanced', stdio: 'inherit' });
const ask = async <T>(message: object, reply: string): Promise<T> => {
  sim.send(message);
  for (;;) {
    const [m] = (await once(sim, 'message')) as [{ type: string } & T];
    if (m.type === reply) return m;
  }
};

const runs: RunFigures[] = [];
try {
  for (const gapMs of GAPS_MS) {
    // gap 0: as fast as the simulator can write. No slowdown with load: the gap is the workload.
    const started = await ask<{ url: string }>(
      {
        type: 'start',
        options: {
          mode: 'llama-server',
          // Connections stay open, as before: the bench compares clients' overhead, not llama-server's habit of
          // closing after every stream (which the floor client, keep-alive only, does not handle).
          closeAfterStream: false,
          seed: 1,
          models: [
            {
              name: MODEL,
              ttftMs: 5,
              genTps: gapMs === 0 ? Number.POSITIVE_INFINITY : 1000 / gapMs,
              promptTps: 1e9,
              jitter: 0,
              slots: 1024,
              batchSlowdown: 0,
            },
          ],
        },
      },
      'started',
    );
    for (const concurrency of CONCURRENCY) {
      for (let repetition = 0; repetition < REPETITIONS; repetition++) {
        // Alternate the order so no client always runs on a warmer (or more tired) machine.
        const order = rotate(CLIENT_NAMES, repetition);
        for (const client of order) {
          const figures = await measure(client, started.url, gapMs, concurrency, repetition);
          runs.push(figures);
          process.stderr.write(
            `gap ${gapMs} ms c${concurrency} rep ${repetition + 1} ${client.padEnd(9)} ttft skew p99 ${figures.ttftSkewMs.p99.toFixed(2)} ms, ` +
              `${figures.cpuUsPerToken.toFixed(2)} µs/token, ${figures.errors} errors\n`,
          );
        }
      }
    }
  }
  sim.send({ type: 'stop' });
  await once(sim, 'exit');
} finally {
  if (sim.exitCode === null) sim.kill();
}

async function measure(client: ClientName, url: string, gapMs: number, concurrency: number, repetition: number): Promise<RunFigures> {
  await ask({ type: 'reset' }, 'reset');
  const options: ClientRunOptions = { url, model: MODEL, maxTokens: TOKENS, concurrency, requests: requestsFor(concurrency) };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const run: ClientRun = await CLIENTS[client](options);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (const r of run.records) if (r.tokenStampsMs) r.tokenStamps = r.tokenStampsMs.map((ms) => BigInt(Math.round(ms * 1e6)));
  const truth = await ask<{ groundTruth: { id: string; tokenWrites: bigint[] }[]; cpuMicros: number }>({ type: 'collect' }, 'collected');
  const byId = new Map(truth.groundTruth.map((g) => [g.id, g.tokenWrites]));
  const ttft: number[] = [];
  const perToken: number[] = [];
  let tokens = 0;
  let errors = 0;
  for (const record of run.records) {
    if (record.error) {
      errors++;
      if (process.env.BENCH_DEBUG) process.stderr.write(`error: ${record.error}\n`);
    }
    tokens += record.tokenStamps.length;
    const writes = record.id === undefined ? undefined : byId.get(record.id);
    if (!writes || record.tokenStamps.length === 0) continue;
    const n = Math.min(writes.length, record.tokenStamps.length);
    for (let k = 0; k < n; k++) perToken.push(Number(record.tokenStamps[k]! - writes[k]!) / 1e6);
    ttft.push(Number(record.tokenStamps[0]! - writes[0]!) / 1e6);
  }
  return {
    client,
    gapMs,
    concurrency,
    repetition,
    requests: options.requests,
    errors,
    tokens,
    wallMs,
    tokensPerSec: tokens / (wallMs / 1000),
    cpuUsPerToken: (cpu.user + cpu.system) / Math.max(1, tokens),
    simCpuUsPerToken: truth.cpuMicros / Math.max(1, tokens),
    memoryPerStreamKiB: run.peakMemoryBytes / concurrency / 1024,
    ttftSkewMs: distribution(ttft),
    tokenSkewMs: distribution(perToken),
  };
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** `swapbench --help` wall time: a fresh Node process each time, median of 10. */
function helpStartup(): { medianMs: number; nodeBaselineMs: number } {
  const bin = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
  const time = (argv: string[]): number => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, argv, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const n = quick ? 3 : 10;
  return {
    medianMs: median(Array.from({ length: n }, () => time([bin, '--help']))),
    nodeBaselineMs: median(Array.from({ length: n }, () => time(['-e', '0']))),
  };
}

// Medians over repetitions, per client and setting.
const summary = [];
for (const gapMs of GAPS_MS) {
  for (const concurrency of CONCURRENCY) {
    for (const client of CLIENT_NAMES) {
      const rs = runs.filter((r) => r.client === client && r.gapMs === gapMs && r.concurrency === concurrency);
      const m = (f: (r: RunFigures) => number) => median(rs.map(f));
      summary.push({
        client,
        gapMs,
        concurrency,
        repetitions: rs.length,
        errors: rs.reduce((a, r) => a + r.errors, 0),
        ttftSkewP50Ms: m((r) => r.ttftSkewMs.p50),
        ttftSkewP99Ms: m((r) => r.ttftSkewMs.p99),
        ttftSkewMaxMs: m((r) => r.ttftSkewMs.max),
        tokenSkewP50Ms: m((r) => r.tokenSkewMs.p50),
        tokenSkewP99Ms: m((r) => r.tokenSkewMs.p99),
        tokenSkewMaxMs: m((r) => r.tokenSkewMs.max),
        cpuUsPerToken: m((r) => r.cpuUsPerToken),
        simCpuUsPerToken: m((r) => r.simCpuUsPerToken),
        tokensPerSec: m((r) => r.tokensPerSec),
        memoryPerStreamKiB: m((r) => r.memoryPerStreamKiB),
      });
    }
  }
}
const startup = helpStartup();

const table = new Table({
  head: [
    'gap',
    'conc',
    'client',
    'err',
    'TTFT skew p50',
    'p99',
    'max',
    'token skew p50',
    'p99',
    'max',
    'CPU µs/tok',
    'sim µs/tok',
    'tok/s',
    'KiB/stream',
  ],
  style: { head: [], border: [] },
});
const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
for (const s of summary) {
  table.push([
    `${s.gapMs} ms`,
    s.concurrency,
    s.client,
    s.errors,
    f(s.ttftSkewP50Ms),
    f(s.ttftSkewP99Ms),
    f(s.ttftSkewMaxMs),
    f(s.tokenSkewP50Ms),
    f(s.tokenSkewP99Ms),
    f(s.tokenSkewMaxMs),
    f(s.cpuUsPerToken),
    f(s.simCpuUsPerToken),
    f(s.tokensPerSec, 0),
    f(s.memoryPerStreamKiB, 1),
  ]);
}
process.stdout.write(
  `${table.toString()}\nskew = client stamp − simulator write time (ms, monotonic clock); medians over ${REPETITIONS} repetition(s)\n`,
);
process.stdout.write(`swapbench --help: ${startup.medianMs.toFixed(0)} ms median (node -e 0: ${startup.nodeBaselineMs.toFixed(0)} ms)\n`);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify(
    {
      quick,
      at: new Date().toISOString(),
      machine: { node: process.version, platform: platform(), arch: arch(), cpus: cpus()[0]?.model, cpuCount: cpus().length },
      workload: { tokens: TOKENS, ttftMs: 5, gapsMs: GAPS_MS, concurrency: CONCURRENCY, repetitions: REPETITIONS },
      summary,
      helpStartup: startup,
      runs,
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`wrote ${out}\n`);
