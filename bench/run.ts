/**
 * `pnpm bench`: measure the measurer. Against the simulator (in its own process, on loopback), run four
 * clients in alternating order, each in its own process — swapbench's own path, a naive fetch client, bare undici
 * and a raw-socket floor — and report how late each stamps tokens (vs the simulator's ground-truth write times)
 * and what CPU it burns.
 *
 * It also measures each client's send path (issue #20), joining each request with the simulator's record by
 * response id. Each client says which clock reading starts its TTFT (t0) and what TTFT it reports:
 *   send latency         = simulator's arrival stamp (headers parsed) − client t0
 *   reported-TTFT error  = reported TTFT − true TTFT (simulator's first token write − arrival)
 * and checks issue #20's targets at gap 1 ms: swapbench against the floor.
 *
 *   node bench/run.ts            full run (~7 min), writes bench/results/latest.json
 *   node bench/run.ts --quick    smoke test (seconds), writes bench/results/quick.json
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import type { ClientRunOptions } from './clients/types.ts';
import type { ClientName, ClientProcessRun } from './client-process.ts';
import { distribution, median, type Distribution } from './stats.ts';
import { pinApart } from './pin.ts';
import { forkChild, forkSimulator, type ChildProcessAsk } from './sim-process-client.ts';
import { checkTargets, TARGET_GAP_MS } from './targets.ts';

const CLIENTS: readonly ClientName[] = ['floor', 'undici', 'naive', 'swapbench'];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    // Narrow a run down, e.g. to profile one setting: --concurrency 64 --gap 1 --clients swapbench
    concurrency: { type: 'string' },
    gap: { type: 'string' },
    clients: { type: 'string' },
    repetitions: { type: 'string' },
    // Leave the client and the simulator free to share a CPU (see pin.ts).
    'no-pin': { type: 'boolean', default: false },
  },
});
const list = (value: string | undefined): number[] | undefined => value?.split(',').map(Number);
const quick = args.quick ?? false;
const TOKENS = quick ? 32 : 256;
const GAPS_MS = list(args.gap) ?? (quick ? [1] : [1, 0]);
const CONCURRENCY = list(args.concurrency) ?? (quick ? [1, 8] : [1, 16, 64, 256, 1024]);
const REPETITIONS = Number(args.repetitions ?? (quick ? 1 : 3));
const CLIENT_NAMES = (args.clients?.split(',') ?? CLIENTS) as ClientName[];
for (const name of CLIENT_NAMES)
  if (!CLIENTS.includes(name)) throw new Error(`--clients: unknown client "${name}" (${CLIENTS.join(', ')})`);
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
  /** Simulator arrival − client t0, ms: how long after the client started the request the server saw it. */
  sendLatencyMs: Distribution;
  /** Reported TTFT − true TTFT (first token write − arrival), ms. */
  reportedTtftErrorMs: Distribution;
}

/** What the simulator process sends back per generation request (its `GroundTruthRequest`, trimmed). */
interface Truth {
  id: string;
  arrivedAt: bigint;
  tokenWrites: bigint[];
}

const { sim, ask } = forkSimulator();
const pinning = pinApart(sim.pid, !args['no-pin']);
process.stderr.write(
  pinning.pinned
    ? 'client and simulator main threads pinned to CPUs 0 and 1 (--no-pin to leave them free)\n'
    : `not pinned: ${pinning.reason}\n`,
);
// Each client in its own process (see client-process.ts), forked after pinning: it inherits this CPU.
const clientProcesses = new Map<ClientName, ChildProcessAsk>(CLIENT_NAMES.map((name) => [name, forkChild('./client-process.ts')]));

