import { extname } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors/errors.js';
import { capIssues, formatPath } from './issues.js';

/** A suite file's data, and where in the file a path of it was written (YAML only). */
export interface ParsedSuiteText {
  data: unknown;
  /** The 1-based line of the value at `path`, when known. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** A suite is at most two levels deep (`sampling.seed`); far deeper is a generated or hostile file. */
const MAX_DEPTH = 32;

/**
 * Parse a suite file's text: JSON for `.json`, YAML for anything else. Throws a ConfigError naming the file
 * for a syntax error, a duplicate key, a custom tag, or nesting far deeper than any suite. Only the data is
 * checked here, not the suite: `parseSuite` does that.
 */
export function parseSuiteText(text: string, path: string): ParsedSuiteText {
  if (extname(path).toLowerCase() === '.json') {
    try {
      return { data: JSON.parse(text), lineOf: () => undefined };
    } catch (cause) {
      throw new ConfigError([{ path: '', message: `not valid JSON: ${(cause as Error).message}` }], { source: path, cause });
    }
  }
  return parseYaml(text, path);
}

function parseYaml(text: string, source: string): ParsedSuiteText {
  const lineCounter = new LineCounter();
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  const at = (offset: number | undefined) => (offset === undefined ? '' : `line ${lineAt(offset)}: `);
  const fail = (issues: ConfigIssue[], cause?: unknown) => new ConfigError(capIssues(issues), { source, cause });
  // `uniqueKeys: false`: the library's check compares every pair of keys (quadratic: minutes for a file of
  // many keys); `duplicateKeys` below does it in one pass. `logLevel: 'error'`: nothing printed, we report.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  // Warnings too: an unresolved custom tag (`!env X`) would otherwise load as a plain string.
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw fail(
      problems.map((e) => ({
        path: '',
        message: `not valid YAML: ${at(e.pos[0])}${e.message}${e.code === 'TAG_RESOLVE_FAILED' ? ' (custom tags are not supported)' : ''}`,
      })),
    );
  }
  const issues = structureIssues(doc, lineAt);
  if (issues.length > 0) throw fail(issues);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    // An alias to an anchor never defined, or more aliases than a suite needs (a "billion laughs" file).
    throw fail([{ path: '', message: `not valid YAML: ${(cause as Error).message}` }], cause);
  }
  return {
    data,
    lineOf(path) {
      const node = path.length === 0 ? undefined : doc.getIn(path as unknown[], true);
      return lineAt((node as Node | undefined)?.range?.[0]);
    },
  };
}

/** Duplicate keys, keys that are not plain names, and nesting deeper than `MAX_DEPTH`, in one walk. */
function structureIssues(doc: Document, lineAt: (offset: number | undefined) => number | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (offset: number | undefined) => (offset === undefined ? '' : `line ${lineAt(offset)}: `);
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (issues.length > 100) return;
    if (path.length > MAX_DEPTH) {
      issues.push({ path: formatPath(path), message: `${at((node as Node).range?.[0])}nested more than ${MAX_DEPTH} levels deep` });
      return;
    }
    if (isSeq(node)) for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    if (!isMap(node)) return;
    const seen = new Map<string, number | undefined>();
    for (const pair of node.items) {
      const offset = (pair.key as Node | null)?.range?.[0];
      if (!isScalar(pair.key)) {
        issues.push({ path: formatPath(path), message: `${at(offset)}a key must be a plain name, not a list, mapping or alias` });
        continue;
      }
      const key = String(pair.key.value);
      const first = seen.get(key);
      if (seen.has(key)) {
        const where = first === undefined ? '' : ` (first at line ${lineAt(first)})`;
        issues.push({ path: formatPath([...path, key]), message: `${at(offset)}duplicate key${where}` });
      } else seen.set(key, offset);
      walk(pair.value, [...path, key]);
    }
  };
  walk(doc.contents, []);
  return issues;
}
