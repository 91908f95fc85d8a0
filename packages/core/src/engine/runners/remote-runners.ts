/**
 * The seam between the engine and remote runners (issue #21, several machines). The engine sees only this
 * interface; `connectRunners` (`@swapbench/core/runners`) implements it on pg-boss, so the root entry never
 * loads `pg` or `pg-boss`.
 */
import { ConfigError } from '../../errors/errors.js';
import type { CellKey, Sample } from '../../result/types.js';
import type { Suite } from '../../suite/schema.js';
import type { LoopDelay } from '../client-health.js';
import type { PromptSizer } from '../load/prompt-sizes.js';
import type { PromptPlan } from '../prompts.js';
import type { RunContext } from '../run-context.js';

/** A closed-loop cell to split across remote runners. */
export interface RemoteCell {
  cell: CellKey;
  /** Requests to measure; `min(concurrency, planned)` are in flight across all runners. */
  planned: number;
  plan: PromptPlan;
  sizer: PromptSizer | undefined;
  /** Take a sample a runner stored (already numbered, stored and emitted). */
  add(sample: Sample): void;
}

/** How a remote cell went. */
export interface RemoteCellOutcome {
  /** From the first runner's first send to the last runner's last answer, ms (see `connectRunners`). */
  wallMs: number;
  /** Shares the cell was split into. */
  shares: number;
  /** Each runner's event-loop delay while it sent (the cell is saturated if any one was). */
  loops: LoopDelay[];
}

/** Remote runners a run sends its closed-loop cells to (`runBenchSuite`'s `runners` option). */
export interface RemoteRunners {
  /** Run one cell on the runners: resolves when every share is done, gave up on, or never picked up. */
  runCell(ctx: RunContext, cell: RemoteCell): Promise<RemoteCellOutcome>;
  /** Let go of the queue and the database (the run is over). */
  close(): Promise<void>;
}

/** A suite with `runners` needs a `runners` option and the transport options runners build from. */
export function checkRunnerOptions(suite: Suite, runners: RemoteRunners | undefined, hasWorkerTransport: boolean): void {
  if (suite.runners === 0) return;
  if (!runners)
    throw new ConfigError([
      {
        path: 'runners',
        message: `is ${suite.runners}, but runBenchSuite was given no \`runners\` (connectRunners(postgresUri) from @swapbench/core/runners; the CLI needs --store postgres://…)`,
      },
    ]);
  if (!hasWorkerTransport)
    throw new ConfigError([
      {
        path: 'runners',
        message: `is ${suite.runners}, but runBenchSuite was given no \`workerTransport\` (the transport options each runner builds its own transport from)`,
      },
    ]);
}
