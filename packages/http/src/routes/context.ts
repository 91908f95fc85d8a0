/** What every route module shares: the resolved options, the live runs, and helpers for registered hosts. */
import type { HostRecord, Suite } from '@swapbench/core';
import { ConfigError } from '@swapbench/core/errors';
import type { ResolvedOptions } from '../options.js';
import type { RunRegistry } from '../runs/registry.js';

export interface RouteContext {
  options: ResolvedOptions;
  runs: RunRegistry;
  /** Aborts when the server closes: waits and streams stop. */
  closing: AbortSignal;
}

/** The registered host named at `path` of the body; anything else is CONFIG_INVALID naming that field. */
export async function registeredHost(ctx: RouteContext, id: string, path: string): Promise<HostRecord> {
  const host = await ctx.options.store.hosts.get(id);
  if (!host) throw new ConfigError([{ path, message: `no host named ${JSON.stringify(id)} is registered (POST /hosts first)` }]);
  return host;
}

/** A suite validated by core, with the paths of its problems under `prefix` (`body.suite.concurrency[1]`). */
export async function validSuite(input: unknown, prefix: string): Promise<Suite> {
  const { parseSuite } = await import('@swapbench/core');
  try {
    return parseSuite(input as Parameters<typeof parseSuite>[0]);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ConfigError(
        err.issues.map((i) => ({ path: i.path ? `${prefix}.${i.path}` : prefix, message: i.message })),
        { cause: err },
      );
    throw err;
  }
}
