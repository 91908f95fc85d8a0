import { type Command, Option } from 'commander';
import type { SuiteInput } from '@swapbench/core';
import { ConfigError, type ConfigIssue } from '@swapbench/core/errors';
import { integerFlag } from './flag-parsers.js';

/** The flags that describe a suite on the command line, alone or over a suite file. */
export interface SuiteFlags {
  name?: string;
  models?: string;
  promptTokens?: string;
  maxTokens?: string;
  concurrency?: string;
  repetitions?: number;
  warmup?: number;
  llamaBench?: boolean;
  p?: string;
  n?: string;
  r?: number;
  /** `--workers N|auto` (issue #21). */
  workers?: string;
  /** `--runners N` (issue #21, several machines). */
  runners?: number;
}

/** Each suite field a flag sets, and the flag, so a bad value is named as the user wrote it. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  name: '--name',
  models: '--models',
  promptTokens: '--prompt-tokens',
  maxTokens: '--max-tokens',
  concurrency: '--concurrency',
  repetitions: '--repetitions',
  warmup: '--warmup',
  workers: '--workers',
  runners: '--runners',
};

/** Without a suite file, a quick run measures this (llama-bench's pp512 / tg128 sizes, one stream). */
export const QUICK_DEFAULTS = { promptTokens: [512], maxTokens: [128], concurrency: [1] } as const;

/** llama-bench's defaults: `-p 512 -n 128 -r 5`. */
const LLAMA_BENCH_DEFAULTS = { p: [512], n: [128], r: 5 } as const;

/**
 * The prompt tg cells start from in the llama-bench preset: llama-bench generates from an empty context, a
 * server request needs a prompt; this is about the shortest that still carries a unique cache-busting prefix.
 */
export const LLAMA_BENCH_TG_PROMPT = 16;

/** Add the suite flags to `command`. */
export function addSuiteOptions(command: Command): Command {
  return command
    .option('--models <list>', 'models to measure, comma-separated (default with no suite file: the one model the server has)')
    .option('--prompt-tokens <list>', `prompt sizes in tokens, comma-separated (default ${QUICK_DEFAULTS.promptTokens[0]})`)
    .option('--max-tokens <list>', `tokens to generate per request, comma-separated (default ${QUICK_DEFAULTS.maxTokens[0]})`)
    .option('--concurrency <list>', 'requests in flight at once, comma-separated (default 1)')
    .option('--repetitions <n>', 'measured requests per cell and concurrency slot (default 3)', integerFlag('--repetitions', 1))
    .option('--warmup <n>', 'warmup requests per model, left out of the figures (default 1)', integerFlag('--warmup', 0))
    .option('--name <name>', 'suite name the run is stored under (default: the file’s, or "quick")')
    .option(
      '--workers <n|auto>',
      'worker threads a cell’s streams are split across; auto: one per 128 streams, up to the cores but one (default 1)',
    )
    .option(
      '--runners <n>',
      'split each closed-loop cell across N remote runners (`swapbench runner`) through a postgres:// --store (default 0: none)',
      integerFlag('--runners', 0, 64),
    )
    .option(
      '--llama-bench',
      "llama-bench's tests: ppN = a prompt of N tokens and 1 generated token, tgN = N tokens generated from a short prompt",
    )
    .addOption(new Option('-p <list>', 'with --llama-bench: prompt sizes (ppN), comma-separated (default 512)'))
    .addOption(new Option('-n <list>', 'with --llama-bench: generation lengths (tgN), comma-separated (default 128)'))
    .addOption(new Option('-r <n>', 'with --llama-bench: repetitions (default 5)').argParser(integerFlag('-r', 1)));
}

/** A comma-separated list of whole numbers ≥ 1, or the issue that names `flag`. */
function numberList(value: string, flag: string): number[] | ConfigIssue {
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.find((p) => !/^\d+$/.test(p) || Number(p) < 1);
  if (bad !== undefined) return { path: flag, message: `must be whole numbers ≥ 1, comma-separated (e.g. 512,4096); "${bad}" is not one` };
  return parts.map(Number);
}

function nameList(value: string, flag: string): string[] | ConfigIssue {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) return { path: flag, message: `must be names separated by commas, with none empty (got "${value}")` };
  return parts;
}

/** `--workers`: a whole number ≥ 1 or `auto` (the suite's bound, 256, is checked with the suite). */
function workersFlag(value: string): number | 'auto' | ConfigIssue {
  const v = value.trim();
  if (v === 'auto') return 'auto';
  if (/^\d+$/.test(v) && Number(v) >= 1) return Number(v);
  return { path: '--workers', message: `must be a whole number ≥ 1 or "auto" (got "${value}")` };
}

