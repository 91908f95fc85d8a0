import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors/errors.js';
import { capIssues, zodIssues } from './issues.js';
import { parseSuiteText } from './parse-suite-text.js';
import { readSuiteText } from './read-suite-text.js';
import { PromptDistributionSchema, PromptSetSchema, SloSchema, SweepSchema } from './load-schema.js';
import { SUITE_FIELDS, SuiteSchema, type Suite, type SuiteInput } from './schema.js';

export { zodIssues } from './issues.js';

/**
 * Validate a suite object; throws ConfigError naming every problem and its path (the first 20, then a count
 * of the rest). `lineOf`, when the suite came from a YAML file, adds the line of each problem.
 */
export function parseSuite(input: unknown, source?: string, lineOf?: (path: readonly PropertyKey[]) => number | undefined): Suite {
  const options = source === undefined ? {} : { source };
  const shape = shapeProblem(input);
  if (shape) throw new ConfigError([{ path: '', message: shape }], options);
  const expanded = expandShorthands(input as Record<string, unknown>);
  const result = SuiteSchema.safeParse(expanded);
  if (result.success) return result.data;
  let zIssues = result.error.issues;
  if (expanded.promptDistribution !== undefined && (input as Record<string, unknown>).promptDistribution === undefined) {
    // `promptTokens: [mean]` was derived from the distribution: a bad mean is reported once, as
    // promptTokens.mean, not also as a promptTokens[0] the user never wrote.
    zIssues = zIssues.filter((issue) => !(issue.path[0] === 'promptTokens' && typeof issue.path[1] === 'number'));
    // The user wrote the distribution as promptTokens: name it so (and find its line there).
    for (const issue of zIssues)
      if (issue.path[0] === 'promptDistribution') (issue as { path: PropertyKey[] }).path = ['promptTokens', ...issue.path.slice(1)];
  }
  let issues: ConfigIssue[] = zodIssues({ issues: zIssues }, fieldsAt);
  if (lineOf) {
    // A missing field has no line of its own: the line of the object it is missing from.
    const lineNear = (path: readonly PropertyKey[]): number | undefined => {
      for (let n = path.length; n > 0; n--) {
        const line = lineOf(path.slice(0, n));
        if (line !== undefined) return line;
      }
      return undefined;
    };
    const located = zIssues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => lineOf([...issue.path, key])) : [lineNear(issue.path)],
    );
    issues = issues.map((issue, i) => (located[i] === undefined ? issue : { ...issue, message: `line ${located[i]}: ${issue.message}` }));
  }
  throw new ConfigError(capIssues(issues), options);
}

/**
 * Read a suite from a `.yaml`, `.yml` or `.json` file (a UTF-8 BOM is fine). Throws a ConfigError naming the
 * file, and the field when there is one, for anything that is not a valid suite: a missing file, one over
 * 64 KiB (checked before parsing), a syntax error, a duplicate key, a custom YAML tag, an invalid value.
 * `given` fills the fields the file leaves out (a command line's `--models`, say); the file's own win.
 */
export async function loadSuiteFile(path: string, given: Partial<SuiteInput> = {}): Promise<Suite> {
  const text = await readSuiteText(path);
  const { data, lineOf } = parseSuiteText(text, path);
  // A field the file leaves out may come from elsewhere (the command line's `--models`): the file's own win.
  const filled = isMapping(data) ? Object.keys(given).filter((k) => given[k as keyof SuiteInput] !== undefined && !(k in data)) : [];
  const input =
    filled.length > 0 ? { ...Object.fromEntries(filled.map((k) => [k, given[k as keyof SuiteInput]])), ...(data as object) } : data;
  let suite: Suite;
  try {
    suite = parseSuite(input, path, lineOf);
  } catch (err) {
    throw filled.length > 0 ? blameGiven(err, filled, path) : err;
  }
  // A prompt set's file is named relative to the suite file: keep it absolute, as the run is stored.
  if (suite.prompts) suite.prompts = { ...suite.prompts, file: resolve(dirname(resolve(path)), suite.prompts.file) };
  return suite;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The file's own problems name the file; when all are in fields `given` filled in, the error has no source,
 * so the caller can name what gave them (the CLI names its flags).
 */
function blameGiven(err: unknown, filled: readonly string[], path: string): unknown {
  if (!(err instanceof ConfigError)) return err;
  const fromGiven = (issue: ConfigIssue) => filled.includes(issue.path.split(/[.[]/)[0] ?? '');
  const own = err.issues.filter((issue) => !fromGiven(issue));
  return own.length > 0 ? new ConfigError(own, { source: path, cause: err }) : new ConfigError(err.issues, { cause: err });
}

/** Fields of the suite's nested objects, for "did you mean" on an unknown key inside one. */
const NESTED_FIELDS: Record<string, readonly string[]> = {
  sweep: Object.keys(SweepSchema.shape),
  slo: Object.keys(SloSchema.shape),
  prompts: Object.keys(PromptSetSchema.shape),
  promptTokens: Object.keys(PromptDistributionSchema.shape),
  promptDistribution: Object.keys(PromptDistributionSchema.shape),
  pairs: ['promptTokens', 'maxTokens'],
};

/** The fields known at `path` of a suite: the suite's own at the top, else the nested object's (none if unknown). */
function fieldsAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return SUITE_FIELDS;
  return NESTED_FIELDS[String(path[0])] ?? [];
}

/** What is wrong with an input that is not a mapping at all, in words a user who wrote the file reads. */
function shapeProblem(input: unknown): string | undefined {
  const expected = 'a suite is a mapping with name, models, promptTokens, maxTokens and concurrency';
  if (input === null || input === undefined) return `is empty: ${expected}`;
  if (Array.isArray(input)) return `holds a list: ${expected}`;
  if (typeof input !== 'object') return `holds a single ${typeof input} value: ${expected}`;
  return undefined;
}

/**
 * A suite with `rate` or `sweep` may leave `concurrency` out. `promptTokens: { mean, stddev, min, max }` is a prompt-size distribution: stored as `promptDistribution`,
 * with `promptTokens: [mean]` keying its cells (when the mean is not a whole number, the schema says so).
 */
function expandShorthands(input: Record<string, unknown>): Record<string, unknown> {
  // An open-loop or sweep suite needs no concurrency levels; a suite with no load at all is then told what
  // to add (`checkLoadShape`) rather than "expected array, received undefined".
  if (input.concurrency === undefined) input = { ...input, concurrency: [] };
  const pt = input.promptTokens;
  if (pt === null || typeof pt !== 'object' || Array.isArray(pt) || input.promptDistribution !== undefined) return input;
  const mean = (pt as { mean?: unknown }).mean;
  return { ...input, promptDistribution: pt, promptTokens: [typeof mean === 'number' ? mean : 1] };
}
