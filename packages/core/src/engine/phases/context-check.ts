import { ConfigError, type ConfigIssue } from '../../errors/errors.js';
import type { RunContext } from '../run-context.js';
import { sizePairs } from '../../suite/size-pairs.js';

/**
 * Refuse cells that cannot fit the server's context per slot (prompt + output > n_ctx of a slot) before any
 * of their requests is sent: the server would cut them short (or refuse them) and the figures would lie.
 * Only models the server has described can be checked: at preflight, and again for each model described
 * later (llama-swap describes a model once it is loaded). With `allowContextOverflow` the cells run, and a
 * warning says which ones will stop early.
 */
export function checkContext(ctx: RunContext, models: readonly string[]): void {
  const { suite } = ctx;
  const issues: ConfigIssue[] = [];
  for (const model of models) {
    const described = ctx.result.environment.server?.models.find((m) => m.id === model);
    const context = described?.contextPerSlot;
    if (context === undefined) continue;
    const pairs = sizePairs(suite);
    const prompt = Math.max(...pairs.map((x) => x.promptTokens));
    const output = Math.max(...pairs.map((x) => x.maxTokens));
    const tooLong: string[] = [];
    for (const { promptTokens: p, maxTokens: t } of sizePairs(suite)) if (p + t > context) tooLong.push(`pp${p}+tg${t}`);
    if (tooLong.length === 0) continue;
    const what = `model "${model}": ${tooLong.join(', ')} cannot fit the server's context of ${context} tokens per slot (n_ctx)`;
    if (suite.allowContextOverflow) {
      ctx.warn(
        `${what}; running them anyway (allowContextOverflow): generation stops at the context limit, so they are flagged length-mismatch`,
      );
      continue;
    }
    issues.push({
      path: 'promptTokens',
      message:
        `${what}, largest needs ${prompt + output}. Lower promptTokens or maxTokens, start the server with a larger context ` +
        '(llama-server -c, or fewer slots with -np), or set allowContextOverflow: true to run them anyway',
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, { source: `suite "${suite.name}"` });
}
