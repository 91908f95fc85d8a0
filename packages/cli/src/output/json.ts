import { redactUrlsIn } from '@swapbench/core';

/** Pretty JSON for stdout, with every URL in it (base URLs, error messages) shown without credentials. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? redactUrlsIn(v) : v), 2)}\n`;
}
