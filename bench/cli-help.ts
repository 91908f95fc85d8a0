/**
 * How fast `swapbench --help` starts: the built CLI run N times as a fresh Node process, against `node -e 0`
 * (the floor: Node's own start-up) measured in alternation, so a busy moment hits both. Target: median under
 * 150 ms. The first run fills Node's compile cache (bin.ts enables it), so it is reported on its own.
 *
 *   node bench/cli-help.ts [--runs 30]      (after a build)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const TARGET_MS = 150;

/** Wall time of one process from spawn to exit, ms. */
function time(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return ms;
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const first = time([BIN, '--help']);
const help: number[] = [];
const floor: number[] = [];
for (let i = 0; i < runs; i++) {
  help.push(time([BIN, '--help']));
  floor.push(time(['-e', '0']));
}
help.sort((a, b) => a - b);
floor.sort((a, b) => a - b);

const row = (name: string, xs: number[]) =>
  `${name.padEnd(18)} median ${pct(xs, 0.5).toFixed(1).padStart(6)} ms   p90 ${pct(xs, 0.9).toFixed(1).padStart(6)} ms   min ${xs[0]!.toFixed(1).padStart(6)} ms`;
console.log(`Node ${process.version}, ${runs} runs each (after one first run of ${first.toFixed(1)} ms)`);
console.log(row('swapbench --help', help));
console.log(row('node -e 0', floor));
const median = pct(help, 0.5);
console.log(
  `swapbench's own start-up: ${(median - pct(floor, 0.5)).toFixed(1)} ms over Node's; median ${median.toFixed(1)} ms ` +
    (median < TARGET_MS ? `is under the ${TARGET_MS} ms target` : `is OVER the ${TARGET_MS} ms target`),
);
