import type { CellKey, CellResult, RunResult, Sample } from '../result/types.js';
import type { Suite } from '../suite/schema.js';

/**
 * Progress events of a run, for live UIs (the CLI's progress line, the HTTP plugin's SSE feed). The engine
 * never prints; front-ends render these. `seq` increases by one per event within a run, so a client that
 * reconnects can ask for a replay from where it left off.
 */
export type BenchEvent = { seq: number; runId: string } & (
  | { type: 'run-start'; suite: Suite; cells: number; requests: number }
  | { type: 'model-start'; model: string; loadedBefore: boolean | undefined }
  /** What the run is doing before a model's cells (so a progress display never sits at 0 in silence). */
  | { type: 'phase'; phase: RunPhase; model?: string | undefined }
  | { type: 'swap'; model: string; index: number; swapMs: number | undefined }
  | { type: 'cell-start'; cell: CellKey; index: number; total: number }
  | { type: 'sample'; sample: Sample }
  | { type: 'cell-done'; cell: CellResult; index: number; total: number }
  | { type: 'warning'; message: string }
  | { type: 'run-done'; result: RunResult }
);

export type BenchEventType = BenchEvent['type'];

/**
 * The steps outside the measured cells: `preflight` (asking the server what it is and serves), per model
 * `cold-start` (first request to an unloaded model), `calibrate` (sizing prompts with the server's
 * tokenizer), `swaps` (unload/reload timing) and `warmup`.
 */
export type RunPhase = 'preflight' | 'cold-start' | 'calibrate' | 'swaps' | 'warmup';
