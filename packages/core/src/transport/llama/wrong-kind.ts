/**
 * A transport told what its server is (`kind` given, not detected) may be wrong: a plain llama-server
 * told it is llama-swap answers llama-swap's `/running` with 404 "File Not Found". Such a 404, on a route
 * only that kind has, gets a hint appended to its message: the server may be another kind, and detection
 * would tell.
 */
import type { StatusErrorRules } from '../http/map-error.js';
import type { DetectedKind } from './detect.js';
import { UNKNOWN_ROUTE } from './error-rules.js';

/** Each kind's own routes (a path without its query), and how to name the kind in a sentence. */
const OWN_ROUTES: Partial<Record<DetectedKind, { name: string; owns: (path: string) => boolean }>> = {
  'llama-swap': {
    name: 'llama-swap',
    owns: (p) => p === '/running' || p.startsWith('/upstream/') || p.startsWith('/api/models/unload/'),
  },
  // Router mode's `/models` list and its `/models/load`, `/models/unload`.
  'llama-router': { name: 'a llama-server router', owns: (p) => p === '/models' || p.startsWith('/models/') },
  'llama-server': {
    name: 'a llama-server',
    owns: (p) => ['/props', '/slots', '/tokenize', '/detokenize', '/apply-template', '/completion'].includes(p),
  },
  ollama: { name: 'Ollama', owns: (p) => p.startsWith('/api/') },
  // `openai` is what detection names when nothing else answers: no route is its own.
};

/**
 * The `routeHint` rule for a transport given `kind`: for a 404 whose message says the route is unknown
 * (not that a model is), on a route only that kind answers. Undefined for a kind with no route of its own.
 */
export function wrongKindHint(kind: DetectedKind): StatusErrorRules['routeHint'] {
  const own = OWN_ROUTES[kind];
  if (!own) return undefined;
  return (status, path, message) => {
    const route = path.split('?')[0]!;
    if (status !== 404 || !UNKNOWN_ROUTE.test(message) || !own.owns(route)) return undefined;
    return `the server does not answer ${route}, which ${own.name} does, so it may not be ${own.name}: --kind auto (the default) detects what it is`;
  };
}
