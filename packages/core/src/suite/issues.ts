import type { z } from 'zod';
import type { ConfigIssue } from '../errors/errors.js';
import { formatCount, SUITE_LIMITS } from './limits.js';

/** `['concurrency', 1]` → `concurrency[1]`; `['sampling', 'seed']` → `sampling.seed`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/**
 * zod issues as `{ path, message }`. An unknown key becomes one issue of its own, at its path, with the
 * closest known field when one is close enough (`concurency` → `concurrency`).
 */
export function zodIssues(
  error: Pick<z.ZodError, 'issues'>,
  knownFields: readonly string[] | ((path: readonly PropertyKey[]) => readonly string[]) = [],
): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    // zod says "Invalid input: expected array, received undefined" of a field left out.
    if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
      return [{ path: formatPath(issue.path), message: `is missing (expected ${issue.expected})` }];
    if (issue.code !== 'unrecognized_keys') return [{ path: formatPath(issue.path), message: issue.message }];
    // A nested object's unknown key is matched against that object's fields: `slo.foo` once suggested `slo`.
    const known = typeof knownFields === 'function' ? knownFields(issue.path) : issue.path.length === 0 ? knownFields : [];
    return issue.keys.map((key) => {
      const near = closest(key, known);
      return {
        path: formatPath([...issue.path, key]),
        message: near
          ? `unknown field (did you mean ${near}?)`
          : `unknown field${known.length ? `; the fields are ${known.join(', ')}` : ''}`,
      };
    });
  });
}

/**
 * The first `SUITE_LIMITS.issuesShown` issues, then one that counts the rest: a file of 10,000 wrong values
 * gets a readable error, not 10,000 lines.
 */
export function capIssues(issues: readonly ConfigIssue[], max: number = SUITE_LIMITS.issuesShown): ConfigIssue[] {
  if (issues.length <= max) return [...issues];
  const rest = issues.length - max;
  return [...issues.slice(0, max), { path: '', message: `and ${formatCount(rest)} more problem${rest === 1 ? '' : 's'}` }];
}

/**
 * The known name closest to `name` (case ignored): within edit distance 2, or 1 for a name of four letters or
 * fewer (two edits of `foo` make `slo`, which is no typo of it).
 */
function closest(name: string, known: readonly string[]): string | undefined {
  if (name.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = name.length <= 4 ? 2 : 3;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
