/**
 * Load test of the simulator: many concurrent streams on its one timer. The simulator runs in a child process
 * (so the client's work is not its own); this process opens every stream at once over keep-alive sockets.
 * For each token the simulator wrote, it compares the write time in the ground-truth log with the time the
 * simulator planned for it (the response's own `timings`: `prompt_ms`, then one gap per token after the
 * receipt of the request), and prints how late the writes were. It exits 1 if any token was written before
 * its planned time (beyond the scheduler's 0.05 ms and a 0.05 ms margin for clock reads), or any stream failed.
 * Lateness is printed, never judged: it depends on the machine.
 *
 *   npx -y pnpm@12 build && node bench/simulator-load.ts [--streams 1000] [--tokens 6] [--gen-tps 5]
 *
 * The unit suite keeps the same correctness check at 20 streams (packages/core/test/simulator/timing.test.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SimulatorOptions, SimulatorStats } from '@swapbench/core/simulator';

/** How early a write may be, ms: the scheduler serves a timer up to 0.05 ms early, plus clock-read slack. */
const EARLY_TOLERANCE_MS = 0.1;

/** What the child sends back: the ground truth it kept, and the CPU it used. */
interface Collected {
  groundTruth: { id: string; receivedAt: bigint; tokenWrites: bigint[] }[];
  stats: SimulatorStats;
  cpuMicros: number;
}

type ToChild = { type: 'start'; options: SimulatorOptions } | { type: 'collect' } | { type: 'stop' };

if (process.argv.includes('--serve')) await serve();
else await main();

/** The child: a simulator driven over IPC. */
async function serve(): Promise<void> {
  const { startSimulator } = await import('@swapbench/core/simulator');
  let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
  let cpu = process.cpuUsage();
  process.on('message', async (message: ToChild) => {
    if (message.type === 'start') {
      sim = await startSimulator(message.options);
      cpu = process.cpuUsage();
      process.send!({ type: 'started', url: sim.url, port: sim.port });
    } else if (message.type === 'collect') {
      const used = process.cpuUsage(cpu);
      const groundTruth = sim!.groundTruth.map((g) => ({ id: g.id, receivedAt: g.receivedAt, tokenWrites: g.tokenWrites }));
      const collected: Collected = { groundTruth, stats: sim!.stats(), cpuMicros: used.user + used.system };
      process.send!(collected);
    } else {
      await sim?.close();
      process.exit(0);
    }
  });
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      streams: { type: 'string', default: '1000' },
      tokens: { type: 'string', default: '6' },
      'gen-tps': { type: 'string', default: '5' },
    },
  });
  const streams = Number(args.streams);
  const tokens = Number(args.tokens);
  const genTps = Number(args['gen-tps']);
  if (!(streams >= 1 && tokens >= 2 && genTps > 0)) throw new Error('--streams ≥ 1, --tokens ≥ 2 and --gen-tps > 0, please');

  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { serialization: 'advanced', stdio: 'inherit' });
  const ask = async <T>(message: ToChild): Promise<T> => {
    const reply = once(child, 'message');
    child.send(message);
    return ((await reply) as [T])[0];
  };
  try {
    const { port } = await ask<{ port: number }>({
      type: 'start',
      // One slot per stream, no batch slowdown and no jitter: every stream's plan is the same fixed cadence.
      options: { mode: 'llama-server', models: [{ name: 'm', genTps, ttftMs: 0, slots: streams, batchSlowdown: 0, jitter: 0 }] },
    });
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const bodies = await openStreams(port, streams, tokens);
    const wallMs = performance.now() - t0;
    const clientCpu = process.cpuUsage(cpu);
    const collected = await ask<Collected>({ type: 'collect' });
    const failures = report({ bodies, collected, streams, tokens, genTps, wallMs, clientCpuMicros: clientCpu.user + clientCpu.system });
    process.exitCode = failures > 0 ? 1 : 0;
  } finally {
    await stop(child);
  }
}

