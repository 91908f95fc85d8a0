/**
 * Crash safety of the file store, with a real process killed by SIGKILL while it appends, and with a
 * samples file cut mid-line as a crash during a write (or a power cut) leaves it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SwapbenchError } from '../../src/errors/index.js';
import type { Sample } from '../../src/result/types.js';
import { openFileStore } from '../../src/store/file/index.js';
import type { Store } from '../../src/store/store.js';
import { makeRun, makeSample } from '../contracts/store.contract.js';

const HOOKS = new URL('./fixtures/file-ts-hooks.mjs', import.meta.url).href;
const WRITER = fileURLToPath(new URL('./fixtures/file-crash-writer.ts', import.meta.url));

/** A measured sample as the engine stores it for 256 generated tokens: 255 ITL gaps. */
function realisticSample(runId: string, seq: number): Sample {
  const itlMs = Array.from({ length: 255 }, (_, i) => 11.5 + ((i * 7919) % 100) / 100);
  return makeSample(runId, seq, { maxTokens: 256, outputTokens: 256, itlMs, requestId: `req-${seq}`, queueMs: 0.04 });
}

async function readAll(store: Store, runId: string): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of store.runs.samples(runId)) out.push(s);
  return out;
}

let dir: string;
const opened: Store[] = [];
const open = async (onWarning?: (w: SwapbenchError) => void, at = dir) => {
  const store = await openFileStore(at, onWarning ? { onWarning } : {});
  opened.push(store);
  return store;
};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-file-crash-'));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('file store crash safety', () => {
  it('keeps every batch appended before a SIGKILL, and shows the run interrupted when opened again', async () => {
    const runId = 'killed-run';
    const batchSize = 40;
    const input = join(dir, 'input.json');
    await writeFile(input, JSON.stringify({ run: makeRun(runId), sample: realisticSample(runId, 0), batchSize }));
    const store = join(dir, 'store');
    const child = spawn(process.execPath, ['--import', HOOKS, WRITER, store, input], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = once(child, 'exit');
    // Kill it once it has confirmed a few batches; it is appending the next one as the signal lands.
    let acked = -1;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line) acked = Number(line);
        if (acked >= 8) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      exited.then(() => reject(new Error(`writer exited early: ${stderr}`)), reject);
    });
    const [code, signal] = await exited;
    expect([code, signal]).toEqual([null, 'SIGKILL']);

    const warnings: SwapbenchError[] = [];
    const reopened = await open((w) => warnings.push(w), store);
    const samples = await readAll(reopened, runId);
    // Every confirmed batch is there, in order. Of the batch in flight, the kernel may have written part
    // (a write stops at a fatal signal): its whole lines are kept, a cut last line is skipped and reported.
    expect(samples.length).toBeGreaterThanOrEqual((acked + 1) * batchSize);
    expect(samples.map((s) => s.seq)).toEqual(samples.map((_, i) => i));
    expect(samples[samples.length - 1]).toEqual({ ...realisticSample(runId, 0), seq: samples.length - 1 });
    expect(warnings.every((w) => /:\d+: cut off: its writer stopped mid-line; line skipped$/.test(w.message))).toBe(true);
    expect(warnings.length).toBeLessThanOrEqual(1);
    // Opening ran recoverInterrupted: the writer's pid is gone.
    expect((await reopened.runs.get(runId))?.status).toBe('interrupted');
    expect((await reopened.runs.list({ status: 'interrupted' })).items.map((r) => r.runId)).toEqual([runId]);
  });

  it('keeps the lines before a line cut mid-write, reports the cut line, and appends after it', async () => {
    const store = await open();
    await store.runs.create(makeRun('cut'));
    await store.runs.appendSamples('cut', [realisticSample('cut', 0), realisticSample('cut', 1)]);
    await store.runs.appendSamples('cut', [realisticSample('cut', 2)]);
    await store.close();
    // The crash: the last batch's line stops half way.
    const file = join(dir, 'runs', 'cut.samples.jsonl');
    const size = (await stat(file)).size;
    const lastLine = JSON.stringify(realisticSample('cut', 2)).length + 1;
    await truncate(file, size - Math.floor(lastLine / 2));

    const warnings: SwapbenchError[] = [];
    const reopened = await open((w) => warnings.push(w));
    // While the run is `running`, an unfinished last line is the append in progress: skipped quietly.
    expect((await readAll(reopened, 'cut')).map((s) => s.seq)).toEqual([0, 1]);
    expect(warnings).toEqual([]);
    // Its writer gone (this test's own process stands in for it), the cut line is reported.
    expect(await reopened.runs.recoverInterrupted({ force: true })).toEqual(['cut']);
    expect((await readAll(reopened, 'cut')).map((s) => s.seq)).toEqual([0, 1]);
    expect(warnings.map((w) => [w.code, w.message])).toEqual([
      ['CORRUPT_RECORD', `${file}:4: cut off: its writer stopped mid-line; line skipped`],
    ]);

    // A later append starts on a new line: the cut line stays one bad line and takes no sample with it.
    await reopened.runs.appendSamples('cut', [realisticSample('cut', 3)]);
    warnings.length = 0;
    expect((await readAll(reopened, 'cut')).map((s) => s.seq)).toEqual([0, 1, 3]);
    expect(warnings.map((w) => w.message)).toEqual([`${file}:4: not valid JSON; line skipped`]);
  });

  it('skips a hand-broken line in the middle, naming its file and line, and keeps the rest', async () => {
    const store = await open();
    await store.runs.create(makeRun('edited'));
    await store.runs.appendSamples('edited', [makeSample('edited', 0)]);
    const file = join(dir, 'runs', 'edited.samples.jsonl');
    await appendFile(file, '{"runId": "edited", "seq": 1, oops\n[1, 2]\n');
    await store.runs.appendSamples('edited', [makeSample('edited', 2)]);

    const warnings: SwapbenchError[] = [];
    const reader = await open((w) => warnings.push(w));
    expect((await readAll(reader, 'edited')).map((s) => s.seq)).toEqual([0, 2]);
    expect(warnings.map((w) => w.message)).toEqual([`${file}:3: not valid JSON; line skipped`, `${file}:4: not a sample; line skipped`]);
    expect((await readFile(file, 'utf8')).split('\n')[0]).toBe('{"formatVersion":1}');
  });
});
