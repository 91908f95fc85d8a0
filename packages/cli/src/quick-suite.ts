import type { Suite, SuiteInput, Transport } from '@swapbench/core';
import { parseSuite } from '@swapbench/core';
import { ConfigError } from '@swapbench/core/errors';
import { nameFlagsIn, QUICK_DEFAULTS } from './suite-flags.js';

/**
 * The suite a `run` measures: the file's (if any) with the flags over it; without a file, a quick run of
 * `QUICK_DEFAULTS`. Without `--models` either, the server's one model; a server with several lists them.
 */
export async function quickSuite(base: Suite | undefined, overrides: Partial<SuiteInput>, transport: Transport): Promise<SuiteInput> {
  const merged: Record<string, unknown> = base ? { ...base, ...overrides } : { name: 'quick', ...QUICK_DEFAULTS, ...overrides };
  // A flag that sets one side of the grid drops the file's explicit pairs, which named the old sizes.
  if (base && (overrides.promptTokens !== undefined || overrides.maxTokens !== undefined) && !('pairs' in overrides)) delete merged.pairs;
  if (merged.models === undefined) merged.models = await serverModel(transport);
  try {
    return parseSuite(merged);
  } catch (err) {
    throw nameFlagsIn(err, overrides);
  }
}

/** The one model the server serves, or a ConfigError asking for `--models` and listing what it has. */
async function serverModel(transport: Transport): Promise<string[]> {
  const models = await transport.listModels();
  if (models.length === 1) return [models[0]!.id];
  const listed = models.length === 0 ? 'the server lists none' : `the server has ${models.map((m) => m.id).join(', ')}`;
  throw new ConfigError([{ path: '--models', message: `is required without a suite file: ${listed}` }]);
}
