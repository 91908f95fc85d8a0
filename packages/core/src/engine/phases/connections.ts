import type { RunContext } from '../run-context.js';

/**
 * Have the transport open the connections a load needs before it starts, so no request of it waits for
 * one (or counts a connect). Best effort: a connection that could not be opened is opened, or reported,
 * by the request that needs it.
 */
export async function openConnections(ctx: RunContext, count: number): Promise<void> {
  const reserve = ctx.transport.reserveConnections?.bind(ctx.transport);
  if (!reserve) return;
  await ctx.ask('reserveConnections', (o) => reserve(count, o)).catch(() => {});
}

/** The load is over: connections still waiting for a request are closed. */
export function releaseConnections(ctx: RunContext): void {
  ctx.transport.reserveConnections?.(0).catch(() => {});
}
