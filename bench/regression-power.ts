/**
 * How well `compareRuns` tells a slowdown from noise, measured against the simulator (a script that prints
 * figures, not a test). For each seed, a baseline run and a candidate run on another seed whose generation
 * speed is lower by each slowdown level; at 3 and at 10 repetitions per cell. Prints, per level, how often the
 * candidate's gen t/s was called a regression, and at 0% how often any metric was (the false-alarm rate).
 *
 *   node bench/regression-power.ts [--seeds 20] [--levels 0,5,10,12.5,15,20,25] [--repetitions 3,10]   (after a build)
 */
import { parseArgs } from 'node:util';
import { type ComparedInput, compareRuns, createMemoryStore, runBenchSuite, type Sample } from '@swapbench/core';
import { startSimulator } from '@swapbench/core/simulator';
import { createLlamaTransport } from '@swapbench/core/transports/llama';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    levels: { type: 'string', default: '0,5,10,12.5,15,20,25' },
    repetitions: { type: 'string', default: '3,10' },
  },
});
const SEEDS = Number(values.seeds);
const LEVELS = values.levels.split(',').map(Number);
// Fast settings: 250 t/s with the simulator's default 5% jitter per token gap, 32 tokens, one stream.
const MODEL = { name: 'm1', genTps: 250, ttftMs: 20, promptTps: 8000, jitter: 0.05, slots: 1, loadMs: 0 };

async function measure(seed: number, repetitions: number, slowdown: number): Promise<ComparedInput> {
  const sim = await startSimulator({ mode: 'llama-server', seed, models: [{ ...MODEL, genTps: MODEL.genTps * (1 - slowdown) }] });
  const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1 });
  const store = createMemoryStore();
  try {
    const suite = { name: 'power', models: ['m1'], promptTokens: [64], maxTokens: [32], concurrency: [1], repetitions, warmup: 1 };
    const run = await runBenchSuite(suite, { transport, store });
    const samples: Sample[] = [];
    for await (const s of store.runs.samples(run.runId)) samples.push(s);
    return { run, samples };
  } finally {
    await transport.close();
    await sim.close();
  }
}

for (const repetitions of values.repetitions.split(',').map(Number)) {
  const tally = LEVELS.map(() => ({ gen: 0, inconclusive: 0, any: 0 }));
  for (let seed = 1; seed <= SEEDS; seed++) {
    // One baseline per seed, compared with a candidate per slowdown level (each on its own seed).
    const base = await measure(seed, repetitions, 0);
    for (const [i, level] of LEVELS.entries()) {
      const r = compareRuns(base, await measure(seed + 10_000 * (i + 1), repetitions, level / 100), { seed });
      const gen = r.cells[0]?.metrics.find((m) => m.metric === 'genTps');
      if (gen?.verdict === 'regression') tally[i]!.gen++;
      if (gen?.verdict === 'inconclusive') tally[i]!.inconclusive++;
      if (r.verdict === 'regression') tally[i]!.any++;
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const rate = (n: number) => `${((n / SEEDS) * 100).toFixed(0)}%`.padStart(5);
  console.log(`${repetitions} repetitions per cell (${SEEDS} seeds per level):`);
  for (const [i, t] of tally.entries())
    console.log(
      `  slowdown ${String(LEVELS[i]).padStart(5)}%: gen t/s regression ${rate(t.gen)}, inconclusive ${rate(t.inconclusive)}; any metric regression ${rate(t.any)}`,
    );
}
console.log('false-alarm rate = "any metric regression" at 0%; detected with 90% certainty = gen t/s regression ≥ 90%');
