/**
 * A Fastify app of your own (here: one `/health` route) that embeds benchmarking by registering one plugin,
 * with history in a SQLite file. For a self-contained try, it also starts the simulator and registers it as
 * host `sim`; point `hosts` at your own llama-server or llama-swap instead.
 *
 *   npx -y pnpm@12 build && npx -y pnpm@12 --filter @swapbench/example-embedded-server start
 *
 * Then, in another terminal (the token is printed at start):
 *   curl -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
 *     -d '{"host":"sim","suite":{"name":"try","models":["sim-model"],"promptTokens":[64],"maxTokens":[32],"concurrency":[1,2]}}' \
 *     http://127.0.0.1:3000/api/bench/runs
 *   curl -N -H "authorization: Bearer $TOKEN" http://127.0.0.1:3000/api/bench/runs/<runId>/events
 */
import { randomBytes } from 'node:crypto';
import { startSimulator } from '@swapbench/core/simulator';
import { openSqliteStore } from '@swapbench/core/stores/sqlite';
import { swapbench } from '@swapbench/http';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const token = process.env.SWAPBENCH_TOKEN || randomBytes(18).toString('base64url');

const store = await openSqliteStore(process.env.SWAPBENCH_DB ?? 'embedded-example.db');
const simulator = await startSimulator({ mode: 'llama-server', models: [{ name: 'sim-model', genTps: 80 }] });
await store.hosts.put({ id: 'sim', baseUrl: simulator.url, kind: 'llama-server' });

const app = Fastify({ logger: true, forceCloseConnections: true });
app.get('/health', async () => ({ ok: true }));
// Everything the plugin serves lives under /api/bench and needs the bearer token.
await app.register(swapbench, { store, auth: { token }, limits: { concurrentRuns: 1 } });
// The store and the simulator outlive the plugin, which cancels its runs (stored `cancelled`) on close.
app.addHook('onClose', async () => {
  await simulator.close();
  await store.close();
});

const address = await app.listen({ port, host: '127.0.0.1' });
console.log(`API: ${address}/api/bench (OpenAPI: ${address}/api/bench/openapi.json)\nTOKEN=${token}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
