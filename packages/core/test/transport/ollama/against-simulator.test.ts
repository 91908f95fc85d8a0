/**
 * The whole path over real loopback HTTP in Ollama's terms: engine → Ollama transport → the simulator in
 * `ollama` mode. Sizes are checked against the simulator's ground truth, server figures against what it
 * reported, cold starts and swaps against the loads it really did.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import type { Sample } from '../../../src/result/types.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { createMemoryStore } from '../../../src/store/memory/index.js';
import { connectLlamaTransport, createLlamaTransport } from '../../../src/transport/llama/index.js';
import { createOllamaTransport } from '../../../src/transport/ollama/index.js';
import { storedSamples, suite } from '../../engine/helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** The simulator stamps on process.hrtime: the same clock here, so the two records compare. */
const hrClock = () => Number(process.hrtime.bigint()) / 1e6;
const ms = (t: bigint) => Number(t) / 1e6;
/** How much later than the simulator's schedule a client may see an event on a busy 2-core machine. */
const LATE_MS = 250;

const MODELS = [
  { name: 'llama3.2:1b', genTps: 2000, ttftMs: 2, loadMs: 150, jitter: 0 },
  { name: 'qwen3:8b', genTps: 2000, ttftMs: 2, loadMs: 90, jitter: 0 },
];

describe('the Ollama transport against the simulator in Ollama mode', () => {
  it('is detected as ollama by the llama transport, and lists models with their load state', async () => {
    sim = await startSimulator({ mode: 'ollama', models: MODELS, initiallyLoaded: 'qwen3:8b' });
    const connected = await connectLlamaTransport({ baseUrl: sim.url });
    expect(connected.kind).toBe('ollama');
    expect(await connected.listModels()).toMatchObject([
      { id: 'llama3.2:1b', loaded: false },
      { id: 'qwen3:8b', loaded: true },
    ]);
    await connected.close();
    // The lazy facade detects on its first call, then drops what Ollama lacks (tokenizer, slots).
    const auto = createLlamaTransport({ baseUrl: sim.url });
    expect(await auto.runningModels!()).toEqual(['qwen3:8b']);
    expect(auto.kind).toBe('ollama');
    expect(auto.tokenize).toBeUndefined();
    await auto.close();
  });

  it('measures exact prompt sizes, Ollama’s own figures, cold starts and swap times', async () => {
    sim = await startSimulator({ mode: 'ollama', seed: 3, models: MODELS });
    const transport = createOllamaTransport({ baseUrl: sim.url, connections: 2, clock: hrClock });
    const store = createMemoryStore();
    const result = await runBenchSuite(
      suite({ models: ['llama3.2:1b', 'qwen3:8b'], promptTokens: [20, 100], maxTokens: [8], concurrency: [1, 2], warmup: 1, swaps: 1 }),
      { transport, store, clock: hrClock },
    );
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.environment.server?.kind).toBe('ollama');
    // No tokenizer route: sized by one-token probes, reading Ollama's prompt_eval_count.
    for (const c of result.calibration) expect(c).toMatchObject({ method: 'tokenizer', countedBy: 'usage' });
    const samples = await storedSamples(store, result.runId);
    const truthOf = (s: Sample) => {
      const truth = sim!.groundTruth.find((g) => g.requestId === s.requestId);
      if (!truth) throw new Error(`no ground truth for ${s.requestId}`);
      return truth;
    };
    const measured = samples.filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(2 * 2 * (1 + 2) * 2);
    for (const s of measured) {
      expect(s.ok).toBe(true);
      // Exact: what the simulator evaluated is what the cell asked for, and what Ollama reported.
      expect(truthOf(s).promptTokens).toBe(s.promptTokens);
      expect(s.promptTokensActual).toBe(s.promptTokens);
      expect(s.flags.filter((f) => f !== 'client-wait' && f !== 'length-mismatch')).toEqual([]);
      // Server figures come from Ollama's nanosecond durations.
      expect(s.server.source).toBe('ollama');
      expect(s.server.generatedTokens).toBe(truthOf(s).predictedTokens);
      // Ollama has no ignore_eos: a request may stop early, its EOS in the server's count but not in the text.
      const eos = s.finishReason === 'stop' ? 1 : 0;
      expect(s.server.generatedTokens).toBe(s.outputTokens + eos);
      expect(s.server.promptMs).toBeGreaterThan(0);
      expect(s.server.generationMs).toBeGreaterThan(0);
    }
    // Both models were cold when the run began; each cold request waited for its load.
    expect(result.coldStarts.map((c) => [c.model, c.loadedBefore])).toEqual([
      ['llama3.2:1b', false],
      ['qwen3:8b', false],
    ]);
    for (const [i, c] of result.coldStarts.entries()) expect(c.coldStartMs!).toBeGreaterThanOrEqual(MODELS[i]!.loadMs);
    // Each swap: unloaded with keep_alive 0, so the cold request loaded the model (Ollama's load_duration says
    // so too) and the warm one did not; the swap time matches the simulator's own within the tolerance.
    for (const [i, swap] of result.swaps.entries()) {
      expect(swap.swapMs).toHaveLength(1);
      const [cold, warm] = samples.filter((s) => s.phase === 'swap' && s.model === swap.model);
      expect([truthOf(cold!).swapped, truthOf(warm!).swapped]).toEqual([true, false]);
      expect(cold!.server.loadMs!).toBeCloseTo(truthOf(cold!).loadMs, 0);
      expect(warm!.server.loadMs).toBeUndefined();
      const truthTtft = (s: Sample) => ms(truthOf(s).tokenWrites[0]!) - ms(truthOf(s).receivedAt);
      expect(swap.swapMs[0]!).toBeGreaterThanOrEqual(MODELS[i]!.loadMs - 5);
      expect(Math.abs(swap.swapMs[0]! - (truthTtft(cold!) - truthTtft(warm!)))).toBeLessThan(LATE_MS);
    }
  });
});
