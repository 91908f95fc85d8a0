import type { CellKey } from '../../result/types.js';
import type { PromptPlan } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { sendRequest } from '../send-request.js';
import { runSlidingWindow } from '../sliding-window.js';

/**
 * `cache: reuse` measures warm prompts, so each cell first sends its prompt once per concurrency slot, all
 * at once (stored as warmup): every slot the measured requests can land on then holds the prompt, and no
 * measured sample pays for a cold one. In `bust` mode there is nothing to prime.
 */
export async function primeCache(ctx: RunContext, cell: CellKey, plan: PromptPlan): Promise<void> {
  if (ctx.suite.cache !== 'reuse') return;
  await runSlidingWindow(
    cell.concurrency,
    cell.concurrency,
    async () => {
      await sendRequest(ctx, { phase: 'warmup', cell, plan });
    },
    ctx.stopSignal,
  );
}
