import { z } from 'zod';

/** One (prompt size, output length) pair to measure. */
export interface SizePair {
  promptTokens: number;
  maxTokens: number;
}

/**
 * `pairs`: the (prompt size, output length) pairs to measure, instead of every prompt size with every output
 * length. llama-bench's tests are such pairs: ppN is N prompt tokens with 1 generated, tgN is N generated
 * from a short prompt; the full grid would add the costly long-prompt × long-output cells nobody asked for.
 * Each size must also be listed in `promptTokens` / `maxTokens` (prompts are sized per listed size).
 */
export const PairsSchema = z
  .array(z.object({ promptTokens: z.number().int().min(1), maxTokens: z.number().int().min(1) }).strict())
  .min(1, 'must list at least one pair');

/** The pairs a suite measures, in order: its `pairs`, else every prompt size with every output length. */
export function sizePairs(suite: {
  promptTokens: readonly number[];
  maxTokens: readonly number[];
  pairs?: readonly SizePair[] | undefined;
}): SizePair[] {
  if (suite.pairs) return suite.pairs.map((p) => ({ promptTokens: p.promptTokens, maxTokens: p.maxTokens }));
  return suite.promptTokens.flatMap((promptTokens) => suite.maxTokens.map((maxTokens) => ({ promptTokens, maxTokens })));
}

/** Issues for pairs whose sizes are not listed in `promptTokens` / `maxTokens`, or that repeat. */
export function pairIssues(suite: {
  promptTokens: readonly number[];
  maxTokens: readonly number[];
  pairs?: readonly SizePair[] | undefined;
}): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  const seen = new Set<string>();
  suite.pairs?.forEach((p, i) => {
    if (!suite.promptTokens.includes(p.promptTokens))
      issues.push({ path: ['pairs', i, 'promptTokens'], message: `${p.promptTokens} must also be listed in promptTokens` });
    if (!suite.maxTokens.includes(p.maxTokens))
      issues.push({ path: ['pairs', i, 'maxTokens'], message: `${p.maxTokens} must also be listed in maxTokens` });
    const key = `${p.promptTokens}/${p.maxTokens}`;
    if (seen.has(key)) issues.push({ path: ['pairs', i], message: `repeats pp${p.promptTokens} tg${p.maxTokens}` });
    seen.add(key);
  });
  return issues;
}
