import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMemoryStore, runBenchSuite, type Sample } from '@swapbench/core';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { distribution, median, type Distribution } from './stats.ts';
import { forkSimulator } from './sim-process-client.ts';

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '256,1024' },
    workers: { type: 'string', default: '2' },
    repetitions: { type: 'string', default: '3' },
    tokens: { type: 'string', default: '256' },
    out: { type: 'string' },
  },
});
const CONCURRENCY = args.concurrency!.split(',').map(Number);
const WORKERS = [
  1,
  ...args
    .workers!.split(',')
    .map(Number)
    .filter((w) => w !== 1),
];
const REPETITIONS = Number(args.repetitions);
const TOKENS = Number(args.tokens);
const MODEL = 'bench-model';
const out = args.out ?? fileURLToPath(new URL('./results/workers.json', import.meta.url));

/** ms on the hrtime clock (the simulator's): `performance.now()` plus a constant, as workers require. */
const HR_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const hrClock = (): number => performance.now() + HR_OFFSET_MS;

interface Truth {
  id: string;
  arrivedAt: bigint;
  tokenWrites: bigint[];
}

const { sim, ask } = forkSimulator();

interface RunFigures {
  concurrency: number;
  workers: number;
  repetition: number;
  requests: number;
  errors: number;
  reportedTtftErrorMs: Distribution;
  ttftSkewMs: Distribution;
  sendLatencyMs: Distribution;
  cpuUsPerToken: number;
  saturated: boolean;
  loopP99Ms: number | null;
  clientWaitRequests: number;
}

const runs: RunFigures[] = [];
try {
  const { url } = await ask<{ url: string }>(
    {
      type: 'start',
      options: {
        mode: 'llama-swap',
        seed: 1,
        models: [{ name: MODEL, ttftMs: 5, genTps: 1000, promptTps: 1e9, jitter: 0, slots: 4096, batchSlowdown: 0, loadMs: 0 }],
      },
    },
    'started',
  );
  for (const concurrency of CONCURRENCY) {
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      // Alternate which setting goes first: neither always runs on a warmer (or busier) machine.
      const order = repetition % 2 === 0 ? WORKERS : [...WORKERS].reverse();
      for (const workers of order) {
        const figures = await measure(url, concurrency, workers, repetition);
        runs.push(figures);
        process.stderr.write(
          `c${concurrency} workers ${workers} rep ${repetition + 1}: TTFT error p50 ${figures.reportedTtftErrorMs.p50.toFixed(2)} ` +
            `p99 ${figures.reportedTtftErrorMs.p99.toFixed(2)} ms, skew p99 ${figures.ttftSkewMs.p99.toFixed(2)} ms, ` +
            `send p99 ${figures.sendLatencyMs.p99.toFixed(2)} ms, ` +
            `${figures.cpuUsPerToken.toFixed(2)} µs/token, loop p99 ${figures.loopP99Ms?.toFixed(1) ?? '-'} ms, ` +
            `client-wait ${figures.clientWaitRequests}, ${figures.errors} errors\n`,
        );
      }
    }
  }
  sim.send({ type: 'stop' });
  await once(sim, 'exit');
} finally {
  if (sim.exitCode === null) sim.kill();
}

async function measure(url: string, concurrency: number, workers: number, repetition: number): Promise<RunFigures> {
  await ask({ type: 'reset' }, 'reset');
  const transport = createLlamaTransport({ baseUrl: url, kind: 'llama-swap', clock: hrClock });
  const store = createMemoryStore();
  const cpu0 = process.cpuUsage();
  try {
    const result = await runBenchSuite(
      {
        name: 'workers',
        models: [MODEL],
        promptTokens: [32],
        maxTokens: [TOKENS],
        concurrency: [32, concurrency],
        repetitions: 2,
        warmup: 0,
        calibrate: false,
        workers,
      },
      { transport, store, timelines: true, workerTransport: { baseUrl: url, kind: 'llama-swap' } },
    );
    const cpu = process.cpuUsage(cpu0);
    const truth = await ask<{ groundTruth: Truth[] }>({ type: 'collect' }, 'collected');
    const byId = new Map(truth.groundTruth.map((g) => [g.id, g]));
    const samples: Sample[] = [];
    for await (const s of store.runs.samples(result.runId)) if (s.phase === 'measured' && s.concurrency === concurrency) samples.push(s);
    const error: number[] = [];
    const skew: number[] = [];
    const send: number[] = [];
    let tokens = 0;
    for (const s of samples) {
      tokens += s.outputTokens;
      const g = s.responseId === undefined ? undefined : byId.get(s.responseId);
      const first = g?.tokenWrites[0];
      if (!g || first === undefined || s.ttftMs === undefined) continue;
      error.push(s.ttftMs - Number(first - g.arrivedAt) / 1e6);
      const stamp = s.timeline?.tokenAt[0];
      if (stamp !== undefined) skew.push(stamp - Number(first) / 1e6);
      const sentAt = s.timeline?.sentAt;
      if (sentAt !== undefined) send.push(Number(g.arrivedAt) / 1e6 - sentAt);
    }
    const cell = result.cells.find((c) => c.concurrency === concurrency);
    return {
      concurrency,
      workers,
      repetition,
      requests: samples.length,
      errors: samples.filter((s) => !s.ok).length,
      reportedTtftErrorMs: distribution(error),
      ttftSkewMs: distribution(skew),
      sendLatencyMs: distribution(send),
      // Both cells' CPU over the measured cell's tokens: the same overcount for either setting.
      cpuUsPerToken: (cpu.user + cpu.system) / Math.max(1, tokens),
      saturated: cell?.client.saturated ?? false,
      loopP99Ms: cell?.client.eventLoopDelayP99Ms ?? null,
      clientWaitRequests: cell?.client.clientWaitRequests ?? 0,
    };
  } finally {
    await transport.close();
    await store.close();
  }
}

const summary = CONCURRENCY.flatMap((concurrency) =>
  WORKERS.map((workers) => {
    const rs = runs.filter((r) => r.concurrency === concurrency && r.workers === workers);
    const m = (f: (r: RunFigures) => number) => median(rs.map(f));
    return {
      concurrency,
      workers,
      repetitions: rs.length,
      reportedTtftErrorP50Ms: m((r) => r.reportedTtftErrorMs.p50),
      reportedTtftErrorP99Ms: m((r) => r.reportedTtftErrorMs.p99),
      ttftSkewP99Ms: m((r) => r.ttftSkewMs.p99),
      sendLatencyP99Ms: m((r) => r.sendLatencyMs.p99),
      cpuUsPerToken: m((r) => r.cpuUsPerToken),
      errors: rs.reduce((a, r) => a + r.errors, 0),
    };
  }),
);
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
process.stdout.write('conc  workers  TTFT error p50  p99      skew p99  send p99  CPU µs/tok  (medians, ms)\n');
for (const s of summary)
  process.stdout.write(
    `${String(s.concurrency).padEnd(6)}${String(s.workers).padEnd(9)}${f(s.reportedTtftErrorP50Ms).padEnd(16)}` +
      `${f(s.reportedTtftErrorP99Ms).padEnd(9)}${f(s.ttftSkewP99Ms).padEnd(10)}${f(s.sendLatencyP99Ms).padEnd(10)}${f(s.cpuUsPerToken)}\n`,
  );
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus()[0]?.model, availableParallelism: availableParallelism() },
      workload: { tokens: TOKENS, gapMs: 1, ttftMs: 5, concurrency: CONCURRENCY, workers: WORKERS, repetitions: REPETITIONS },
      summary,
      runs,
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`wrote ${out}\n`);
