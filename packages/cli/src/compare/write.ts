import type { CompareResult } from '@swapbench/core';
import type { CliContext } from '../context.js';

/** Print a comparison on stdout as JSON, a terminal table or Markdown; a regression is also named on stderr. */
export async function writeComparison(
  ctx: CliContext,
  result: CompareResult,
  { json, format, all }: { json: boolean; format: 'table' | 'md'; all: boolean },
): Promise<void> {
  if (json) {
    const { jsonText } = await import('../output/json.js');
    ctx.stdout.write(jsonText(result));
  } else {
    const { renderCompareMarkdown, renderCompareTable } = await import('./render.js');
    ctx.stdout.write(format === 'md' ? renderCompareMarkdown(result, { all }) : renderCompareTable(result, { all }));
  }
  if (result.verdict === 'regression')
    ctx.stderr.write(
      `swapbench: regression: ${result.counts.regression} metric(s) of ${result.candidate.runId} are worse than ${result.baseline.runId}\n`,
    );
}