/** Open `n` streams at once on keep-alive sockets; resolve with each body (or its error). */
async function openStreams(port: number, n: number, tokens: number): Promise<(string | Error)[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const body = JSON.stringify({
    model: 'm',
    messages: [{ role: 'user', content: 'Tell me a story about a fox.' }],
    max_tokens: tokens,
    stream: true,
    stream_options: { include_usage: true },
    ignore_eos: true,
  });
  const one = () =>
    new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve(text));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  try {
    return await Promise.all(Array.from({ length: n }, one));
  } finally {
    agent.destroy();
  }
}

interface Final {
  id: string;
  timings: { prompt_ms: number; predicted_n: number; predicted_ms: number };
}

/** The last event of a stream that carries timings, if the stream ended with [DONE]. */
function finalOf(body: string): Final | undefined {
  const lines = body.split('\n').filter((l) => l.startsWith('data: '));
  if (lines.at(-1) !== 'data: [DONE]') return undefined;
  for (let i = lines.length - 2; i >= 0; i--) {
    const event = JSON.parse(lines[i]!.slice(6)) as Partial<Final>;
    if (event.timings && typeof event.id === 'string') return event as Final;
  }
  return undefined;
}

/** Print the figures; return how many problems were found (early writes and failed streams). */
function report(r: {
  bodies: (string | Error)[];
  collected: Collected;
  streams: number;
  tokens: number;
  genTps: number;
  wallMs: number;
  clientCpuMicros: number;
}): number {
  const truthById = new Map(r.collected.groundTruth.map((g) => [g.id, g]));
  const lateness: number[] = [];
  const early: string[] = [];
  const failed: string[] = [];
  for (const body of r.bodies) {
    if (body instanceof Error) {
      failed.push(body.message);
      continue;
    }
    const final = finalOf(body);
    const truth = final && truthById.get(final.id);
    if (!final || !truth || truth.tokenWrites.length !== r.tokens) {
      failed.push(
        final ? `${final.id}: ${truth?.tokenWrites.length ?? 'no'} token writes of ${r.tokens}` : 'stream without final timings or [DONE]',
      );
      continue;
    }
    const { prompt_ms: promptMs, predicted_n: n, predicted_ms: predictedMs } = final.timings;
    const gap = predictedMs / (n - 1);
    truth.tokenWrites.forEach((at, k) => {
      const late = Number(at - truth.receivedAt) / 1e6 - (promptMs + k * gap);
      lateness.push(late);
      if (late < -EARLY_TOLERANCE_MS) early.push(`${final.id} token ${k}: ${(-late).toFixed(3)} ms early`);
    });
  }
  const sorted = Float64Array.from(lateness).sort();
  // Nearest rank.
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(`simulator load: ${r.streams} streams × ${r.tokens} tokens at ${r.genTps} tok/s (a token every ${ms(1000 / r.genTps)})`);
  console.log(`  completed     ${r.streams - failed.length}/${r.streams} streams, ${lateness.length} tokens, in ${ms(r.wallMs)}`);
  console.log(`  concurrency   peak ${r.collected.stats.peakActive} streams generating at once`);
  console.log(`  lateness      p50 ${ms(at(0.5))}  p90 ${ms(at(0.9))}  p99 ${ms(at(0.99))}  max ${ms(at(1))}  (write time − planned time)`);
  console.log(`  earliest      ${ms(at(0))}  (a write more than ${EARLY_TOLERANCE_MS} ms before its plan fails the run)`);
  console.log(`  cpu           simulator ${ms(r.collected.cpuMicros / 1000)}, client ${ms(r.clientCpuMicros / 1000)}`);
  for (const line of early.slice(0, 10)) console.error(`EARLY ${line}`);
  for (const line of failed.slice(0, 10)) console.error(`FAILED ${line}`);
  if (early.length > 0) console.error(`${early.length} token(s) written before their time`);
  if (failed.length > 0) console.error(`${failed.length} stream(s) failed`);
  return early.length + failed.length;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.send({ type: 'stop' } satisfies ToChild);
  await exited;
}
