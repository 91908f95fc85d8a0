/** Shared helpers for the simulator tests: real loopback HTTP, recorded fixtures, SSE and chunked parsing. */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterEach } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const FIXTURES = new URL('../fixtures/llama-server/', import.meta.url);

/** Start a simulator that is closed after the test. */
export function useSimulator(): (options: SimulatorOptions) => Promise<Simulator> {
  const open: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (options) => {
    const sim = await startSimulator(options);
    open.push(sim);
    return sim;
  };
}

export const post = (url: string, body: unknown, init: RequestInit = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });

export type Chunk = Record<string, unknown> & { choices?: Record<string, unknown>[] };

/** The JSON events of an SSE body, and whether it ended with [DONE]. */
export function events(text: string): { chunks: Chunk[]; done: boolean } {
  const lines = text.split('\n').filter((l) => l.startsWith('data: '));
  const done = lines.at(-1) === 'data: [DONE]';
  return { chunks: lines.filter((l) => l !== 'data: [DONE]').map((l) => JSON.parse(l.slice(6)) as Chunk), done };
}

export async function fixture(name: string): Promise<string> {
  return readFile(new URL(name, FIXTURES), 'utf8');
}

export async function recordedEvents(name: string) {
  return events(await fixture(name));
}

export async function recordedJson(name: string): Promise<Chunk> {
  return JSON.parse(await fixture(name)) as Chunk;
}

export async function recordedHeaders(name: string): Promise<string[]> {
  const meta = JSON.parse(await fixture(name)) as { response_headers: [string, string][] };
  return meta.response_headers.map(([k]) => k.toLowerCase());
}

/** Keys of an object and, recursively, of its objects and first array elements: the shape, order included. */
export function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => [k, shape(v)]);
  return value === null ? 'null' : typeof value;
}

export const chatBody = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Tell me a story about a fox.' }],
  max_tokens: 8,
  stream: true,
  stream_options: { include_usage: true },
  ignore_eos: true,
  ...extra,
});

/** What a raw HTTP/1.1 exchange looked like on the socket: each read, the head, and the decoded HTTP chunks. */
export interface RawExchange {
  reads: { at: number; data: string }[];
  head: string;
  /** Body chunks as framed by chunked transfer-encoding (empty for a Content-Length body). */
  chunks: string[];
  body: string;
}

/** Send one request over a plain socket and keep every read, to check what was written together. */
export function rawRequest(port: number, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawExchange> {
  const payload = JSON.stringify(body);
  const extra = Object.entries({ 'Content-Type': 'application/json', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const reads: { at: number; data: string }[] = [];
    const t0 = performance.now();
    socket.on('data', (d: Buffer) => reads.push({ at: performance.now() - t0, data: d.toString('latin1') }));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = reads.map((r) => r.data).join('');
      const split = all.indexOf('\r\n\r\n');
      const head = all.slice(0, split);
      let rest = all.slice(split + 4);
      const chunks: string[] = [];
      if (/transfer-encoding: chunked/i.test(head)) {
        for (;;) {
          const eol = rest.indexOf('\r\n');
          const size = parseInt(rest.slice(0, eol), 16);
          if (!(size > 0)) break;
          chunks.push(Buffer.from(rest.slice(eol + 2, eol + 2 + size), 'latin1').toString('utf8'));
          rest = rest.slice(eol + 2 + size + 2);
        }
      }
      const bodyText = chunks.length > 0 ? chunks.join('') : Buffer.from(rest, 'latin1').toString('utf8');
      resolve({ reads, head, chunks, body: bodyText });
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
