import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/errors.js';
import { SuiteSchema, type Suite } from './schema.js';

/** Validate a suite object; throws ConfigError naming every problem and its path. */
export function parseSuite(input: unknown, source?: string): Suite {
  const result = SuiteSchema.safeParse(input);
  if (!result.success) throw new ConfigError(zodIssues(result.error), source === undefined ? {} : { source });
  return result.data;
}

/** Read a suite from a `.yaml`, `.yml` or `.json` file. */
export async function loadSuiteFile(path: string): Promise<Suite> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError([{ path: '', message: `cannot read suite file (${(cause as Error).message})` }], { source: path, cause });
  }
  let data: unknown;
  try {
    data = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    const message = cause instanceof YAMLParseError || cause instanceof SyntaxError ? cause.message : String(cause);
    throw new ConfigError([{ path: '', message: `not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${message}` }], {
      source: path,
      cause,
    });
  }
  return parseSuite(data, path);
}

/** zod issues as `{ path, message }` with paths like `concurrency[1]`. */
export function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.reduce<string>(
      (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
      '',
    ),
    message: issue.message,
  }));
}
