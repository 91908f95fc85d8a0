import type { CellKey } from '../../result/types.js';
import type { PromptPlan } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { sendRequest } from '../send-request.js';

/** Send `count` warmup requests one after the other; they are stored flagged `warmup` and never aggregated. */
export async function warmUp(ctx: RunContext, cell: CellKey, plan: PromptPlan, count: number): Promise<void> {
  for (let i = 0; i < count && !ctx.stopSignal.aborted; i++) await sendRequest(ctx, { phase: 'warmup', cell, plan });
}
