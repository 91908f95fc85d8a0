import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../errors/errors.js';
import { capIssues } from '../../suite/issues.js';
import { SUITE_LIMITS } from '../../suite/limits.js';
import type { PromptSet } from '../../suite/load-schema.js';
import { mix, prng } from '../../util/rng.js';
import { errorMessage } from '../../util/error-message.js';

/** One prompt of a set, and its expected output length when the file gives one. */
export interface PromptSetEntry {
  prompt: string;
  maxTokens?: number | undefined;
}

/** Largest prompt file read: it is read whole into memory, and every prompt is kept for the run. */
export const PROMPT_FILE_MAX_BYTES = 64 * 1024 * 1024;

const LineSchema = z.object({
  prompt: z.string().min(1, 'must not be empty'),
  maxTokens: z.number().int().min(1).max(SUITE_LIMITS.maxTokens).optional(),
});

/**
 * Read a prompt set (JSON Lines: `{"prompt": "…", "maxTokens": 200}` per line; blank lines skipped, other
 * fields ignored). Throws a ConfigError naming the file and each bad line: a run must not start on a set it
 * cannot send whole.
 */
export async function readPromptSet(set: PromptSet): Promise<PromptSetEntry[]> {
  const file = resolve(set.file);
  let text: string;
  try {
    const { size } = await stat(file);
    if (size > PROMPT_FILE_MAX_BYTES)
      throw new ConfigError([{ path: 'prompts.file', message: `is ${size} bytes, more than ${PROMPT_FILE_MAX_BYTES} (64 MiB)` }], {
        source: file,
      });
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([{ path: 'prompts.file', message: `cannot be read: ${errorMessage(err)}` }], { source: file, cause: err });
  }
  const entries: PromptSetEntry[] = [];
  const issues: ConfigIssue[] = [];
  for (const [i, raw] of text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      issues.push({ path: `line ${i + 1}`, message: `is not JSON (${errorMessage(err)})` });
      continue;
    }
    const parsed = LineSchema.safeParse(value);
    if (parsed.success) entries.push(parsed.data);
    else
      for (const issue of parsed.error.issues)
        issues.push({ path: `line ${i + 1}`, message: `${issue.path.join('.') || 'the line'}: ${issue.message}` });
  }
  if (issues.length > 0) throw new ConfigError(capIssues(issues), { source: file });
  if (entries.length === 0) throw new ConfigError([{ path: 'prompts.file', message: 'holds no prompt' }], { source: file });
  return entries;
}

/**
 * The set's prompt for the `index`-th measured request of a cell: in file order (from the first line in every
 * cell, so cells send the same prompts), or drawn at random with the suite's seed (with replacement).
 */
export function pickPrompt(entries: readonly PromptSetEntry[], order: PromptSet['order'], seed: number, index: number): PromptSetEntry {
  if (order === 'sequential') return entries[index % entries.length]!;
  // Seeded per request: every cell of a run, and every run of the suite, sends the same sequence.
  return entries[Math.floor(prng(mix(seed, index))() * entries.length)]!;
}
