import type { CellKey, SwapResult } from '../../result/types.js';
import { computeStats } from '../stats.js';
import type { PromptPlan } from '../prompts.js';
import { redactUrl } from '../../util/redact-url.js';
import type { RunContext } from '../run-context.js';
import { sendRequest } from '../send-request.js';

/**
 * Swap time of a model, `suite.swaps` times: unload it, then send the same request cold and warm. Swap
 * time = cold TTFT − warm TTFT, so the prompt's own work is not counted as load. Needs a transport that
 * can unload; without one, a warning says the swaps were not measured.
 */
export async function measureSwaps(ctx: RunContext, cell: CellKey, plan: PromptPlan): Promise<void> {
  const { transport, suite } = ctx;
  const { model } = cell;
  const unload = transport.unload?.bind(transport);
  if (!unload) {
    ctx.warn(
      `swaps: ${suite.swaps} requested, but the server at ${redactUrl(transport.baseUrl)} cannot unload models; swap time not measured`,
    );
    return;
  }
  const swap: SwapResult = { model, swapMs: [], stats: computeStats([]) };
  ctx.result.swaps.push(swap);
  for (let i = 0; i < suite.swaps && !ctx.stopSignal.aborted; i++) {
    await ctx.ask('unload', (o) => unload(model, o));
    const cold = await sendRequest(ctx, { phase: 'swap', cell, plan, coldStart: true });
    const warm = await sendRequest(ctx, { phase: 'swap', cell, plan });
    const swapMs = cold?.ttftMs !== undefined && warm?.ttftMs !== undefined ? cold.ttftMs - warm.ttftMs : undefined;
    if (swapMs !== undefined) swap.swapMs.push(swapMs);
    ctx.emit({ type: 'swap', model, index: i, swapMs });
  }
  swap.stats = computeStats(swap.swapMs);
}