const isIssue = (v: unknown): v is ConfigIssue => typeof v === 'object' && v !== null && 'message' in v && 'path' in v;

/** The suite fields the flags set (only those given). Throws a ConfigError naming every bad flag. */
export function suiteOverrides(flags: SuiteFlags): Partial<SuiteInput> {
  const issues: ConfigIssue[] = [];
  const out: Record<string, unknown> = {};
  const take = (field: string, parsed: unknown) => {
    if (isIssue(parsed)) issues.push(parsed);
    else out[field] = parsed;
  };
  if (flags.name !== undefined) out.name = flags.name;
  if (flags.models !== undefined) take('models', nameList(flags.models, '--models'));
  if (flags.promptTokens !== undefined) take('promptTokens', numberList(flags.promptTokens, '--prompt-tokens'));
  if (flags.maxTokens !== undefined) take('maxTokens', numberList(flags.maxTokens, '--max-tokens'));
  if (flags.concurrency !== undefined) take('concurrency', numberList(flags.concurrency, '--concurrency'));
  if (flags.repetitions !== undefined) out.repetitions = flags.repetitions;
  if (flags.warmup !== undefined) out.warmup = flags.warmup;
  if (flags.workers !== undefined) take('workers', workersFlag(flags.workers));
  if (flags.runners !== undefined) out.runners = flags.runners; // issue #21
  if (!flags.llamaBench) {
    for (const [flag, given] of [
      ['-p', flags.p],
      ['-n', flags.n],
      ['-r', flags.r],
    ] as const)
      if (given !== undefined)
        issues.push({ path: flag, message: 'only goes with --llama-bench (use --prompt-tokens, --max-tokens, --repetitions)' });
  } else {
    const p = flags.p === undefined ? [...LLAMA_BENCH_DEFAULTS.p] : numberList(flags.p, '-p');
    const n = flags.n === undefined ? [...LLAMA_BENCH_DEFAULTS.n] : numberList(flags.n, '-n');
    for (const [flag, given] of [
      ['--prompt-tokens', flags.promptTokens],
      ['--max-tokens', flags.maxTokens],
      ['--concurrency', flags.concurrency],
    ] as const)
      if (given !== undefined) issues.push({ path: flag, message: 'does not go with --llama-bench (its tests are -p and -n, one stream)' });
    if (isIssue(p)) issues.push(p);
    if (isIssue(n)) issues.push(n);
    if (!isIssue(p) && !isIssue(n)) Object.assign(out, llamaBenchSuite(p, n, flags.r ?? flags.repetitions ?? LLAMA_BENCH_DEFAULTS.r));
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out as Partial<SuiteInput>;
}

/**
 * llama-bench's tests as suite cells: ppN is a prompt of N tokens with 1 generated token (prompt speed), tgN
 * is N tokens generated from the shortest prompt (generation speed); the raw completion endpoint, as
 * llama-bench applies no chat template; one stream.
 */
function llamaBenchSuite(p: number[], n: number[], repetitions: number): Partial<SuiteInput> {
  const pairs = [
    ...p.map((promptTokens) => ({ promptTokens, maxTokens: 1 })),
    ...n.map((maxTokens) => ({ promptTokens: LLAMA_BENCH_TG_PROMPT, maxTokens })),
  ];
  return {
    name: 'llama-bench',
    promptTokens: [...new Set(pairs.map((c) => c.promptTokens))],
    maxTokens: [...new Set(pairs.map((c) => c.maxTokens))],
    pairs,
    concurrency: [1],
    repetitions,
    endpoint: 'completion',
  } as Partial<SuiteInput>;
}

/** Rename a ConfigError's suite-field paths to the flags that set them, so `--max-tokens` is named, not `maxTokens`. */
export function nameFlagsIn(err: unknown, flagged: Partial<SuiteInput>): unknown {
  if (!(err instanceof ConfigError)) return err;
  let renamed = false;
  const issues = err.issues.map((issue) => {
    const field = String(issue.path).split(/[.[]/)[0] ?? '';
    if (!(field in flagged) || !FLAG_OF_FIELD[field]) return issue;
    renamed = true;
    return { ...issue, path: FLAG_OF_FIELD[field] };
  });
  // A problem in the file alone keeps its file name; one the flags made is the command line's.
  return renamed ? new ConfigError(issues, { cause: err }) : err;
}
