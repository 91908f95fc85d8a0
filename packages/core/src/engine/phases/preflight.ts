import { ConfigError, HostUnreachableError } from '../../errors/errors.js';
import { capabilitiesOf } from '../../transport/transport.js';
import { errorMessage } from '../../util/error-message.js';
import { redactUrl } from '../../util/redact-url.js';
import type { RunContext } from '../run-context.js';
import { checkContext } from './context-check.js';

/**
 * Refuse a suite whose concurrency is above what the transport can have on the wire: the extra requests
 * would wait inside the client, so the server would never see the load the cell is named for.
 */
function checkConnections(ctx: RunContext): void {
  const limit = ctx.transport.connections;
  const needed = Math.max(...ctx.suite.concurrency);
  if (limit === undefined || needed <= limit) return;
  throw new ConfigError(
    [
      {
        path: 'concurrency',
        message:
          `${needed} requests in flight need ${needed} connections, but the transport allows ${limit}: the rest would wait in the ` +
          `client and the server would see less load than asked. Create the transport with connections: ${needed} (or more, or leave it out)`,
      },
    ],
    { source: `suite "${ctx.suite.name}"` },
  );
}

/**
 * Before the first request: store the run, record what the server says about itself, and check it is
 * there. An unreachable server ends the run (rethrown); a server that cannot list its models is a warning;
 * a model it does not list refuses the suite (ConfigError), unless it answers any model name, as a single
 * llama-server does.
 */
export async function preflight(ctx: RunContext): Promise<void> {
  const { transport, suite, signal, result } = ctx;
  // Not under the run's signal: a run aborted before it began is still stored, as `cancelled`.
  await ctx.storeCall('runs.create', (o) => ctx.store.runs.create(result, o));
  checkConnections(ctx);
  result.environment.capabilities = capabilitiesOf(transport);
  const describe = transport.describe?.bind(transport);
  const server = describe ? await ctx.ask('describe', (o) => describe(suite.models, o)).catch(() => undefined) : undefined;
  // Whatever a transport returns, no credentials go into the result or the store.
  result.environment.server = server && { ...server, baseUrl: redactUrl(server.baseUrl) };
  checkContext(ctx, suite.models);
  let ids: Set<string>;
  try {
    ids = new Set((await ctx.ask('listModels', (o) => transport.listModels(o))).map((m) => m.id));
  } catch (err) {
    if (signal.aborted || err instanceof HostUnreachableError) throw err;
    ctx.warn(`could not list models: ${errorMessage(err)}, so the suite's models are not checked`);
    return;
  }
  if (transport.traits.anyModelName) return;
  // Refused before any request: every request to a model the server does not have would fail.
  const missing = suite.models.filter((m) => !ids.has(m));
  if (missing.length === 0) return;
  const has = ids.size > 0 ? [...ids].join(', ') : 'none';
  throw new ConfigError(
    missing.map((model) => ({ path: 'models', message: `"${model}" is not on the server (it has: ${has})` })),
    { source: `suite "${suite.name}"` },
  );
}