const runs: RunFigures[] = [];
try {
  for (const gapMs of GAPS_MS) {
    // gap 0: as fast as the simulator can write. No slowdown with load: the gap is the workload.
    const started = await ask<{ url: string }>(
      {
        type: 'start',
        options: {
          // llama-swap in front: connections stay open, as with llama-swap, vLLM and most servers. The bench
          // compares clients' overhead on equal terms (the floor is keep-alive only), not llama-server's habit
          // of closing after every stream (against which swapbench opens each stream's connection ahead).
          mode: 'llama-swap',
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
              loadMs: 0,
            },
          ],
        },
      },
      'started',
    );
    // Every client's code warm first: 640 short requests, 64 at a time, before any cell. V8 compiles code in
    // tiers as it is called; per-request code is called once a request, so one cell's unmeasured run left it
    // in the slower tiers (at 64 streams, swapbench's skew p99 fell run after run for about five runs).
    for (const client of CLIENT_NAMES)
      await runClient(client, { url: started.url, model: MODEL, maxTokens: 16, concurrency: 64, requests: quick ? 64 : 640 });
    for (const concurrency of CONCURRENCY) {
      // One unmeasured run of the cell per client first: a cold client compiles its code on V8's background
      // threads while it runs (charged to its CPU) and stamps its first tokens from unoptimised code. Without
      // it, the first repetition of the first cell measured JIT warm-up, which grows with a client's code.
      for (const client of CLIENT_NAMES) await warmUp(client, started.url, concurrency);
      for (let repetition = 0; repetition < REPETITIONS; repetition++) {
        // Alternate the order so no client always runs on a warmer (or more tired) machine.
        const order = rotate(CLIENT_NAMES, repetition);
        for (const client of order) {
          const { figures, firstError } = await measure(client, started.url, gapMs, concurrency, repetition);
          runs.push(figures);
          process.stderr.write(
            `gap ${gapMs} ms c${concurrency} rep ${repetition + 1} ${client.padEnd(9)} ttft skew p99 ${figures.ttftSkewMs.p99.toFixed(2)} ms, ` +
              `send p99 ${figures.sendLatencyMs.p99.toFixed(2)} ms, TTFT error p99 ${figures.reportedTtftErrorMs.p99.toFixed(2)} ms, ` +
              `${figures.cpuUsPerToken.toFixed(2)} µs/token, ${figures.errors} errors${firstError ? ` (first: ${firstError})` : ''}\n`,
          );
        }
      }
    }
  }
  sim.send({ type: 'stop' });
  await once(sim, 'exit');
} finally {
  if (sim.exitCode === null) sim.kill();
  for (const { sim: child } of clientProcesses.values()) {
    signal(child, 'SIGCONT');
    child.kill();
  }
}

async function warmUp(client: ClientName, url: string, concurrency: number): Promise<void> {
  await ask({ type: 'reset' }, 'reset');
  await runClient(client, { url, model: MODEL, maxTokens: TOKENS, concurrency, requests: requestsFor(concurrency) });
}

/**
 * One run of `client` in its process: its records, wall time and CPU (measured there). The other clients'
 * processes are stopped meanwhile: idle, V8 still collects and shrinks their heaps in the background, on the
 * measured client's CPU (at one stream, swapbench used 41.6–54.5 µs/token beside two idle clients, 35.9–37.2 with them stopped).
 */
async function runClient(client: ClientName, options: ClientRunOptions): Promise<ClientProcessRun> {
  for (const [name, { sim: child }] of clientProcesses) signal(child, name === client ? 'SIGCONT' : 'SIGSTOP');
  return clientProcesses.get(client)!.ask<ClientProcessRun>({ type: 'run', client, options }, 'ran');
}

function signal(child: ChildProcess, name: 'SIGSTOP' | 'SIGCONT'): void {
  if (process.platform !== 'win32' && child.exitCode === null) child.kill(name);
}

