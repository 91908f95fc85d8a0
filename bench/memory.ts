/**
 * Memory of a run against the number of requests: does the engine keep anything per request? Runs
 * `runBenchSuite` on the simulator with a store that counts samples and drops them, once with 10,000 and
 * once with 100,000 requests, and prints each run's peak RSS and its heap after GC. The engine streams
 * samples to the store and keeps only per-cell figures, so RSS(100k) should stay within 1.5 × RSS(10k).
 *
 *   node bench/memory.ts                      (after `pnpm build`)
 *   node bench/memory.ts --requests 10000,100000,300000
 *
 * Each run is a child process of its own (a fresh heap: RSS seldom shrinks once grown, so runs in one
 * process would mix), started with --expose-gc. The simulator runs in a third process: in the measured one
 * its sockets, buffers and scheduler would count in the RSS, and its CPU would slow the client down.
 *
 * Reading it: "heap after GC" is what the run still holds; peak RSS is mostly V8's room for garbage, which
 * grows with the allocation rate (at ~2,000 requests/s the heap reaches ~200 MB, half of it garbage), not
 * with the number of requests. Forcing a GC every 2 s during a 60,000-request run read 23–26 MB live heap
 * throughout (2026-11-30, 2-vCPU VM, Node 24).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMemoryStore, runBenchSuite, type Sample, type Store } from '@swapbench/core';
import { startSimulator } from '@swapbench/core/simulator';
import { createLlamaTransport } from '@swapbench/core/transports/llama';

const MODEL = 'bench-model';
const CONCURRENCY = 32;
const RSS_EVERY_MS = 100;
const SELF = fileURLToPath(import.meta.url);

/** What a measured child sends back. */
interface Figures {
  requests: number;
  status: string;
  measured: number;
  errors: number;
  stored: number;
  wallMs: number;
  rssBeforeBytes: number;
  peakRssBytes: number;
  heapAfterGcBytes: number | undefined;
}

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    url: { type: 'string' },
    requests: { type: 'string', default: '10000,100000' },
  },
});

if (args.role === 'sim') await serveSimulator();
else if (args.role === 'client') await measureRun(args.url!, Number(args.requests));
else await main(args.requests!.split(',').map(Number));

async function main(sizes: number[]): Promise<void> {
  const sim = fork(SELF, ['--role', 'sim'], { stdio: 'inherit' });
  try {
    const [{ url }] = (await once(sim, 'message')) as [{ url: string }];
    const rows: Figures[] = [];
    for (const requests of sizes) {
      const child = fork(SELF, ['--role', 'client', '--url', url, '--requests', String(requests)], {
        execArgv: [...process.execArgv, '--expose-gc'],
        stdio: 'inherit',
      });
      const figures = await reply<Figures>(child);
      rows.push(figures);
      process.stderr.write(`${requests} requests: peak RSS ${mb(figures.peakRssBytes)} MB in ${(figures.wallMs / 1000).toFixed(1)} s\n`);
    }
    printTable(rows);
  } finally {
    sim.kill();
  }
}

/** The simulator, as fast as it goes: no prompt time, no gap between tokens, a slot for every stream. */
async function serveSimulator(): Promise<void> {
  const sim = await startSimulator({
    mode: 'llama-server',
    groundTruth: false,
    closeAfterStream: false,
    seed: 1,
    models: [{ name: MODEL, ttftMs: 0, genTps: Number.POSITIVE_INFINITY, promptTps: 1e9, jitter: 0, slots: 1024, batchSlowdown: 0 }],
  });
  process.send!({ url: sim.url });
  process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
}

async function measureRun(url: string, requests: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, RSS_EVERY_MS);
  const { store, counted } = countingStore();
  const transport = createLlamaTransport({ baseUrl: url, kind: 'llama-server' });
  const t0 = performance.now();
  try {
    const result = await runBenchSuite(
      {
        name: 'memory',
        models: [MODEL],
        promptTokens: [16],
        maxTokens: [16],
        concurrency: [CONCURRENCY],
        requests,
        warmup: 0,
      },
      { transport, store },
    );
    const wallMs = performance.now() - t0;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    gc?.();
    const figures: Figures = {
      requests,
      status: result.status,
      measured: result.cells.reduce((a, c) => a + c.n, 0),
      errors: result.cells.reduce((a, c) => a + c.errors, 0),
      stored: counted(),
      wallMs,
      rssBeforeBytes: rssBefore,
      peakRssBytes: peakRss,
      heapAfterGcBytes: gc ? process.memoryUsage().heapUsed : undefined,
    };
    process.send!(figures);
  } finally {
    clearInterval(sampler);
    await transport.close();
    await store.close();
  }
  process.disconnect();
}

/** A real Store (the memory one) whose sample appends are counted and dropped: only the engine's memory is left. */
function countingStore(): { store: Store; counted: () => number } {
  const inner = createMemoryStore();
  let samples = 0;
  const store: Store = {
    ...inner,
    runs: {
      ...inner.runs,
      async appendSamples(_runId: string, batch: Sample[]) {
        samples += batch.length;
      },
    },
  };
  return { store, counted: () => samples };
}

async function reply<T>(child: ChildProcess): Promise<T> {
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the measured child exited with ${String(code)} before reporting`);
  });
  const [message] = (await Promise.race([once(child, 'message'), exited])) as [T];
  await once(child, 'exit');
  return message;
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1);
}

function printTable(rows: Figures[]): void {
  const header = ['requests', 'status', 'measured', 'stored', 'wall s', 'req/s', 'RSS before MB', 'peak RSS MB', 'heap after GC MB'];
  const lines = rows.map((r) => [
    String(r.requests),
    r.status,
    `${r.measured} (${r.errors} err)`,
    String(r.stored),
    (r.wallMs / 1000).toFixed(1),
    ((r.measured * 1000) / r.wallMs).toFixed(0),
    mb(r.rssBeforeBytes),
    mb(r.peakRssBytes),
    mb(r.heapAfterGcBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(format(header));
  for (const l of lines) console.log(format(l));
  const [first, last] = [rows[0]!, rows.at(-1)!];
  if (rows.length > 1) {
    const ratio = last.peakRssBytes / first.peakRssBytes;
    console.log(
      `\npeak RSS ${last.requests} / ${first.requests} requests: ${ratio.toFixed(2)}× (target ≤ 1.5×)` +
        (first.heapAfterGcBytes && last.heapAfterGcBytes
          ? `; heap after GC ${(last.heapAfterGcBytes / first.heapAfterGcBytes).toFixed(2)}×`
          : ''),
    );
  }
}
