/**
 * Is somebody else using the server? llama-server's `/slots` says which slot is processing; with `/slots`
 * disabled, the `requests_processing` gauge of `/metrics` says how many. Through llama-swap, each loaded
 * model is asked under `/upstream/<model>`, and a model starting or stopping counts as activity.
 */
import { bestEffort } from '../http/map-error.js';
import type { HttpClient } from '../http/http-client.js';
import type { ActivityProbe } from '../transport.js';

/** A probe with a count: requests the server is processing now; undefined when it cannot tell. */
/** A probe with its count of requests in flight (ActivityProbe's `inFlight`). */
export type CountedProbe = ActivityProbe;
import { upstreamPath, type LlamaServerKind } from './routes.js';
import { fetchRouterModels } from './router-operations.js';
import { fetchRunning } from './swap-operations.js';

/** What the server (llama-server) or each loaded model (llama-swap) is doing now. */
export async function probeActivity(http: HttpClient, kind: LlamaServerKind, signal: AbortSignal | undefined): Promise<CountedProbe> {
  if (kind === 'llama-router') return routerActivity(http, signal);
  if (kind !== 'llama-swap') return slotActivity(http, kind, undefined, signal);
  const running = await fetchRunning(http, signal);
  let busy = false;
  let inFlight: number | undefined = 0;
  const evidence: string[] = [];
  for (const r of running) {
    if (r.state !== undefined && r.state !== 'ready') {
      // Starting (or stopping) means somebody asked for it: a load is in progress.
      busy = true;
      if (inFlight !== undefined) inFlight += 1;
      evidence.push(`${r.model} is ${r.state}`);
      continue;
    }
    // Note: proxied requests refresh the model's TTL in llama-swap (#1135); one probe is harmless.
    const slots = await slotActivity(http, kind, r.model, signal);
    busy ||= slots.busy;
    inFlight = inFlight === undefined || slots.inFlight === undefined ? undefined : inFlight + slots.inFlight;
    evidence.push(...slots.evidence);
  }
  return { busy, evidence, inFlight };
}

/** A router's activity: each loaded model's slots; a model loading means somebody asked for it. */
async function routerActivity(http: HttpClient, signal: AbortSignal | undefined): Promise<CountedProbe> {
  let busy = false;
  let inFlight: number | undefined = 0;
  const evidence: string[] = [];
  for (const m of await fetchRouterModels(http, signal)) {
    if (m.state === 'loading') {
      busy = true;
      if (inFlight !== undefined) inFlight += 1;
      evidence.push(`${m.id} is loading`);
    } else if (m.state === 'loaded') {
      const slots = await slotActivity(http, 'llama-router', m.id, signal);
      busy ||= slots.busy;
      inFlight = inFlight === undefined || slots.inFlight === undefined ? undefined : inFlight + slots.inFlight;
      evidence.push(...slots.evidence);
    }
  }
  return { busy, evidence, inFlight };
}

/** One llama-server's activity: `model` names it behind llama-swap or a router, undefined for the server itself. */
async function slotActivity(
  http: HttpClient,
  kind: LlamaServerKind,
  model: string | undefined,
  signal: AbortSignal | undefined,
): Promise<CountedProbe> {
  const route = (path: string) => (model === undefined ? path : upstreamPath(kind, model, path));
  const who = model === undefined ? '' : `${model} `;
  const slots = await bestEffort(http.json<unknown>({ method: 'GET', path: route('/slots'), signal }), signal);
  if (Array.isArray(slots)) {
    const evidence = slots.flatMap((s: { id?: unknown; is_processing?: unknown }) =>
      s?.is_processing === true ? [`${who}slot ${String(s.id)} is processing`] : [],
    );
    return { busy: evidence.length > 0, evidence, inFlight: evidence.length };
  }
  // `/slots` can be disabled (`--no-slots`): the Prometheus gauge says the same when `--metrics` is on.
  const metrics = await bestEffort(http.text({ method: 'GET', path: route('/metrics'), signal }), signal);
  const processing = metrics?.match(/^llamacpp:requests_processing\s+([0-9.eE+-]+)/m)?.[1];
  if (processing !== undefined) {
    const n = Number(processing);
    return { busy: n > 0, evidence: n > 0 ? [`${who}${n} request(s) processing (metrics)`] : [], inFlight: n };
  }
  return { busy: false, evidence: [`${model ?? 'server'}: neither /slots nor /metrics available`], inFlight: undefined };
}
