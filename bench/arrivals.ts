import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { computeStats, createMemoryStore, runBenchSuite, type Sample } from '@swapbench/core';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { forkSimulator } from './sim-process-client.ts';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '5000' },
    arrivals: { type: 'string', default: 'poisson' },
    seed: { type: 'string', default: '1' },
  },
});
const RATE = Number(args.rate);
const REQUESTS = Number(args.requests);
const ARRIVALS = args.arrivals === 'constant' ? 'constant' : 'poisson';
const MODEL = 'bench-model';
/** In flight at once: each request lasts ~10 ms at the server, so ~10 are in flight at 1,000/s; room for bursts. */
const MAX_IN_FLIGHT = 128;

const hrClock = () => Number(process.hrtime.bigint()) / 1e6;

const { sim, ask } = forkSimulator();

try {
  // llama-swap mode keeps connections open (as most servers do); slots enough that nothing queues there.
  const { url } = await ask<{ url: string }>(
    {
      type: 'start',
      options: {
        mode: 'llama-swap',
        seed: 1,
        initiallyLoaded: MODEL,
        models: [{ name: MODEL, ttftMs: 2, genTps: 2000, promptTps: 1_000_000, slots: 256, jitter: 0, batchSlowdown: 0 }],
      },
    },
    'started',
  );
  const transport = createLlamaTransport({ baseUrl: url, kind: 'llama-swap', connections: MAX_IN_FLIGHT, clock: hrClock });
  const store = createMemoryStore();
  await ask({ type: 'reset' }, 'reset');
  const cpu = process.cpuUsage();
  const result = await runBenchSuite(
    {
      name: 'arrivals',
      models: [MODEL],
      promptTokens: [16],
      maxTokens: [4],
      concurrency: [],
      rate: [RATE],
      arrivals: ARRIVALS,
      seed: Number(args.seed),
      requests: REQUESTS,
      maxConcurrency: MAX_IN_FLIGHT,
      warmup: 1,
      calibrate: false,
    },
    { transport, store, clock: hrClock, timelines: true, foreignProbeMs: 0 },
  );
  const clientCpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
  await transport.close();
  const truth = await ask<{ groundTruth: Array<{ id: string; arrivedAt: bigint }> }>({ type: 'collect' }, 'collected');
  const arrivedAt = new Map(truth.groundTruth.map((g) => [g.id, Number(g.arrivedAt) / 1e6]));

  const measured: Sample[] = [];
  for await (const s of store.runs.samples(result.runId)) if (s.phase === 'measured') measured.push(s);
  const clientLag: number[] = [];
  const serverLag: number[] = [];
  for (const s of measured) {
    if (s.scheduleLagMs === undefined || !s.timeline) continue;
    clientLag.push(s.scheduleLagMs);
    const due = s.timeline.startAt - s.scheduleLagMs;
    const at = s.responseId === undefined ? undefined : arrivedAt.get(s.responseId);
    if (at !== undefined) serverLag.push(at - due);
  }
  const cell = result.cells[0]!;
  const fmt = (v: number | null | undefined, digits = 2) => (v == null ? '—' : v.toFixed(digits));
  const row = (name: string, values: number[]) => {
    const st = computeStats(values);
    console.log(
      `${name.padEnd(34)} n ${String(values.length).padStart(6)}  p50 ${fmt(st.p50)} ms  p90 ${fmt(st.p90)} ms  p99 ${fmt(st.p99)} ms  max ${fmt(st.max)} ms`,
    );
  };
  console.log(`rate ${RATE}/s ${ARRIVALS}, ${REQUESTS} requests, status ${result.status}, errors ${cell.errors}`);
  console.log(
    `offered ${fmt(cell.load?.offeredRps, 1)}/s, achieved ${fmt(cell.load?.achievedRps, 1)}/s, late (> 5 ms) ${cell.load?.late} ` +
      `(${fmt(((cell.load?.late ?? 0) / cell.n) * 100, 2)}%), client CPU ${fmt(clientCpuMs / (cell.wallMs / 1000) / 10, 1)}% of one core`,
  );
  row('arrival error at the client', clientLag);
  row('arrival error at the server', serverLag);
  console.log(
    `event loop during the cell: p99 ${fmt(cell.client.eventLoopDelayP99Ms)} ms, max ${fmt(cell.client.eventLoopDelayMaxMs)} ms; ` +
      `client saturated: ${cell.client.saturated}`,
  );
} finally {
  sim.send({ type: 'stop' });
  await once(sim, 'exit');
}
