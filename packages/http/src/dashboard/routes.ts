/**
 * The dashboard's routes: the page at `<prefix>/dashboard/`, its script and stylesheet beside it. Registered
 * outside the API's auth hook: the page holds no data, and asks the user for the token the API wants.
 */
import type { FastifyPluginAsync } from 'fastify';
import { readAsset } from './assets.js';

/** The files a browser may ask for, and their types: nothing else is read from disk. */
const ASSETS: Record<string, string> = {
  'app.global.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** Same origin only: the page talks to its own API and loads nothing from elsewhere. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

export const dashboardRoutes: FastifyPluginAsync<{ apiPrefix: string }> = async (app, { apiPrefix }) => {
  // Read once at registration: a missing bundle fails the server's start, not the first visitor.
  const files = new Map<string, string>();
  for (const name of Object.keys(ASSETS)) files.set(name, await readAsset(name));
  const page = indexHtml(apiPrefix);
  app.get('/dashboard', { schema: { hide: true } }, (request, reply) => reply.redirect(`${request.url.split('?')[0]}/`));
  app.get('/dashboard/', { schema: { hide: true } }, (_request, reply) =>
    reply.header('content-security-policy', CSP).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page),
  );
  app.get<{ Params: { file: string } }>('/dashboard/:file', { schema: { hide: true } }, (request, reply) => {
    const type = ASSETS[request.params.file];
    if (!type) return reply.code(404).type('text/plain').send('not found');
    return reply.header('cache-control', 'no-cache').type(type).send(files.get(request.params.file));
  });
};

function indexHtml(apiPrefix: string): string {
  const api = apiPrefix.replace(/[^A-Za-z0-9/_.-]/g, '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="swapbench-api" content="${api}">
<title>swapbench dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
</head>
<body>
<script src="app.global.js"></script>
</body>
</html>
`;
}
