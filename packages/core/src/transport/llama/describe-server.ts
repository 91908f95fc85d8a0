/**
 * What a server says about itself, as the generic ServerInfo: llama.cpp's `/props` mapped per model (build,
 * context per slot, slots, model file, template), and the routes behind it kept raw. Through llama-swap only
 * loaded models are described, since asking another for its props would load it.
 */
import { bestEffort } from '../http/map-error.js';
import type { HttpClient } from '../http/http-client.js';
import type { ServerInfo, ServerModelInfo } from '../transport.js';
import { listedModels } from './models.js';
import { upstreamPath, type LlamaServerKind } from './routes.js';
import { fetchRouterModels } from './router-operations.js';
import { parseRunning, readyModels } from './swap-operations.js';

/** The fields of a llama-server `/props` answer that tell builds and settings apart; the answer is `raw`. */
export function mapProps(props: Record<string, unknown>): Omit<ServerModelInfo, 'id'> {
  const settings = props.default_generation_settings as { n_ctx?: unknown } | undefined;
  const nCtx = settings?.n_ctx ?? props.n_ctx;
  const out: Omit<ServerModelInfo, 'id'> = {};
  if (typeof props.build_info === 'string') out.build = props.build_info;
  // A router's own /props says n_ctx 0 (no model of its own): unknown, not a context of 0 tokens that
  // would refuse every cell.
  if (typeof nCtx === 'number' && nCtx > 0) out.contextPerSlot = nCtx;
  if (typeof props.total_slots === 'number') out.slots = props.total_slots;
  if (typeof props.model_path === 'string') out.path = props.model_path;
  if (typeof props.model_alias === 'string') out.alias = props.model_alias;
  if (typeof props.chat_template === 'string') out.chatTemplate = props.chat_template;
  out.raw = props;
  return out;
}

/**
 * Describe the server and `models` (none: whatever it serves). Each route is best effort: one that fails
 * is left out, so a server without `/props` is still described by its model list.
 */
export async function describeServer(
  http: HttpClient,
  kind: LlamaServerKind,
  baseUrl: string,
  models: string[],
  signal: AbortSignal | undefined,
): Promise<ServerInfo> {
  const raw: Record<string, unknown> = {};
  const info: ServerInfo = { kind, baseUrl, models: [], raw };
  const getJson = <T>(path: string) => bestEffort(http.json<T>({ method: 'GET', path, signal }), signal);
  const listed = await getJson<unknown>('/v1/models');
  if (listed !== undefined) raw['/v1/models'] = listed;

  if (kind === 'llama-server') {
    // One server, one model: the same props describe every name it is asked by.
    const props = await getJson<Record<string, unknown>>('/props');
    if (props) {
      const mapped = mapProps(props);
      for (const id of models.length > 0 ? models : [mapped.alias ?? 'default']) info.models.push({ id, ...mapped });
    }
  } else if (kind === 'llama-swap') {
    const running = await getJson<unknown>('/running');
    if (running !== undefined) raw['/running'] = running;
    // Each model is its own llama-server: ask the ready ones only, asking others would load them.
    const ready = readyModels(parseRunning(running));
    for (const id of (models.length > 0 ? models : ready).filter((m) => ready.includes(m))) {
      const props = await getJson<Record<string, unknown>>(upstreamPath(kind, id, '/props'));
      if (props) info.models.push({ id, ...mapProps(props) });
    }
  } else if (kind === 'llama-router') {
    const routerModels = await bestEffort(fetchRouterModels(http, signal), signal);
    // Loaded models only: the router would start the others to answer for them.
    const loaded = (routerModels ?? []).filter((m) => m.state === 'loaded').map((m) => m.id);
    for (const id of (models.length > 0 ? models : loaded).filter((m) => loaded.includes(m))) {
      const props = await getJson<Record<string, unknown>>(upstreamPath(kind, id, '/props'));
      if (props) info.models.push({ id, ...mapProps(props) });
    }
  } else {
    // An OpenAI-compatible server has no props: its `/v1/models` entry is all it says of a model.
    const all = listedModels(listed);
    for (const m of models.length > 0 ? all.filter((l) => models.includes(l.id)) : all) info.models.push({ id: m.id, raw: m.raw });
  }
  return info;
}
