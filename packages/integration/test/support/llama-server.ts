/**
 * The real llama-server these tests run against: where it is (SWAPBENCH_LLAMA_SERVER), whether the suite
 * runs, and a helper that starts one on a free loopback port and stops it afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The variable naming the folder that holds `bin/llama-server`, `models/` and `start.sh`. */
export const ENV_VAR = 'SWAPBENCH_LLAMA_SERVER';

/** The two models of that folder: the same weights, without and with a live end-of-sequence token. */
const MODEL_FILES = { tiny: 'tiny-llama-spm-f16.gguf', eos: 'tiny-llama-spm-eos-f16.gguf' } as const;

/** Where the server is, or why the suite cannot run. */
export type LlamaServerLocation =
  | { status: 'ready'; dir: string; binary: string; models: Record<keyof typeof MODEL_FILES, string> }
  | { status: 'unset'; reason: string }
  | { status: 'invalid'; reason: string };

/** Find the llama-server folder from the environment. Set but unusable is `invalid`, never a skip. */
export function locateLlamaServer(env: NodeJS.ProcessEnv = process.env): LlamaServerLocation {
  const value = env[ENV_VAR];
  if (!value) {
    return { status: 'unset', reason: `${ENV_VAR} is not set` };
  }
  const dir = resolve(value);
  const binary = join(dir, 'bin', 'llama-server');
  const models = { tiny: join(dir, 'models', MODEL_FILES.tiny), eos: join(dir, 'models', MODEL_FILES.eos) };
  const missing: string[] = [];
  if (!usable(binary, constants.X_OK)) missing.push(`${binary} (executable)`);
  for (const file of Object.values(models)) if (!usable(file, constants.R_OK)) missing.push(file);
  if (missing.length > 0) return { status: 'invalid', reason: `${ENV_VAR}=${value}: missing ${missing.join(', ')}` };
  return { status: 'ready', dir, binary, models };
}

/** True when CI is set (`CI=true`, `CI=1`): there a missing server fails the run instead of skipping it. */
export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/** Where the server is for this test run. */
export const realServer: LlamaServerLocation = locateLlamaServer();

/** Whether the real-server tests run (`describe.runIf(haveRealServer)`); the gate test explains when not. */
export const haveRealServer = realServer.status === 'ready';

/** A llama-server this process started. */
export interface LlamaServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  pid: number;
  /** Everything the server has logged so far (stdout and stderr). */
  log(): string;
  /**
   * Generation requests the server has taken so far, refused ones included, counted from its log once the
   * log has caught up with every request answered before this call.
   */
  generationRequests(): Promise<number>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** Stop it: `SIGKILL` exits at once, as a crash would; the default `SIGTERM` lets it shut down. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/** What to start: the model (default the one without EOS) and flags added after the defaults. */
export interface StartOptions {
  model?: keyof typeof MODEL_FILES;
  args?: string[];
}

/**
 * Start llama-server on a free 127.0.0.1 port and wait until it listens and `/health` is ok. It gets
 * start.sh's command line (`-c 4096 -np 2 -t 2 --metrics --slots --no-ui -a tiny-llama`) plus
 * `--cache-ram 0 -t 1`, but as a child of this process rather than through start.sh: the test can then wait
 * for its exit after a `kill -9`, reads its log from the pipe, and leaves no orphan behind.
 */
export async function startLlamaServer(options: StartOptions = {}): Promise<LlamaServer> {
  if (realServer.status !== 'ready') throw new Error(realServer.reason);
  let lastError: unknown;
  // Another process may take the free port between the probe and the server's bind: try another one.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(realServer, await freePort(), options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

// b10470 logs "launch_slot_: … processing task" for every generation request it takes, also one it then
// refuses as too long, and "prompt eval time = … / N tokens" for one it runs.
const GENERATION_LINE = /launch_slot_.*processing task/g;
// The marker: BOS + 28 × "a" is a prompt of 29 tokens, a size no test asks for.
const MARKER_REQUEST = { prompt: 'a '.repeat(28).trim(), n_predict: 1, cache_prompt: false };
const MARKER_LINE = /prompt eval time = +[\d.]+ ms \/ +29 tokens/g;

const running = new Set<ChildProcess>();
// A test that throws before its `afterAll` must not leave a server behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startOnce(
  location: Extract<LlamaServerLocation, { status: 'ready' }>,
  port: number,
  options: StartOptions,
): Promise<LlamaServer> {
  const model = location.models[options.model ?? 'tiny'];
  // start.sh's command line with two changes. `--cache-ram 0`: the host-side prompt cache grows by gigabytes
  // over a long run. `-t 1` instead of `-t 2`: on two cores ggml's two threads spin-wait for each other, so any
  // other busy process stalls them (with another llama-server busy, a 16-token request took 7 s at -t 2 and
  // 24 ms at -t 1). Nothing this suite checks depends on the thread count.
  const args = ['-m', model, '--host', '127.0.0.1', '--port', String(port), '-c', '4096', '-np', '2', '-t', '1'];
  args.push('--metrics', '--slots', '--no-ui', '-a', 'tiny-llama', '--cache-ram', '0', ...(options.args ?? []));
  const child = spawn(location.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const chunks: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  let hasExited = false;
  const exited = new Promise<void>((done) => {
    const onEnd = () => {
      hasExited = true;
      running.delete(child);
      done();
    };
    child.once('exit', onEnd);
    // A binary that cannot be spawned emits `error` and no `exit`.
    child.once('error', (err) => {
      chunks.push(String(err));
      onEnd();
    });
  });
  const log = () => chunks.join('');
  const url = `http://127.0.0.1:${port}`;
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (hasExited) return;
    child.kill(signal);
    // A server that does not shut down within 5 s is killed.
    const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(escalate);
  };

  const deadline = Date.now() + 30_000;
  // Its own log line first: a /health answer alone could come from another server that holds the port.
  while (!log().includes(`listening on ${url}`) || !(await healthy(url))) {
    if (hasExited || Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`llama-server did not become healthy on port ${port}:\n${log().split('\n').slice(-10).join('\n')}`);
    }
    await sleep(50);
  }
  let markers = 0;
  const count = (pattern: RegExp) => log().match(pattern)?.length ?? 0;
  return {
    url,
    pid: child.pid!,
    log,
    async generationRequests() {
      // llama.cpp logs from a thread of its own, so its log may trail its answers. A marker request goes
      // through; once the marker's line is in, so is every earlier request's. Markers are not counted.
      const response = await fetch(`${url}/completion`, { method: 'POST', body: JSON.stringify(MARKER_REQUEST) });
      await response.text();
      markers += 1;
      const deadline = Date.now() + 10_000;
      while (count(MARKER_LINE) < markers) {
        if (Date.now() > deadline) throw new Error(`the marker request never showed in the llama-server log:\n${log().slice(-2_000)}`);
        await sleep(5);
      }
      return count(GENERATION_LINE) - markers;
    },
    exited,
    stop,
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** A port nothing listens on right now: bind port 0, read it, release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function usable(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}
