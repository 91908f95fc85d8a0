import type { CellKey, ColdStart } from '../../result/types.js';
import { estimatePlan } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { sendRequest } from '../send-request.js';
import { checkContext } from './context-check.js';

/**
 * A model's first phase: was it loaded before we came (when the server can tell), and if not, the TTFT of
 * the request that loads it, kept apart from the aggregates. Resolves with whether that request was sent
 * (it then counts as one of the model's warmups).
 */
export async function checkColdStart(ctx: RunContext, first: CellKey): Promise<boolean> {
  const { transport, suite, result } = ctx;
  const { model } = first;
  const runningModels = transport.runningModels?.bind(transport);
  const running = runningModels ? await ctx.ask('runningModels', (o) => runningModels(o)).catch(() => undefined) : undefined;
  const loadedBefore = running === undefined ? undefined : running.includes(model);
  ctx.emit({ type: 'model-start', model, loadedBefore });
  const coldStart: ColdStart = { model, loadedBefore };
  result.coldStarts.push(coldStart);
  if (loadedBefore !== false) return false;

  // It goes before calibration, whose tokenizer calls through llama-swap would load the model first; so
  // its prompt is estimated, which is fine for a request that measures the load.
  const plan = estimatePlan(suite.endpoint, first.promptTokens, suite.cache === 'bust');
  const cold = await sendRequest(ctx, { phase: 'warmup', cell: first, plan, coldStart: true });
  coldStart.coldStartMs = cold?.ttftMs;
  if (transport.traits.describesLoadedModelsOnly) await describeLoaded(ctx, model);
  return true;
}

/**
 * Describe a model that has just been loaded, where the server could only describe loaded ones, and check
 * the suite against its context.
 */
async function describeLoaded(ctx: RunContext, model: string): Promise<void> {
  const server = ctx.result.environment.server;
  if (!server || server.models.some((m) => m.id === model)) return;
  const describe = ctx.transport.describe?.bind(ctx.transport);
  const info = describe ? await ctx.ask('describe', (o) => describe([model], o)).catch(() => undefined) : undefined;
  const described = info?.models.find((m) => m.id === model);
  if (!described) return;
  server.models.push(described);
  // Now its context is known: refuse cells that cannot fit before any of them is measured.
  checkContext(ctx, [model]);
}