async function measure(
  client: ClientName,
  url: string,
  gapMs: number,
  concurrency: number,
  repetition: number,
): Promise<{ figures: RunFigures; firstError: string | undefined }> {
  await ask({ type: 'reset' }, 'reset');
  const options: ClientRunOptions = { url, model: MODEL, maxTokens: TOKENS, concurrency, requests: requestsFor(concurrency) };
  const { run, wallMs, cpuMicros } = await runClient(client, options);
  for (const r of run.records) if (r.tokenStampsMs) r.tokenStamps = r.tokenStampsMs.map((ms) => BigInt(Math.round(ms * 1e6)));
  const truth = await ask<{ groundTruth: Truth[]; cpuMicros: number }>({ type: 'collect' }, 'collected');
  const byId = new Map(truth.groundTruth.map((g) => [g.id, g]));
  const ttft: number[] = [];
  const perToken: number[] = [];
  const send: number[] = [];
  const ttftError: number[] = [];
  let tokens = 0;
  let errors = 0;
  let firstError: string | undefined;
  for (const record of run.records) {
    if (record.error) {
      errors++;
      firstError ??= record.error;
      if (process.env.BENCH_DEBUG) process.stderr.write(`error: ${record.error}\n`);
    }
    tokens += record.tokenStamps.length;
    const g = record.id === undefined ? undefined : byId.get(record.id);
    if (!g) continue;
    const writes = g.tokenWrites;
    if (record.t0Ms !== undefined) send.push(Number(g.arrivedAt) / 1e6 - record.t0Ms);
    if (record.reportedTtftMs !== undefined && writes[0] !== undefined)
      ttftError.push(record.reportedTtftMs - Number(writes[0] - g.arrivedAt) / 1e6);
    if (record.tokenStamps.length === 0) continue;
    const n = Math.min(writes.length, record.tokenStamps.length);
    for (let k = 0; k < n; k++) perToken.push(Number(record.tokenStamps[k]! - writes[k]!) / 1e6);
    ttft.push(Number(record.tokenStamps[0]! - writes[0]!) / 1e6);
  }
  const figures: RunFigures = {
    client,
    gapMs,
    concurrency,
    repetition,
    requests: options.requests,
    errors,
    tokens,
    wallMs,
    tokensPerSec: tokens / (wallMs / 1000),
    cpuUsPerToken: cpuMicros / Math.max(1, tokens),
    simCpuUsPerToken: truth.cpuMicros / Math.max(1, tokens),
    memoryPerStreamKiB: run.peakMemoryBytes / concurrency / 1024,
    ttftSkewMs: distribution(ttft),
    tokenSkewMs: distribution(perToken),
    sendLatencyMs: distribution(send),
    reportedTtftErrorMs: distribution(ttftError),
  };
  return { figures, firstError };
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
const summary = GAPS_MS.flatMap((gapMs) =>
  CONCURRENCY.flatMap((concurrency) =>
    CLIENT_NAMES.map((client) => {
      const rs = runs.filter((r) => r.client === client && r.gapMs === gapMs && r.concurrency === concurrency);
      const m = (f: (r: RunFigures) => number) => median(rs.map(f));
      return {
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
        sendLatencyP50Ms: m((r) => r.sendLatencyMs.p50),
        sendLatencyP99Ms: m((r) => r.sendLatencyMs.p99),
        sendLatencyMaxMs: m((r) => r.sendLatencyMs.max),
        reportedTtftErrorP50Ms: m((r) => r.reportedTtftErrorMs.p50),
        reportedTtftErrorP99Ms: m((r) => r.reportedTtftErrorMs.p99),
        reportedTtftErrorMaxMs: m((r) => r.reportedTtftErrorMs.max),
        cpuUsPerToken: m((r) => r.cpuUsPerToken),
        simCpuUsPerToken: m((r) => r.simCpuUsPerToken),
        tokensPerSec: m((r) => r.tokensPerSec),
        memoryPerStreamKiB: m((r) => r.memoryPerStreamKiB),
      };
    }),
  ),
);
const targets = checkTargets(summary);
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
  `${table.toString()}\nskew = client stamp − simulator write time (ms, monotonic clock); medians over ${REPETITIONS} repetition(s)\n\n`,
);

const sendTable = new Table({
  head: ['gap', 'conc', 'client', 'send latency p50', 'p99', 'max', 'reported-TTFT error p50', 'p99', 'max'],
  style: { head: [], border: [] },
});
for (const s of summary) {
  sendTable.push([
    `${s.gapMs} ms`,
    s.concurrency,
    s.client,
    f(s.sendLatencyP50Ms),
    f(s.sendLatencyP99Ms),
    f(s.sendLatencyMaxMs),
    f(s.reportedTtftErrorP50Ms),
    f(s.reportedTtftErrorP99Ms),
    f(s.reportedTtftErrorMaxMs),
  ]);
}
process.stdout.write(
  `${sendTable.toString()}\nsend latency = simulator arrival (headers parsed) − client's TTFT start; ` +
    'reported-TTFT error = client-reported TTFT − (first token write − arrival); ms\n\n',
);

const targetTable = new Table({
  head: ['target (swapbench)', 'conc', 'swapbench', 'floor', 'limit', 'met', 'bare undici', 'undici met'],
  style: { head: [], border: [] },
});
for (const t of targets) {
  targetTable.push([
    t.target,
    t.concurrency ?? '-',
    f(t.value ?? Number.NaN),
    f(t.floor ?? Number.NaN),
    f(t.limit ?? Number.NaN),
    t.met === null ? `skipped: ${t.skipped}` : t.met ? 'yes' : 'no',
    f(t.undici ?? Number.NaN),
    t.undiciMet === undefined ? '-' : t.undiciMet ? 'yes' : 'no',
  ]);
}
process.stdout.write(`targets of issue #20, gap ${TARGET_GAP_MS} ms (ms; CPU in µs/token)\n${targetTable.toString()}\n`);
process.stdout.write(`swapbench --help: ${startup.medianMs.toFixed(0)} ms median (node -e 0: ${startup.nodeBaselineMs.toFixed(0)} ms)\n`);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify(
    {
      quick,
      at: new Date().toISOString(),
      machine: { node: process.version, platform: platform(), arch: arch(), cpus: cpus()[0]?.model, cpuCount: cpus().length, pinning },
      workload: { tokens: TOKENS, ttftMs: 5, gapsMs: GAPS_MS, concurrency: CONCURRENCY, repetitions: REPETITIONS },
      summary,
      targets,
      helpStartup: startup,
      runs,
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`wrote ${out}\n`);
