import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { integerFlag } from '../flag-parsers.js';
import { openCliStore, storeOption } from '../history/store-flag.js';

interface ServeFlags {
  port: number;
  bind: string;
  token?: string;
}

/** Signals that stop the server; SIGHUP: the terminal that started it closed. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `swapbench serve`: the `@swapbench/http` plugin standalone, until SIGINT / SIGTERM. Binds loopback unless
 * told otherwise; beyond loopback it refuses to start without a token. Fastify is loaded inside the action,
 * so `swapbench --help` never pays for it (through `@swapbench/http`).
 */
export function makeServeCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('serve the HTTP API (runs, live progress, history, playground) until stopped (Ctrl-C)')
    .option('--port <n>', 'port to listen on (0 = any free port)', integerFlag('--port', 0, 65535), 8787)
    .option('--bind <address>', 'address to bind; beyond loopback a token is required', '127.0.0.1')
    .addOption(new Option('--token <token>', 'bearer token every request must carry').env('SWAPBENCH_TOKEN'))
    .addOption(storeOption())
    .action(async (opts: ServeFlags, command: Command) => {
      const { ConfigError } = await import('@swapbench/core/errors');
      // An empty SWAPBENCH_TOKEN counts as none, so it cannot open the server to everyone by accident.
      const token = opts.token?.trim() ? opts.token.trim() : undefined;
      if (!token && !isLoopback(opts.bind))
        throw new ConfigError([
          {
            path: '--bind',
            message: `${opts.bind} is beyond loopback: give --token (or SWAPBENCH_TOKEN) so that only clients with it can start runs`,
          },
        ]);
      const { store, uri } = await openCliStore(command);
      try {
        const { createSwapbenchServer, DEFAULT_PREFIX } = await import('@swapbench/http');
        const app = await createSwapbenchServer({ store, ...(token ? { auth: { token } } : {}) });
        // Without a token, loopback is the only guard: a web page whose name was re-pointed at 127.0.0.1 (DNS
        // rebinding) would otherwise reach the API as same-origin and register hosts on the user's network.
        if (!token)
          app.addHook('onRequest', async (request, reply) => {
            if (isLoopbackHostHeader(request.headers.host)) return;
            return reply
              .code(403)
              .type('application/json')
              .send({
                error: {
                  code: 'FORBIDDEN',
                  message: `Host ${JSON.stringify(request.headers.host ?? '')} is not a loopback name: without --token this server answers only requests addressed to 127.0.0.1, [::1] or localhost`,
                },
              });
          });
        const address = await app.listen({ port: opts.port, host: opts.bind }).catch((err: unknown) => {
          const code = (err as NodeJS.ErrnoException | undefined)?.code;
          // ENOTFOUND / EAI_AGAIN: a --bind name that does not resolve is bad usage too, not an internal error.
          if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
            throw new ConfigError(
              [{ path: code === 'EADDRINUSE' ? '--port' : '--bind', message: `cannot listen on ${opts.bind}:${opts.port} (${code})` }],
              {
                cause: err,
              },
            );
          throw err;
        });
        ctx.stdout.write(`${address}${DEFAULT_PREFIX}\n`);
        ctx.stderr.write(
          `swapbench API on ${address}${DEFAULT_PREFIX}, dashboard on ${address}${DEFAULT_PREFIX}/dashboard/ (store ${uri}${token ? ', bearer token required' : ''}); Ctrl-C to stop\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => {
            for (const signal of STOP_SIGNALS) process.off(signal, stop);
            resolve();
          };
          for (const signal of STOP_SIGNALS) process.on(signal, stop);
        });
        // Runs in progress are cancelled and stored `cancelled` before the store closes.
        await app.close();
      } finally {
        await store.close();
      }
    });
}

/** A Host header naming this machine's loopback (`127.0.0.1:8787`, `[::1]:8787`, `localhost`), port or not. */
function isLoopbackHostHeader(header: string | undefined): boolean {
  if (!header) return false;
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.replace(/:\d*$/, '');
  return isLoopback(name);
}

/** 127.0.0.0/8, ::1 and `localhost`: the addresses only this machine can reach. */
function isLoopback(address: string): boolean {
  const a = address
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (a === 'localhost') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || /^::ffff:127\./.test(a);
  return false;
}
