/**
 * Ollama's native stream, from responses written in the documented format (docs/api.md): each fixture is
 * fed whole, split every 7 bytes, and byte by byte (a split inside a multi-byte character included); the
 * events and the figures `parseLlamaTimings` reads from the final object must not change.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StreamProtocolError } from '../../../src/errors/index.js';
import { parseLlamaTimings } from '../../../src/timings/parse-llama-timings.js';
import { NdjsonParser } from '../../../src/transport/ollama/ndjson-parser.js';
import type { TransportEvent } from '../../../src/transport/transport.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/ollama/${name}`, import.meta.url));

/** Feed `bytes` in pieces of `size` (whole when 0), each read stamped with its index; then end. */
function replay(bytes: Uint8Array, size: number): { events: TransportEvent[]; error: Error | undefined } {
  const parser = new NdjsonParser();
  const events: TransportEvent[] = [];
  const step = size || bytes.length;
  let read = 0;
  for (let i = 0; i < bytes.length; i += step) events.push(...parser.feed(bytes.subarray(i, i + step), read++));
  events.push(...parser.end(read));
  return { events, error: parser.error };
}

const SPLITS = [0, 7, 1] as const;

describe('Ollama NDJSON streams', () => {
  it.each(SPLITS)('/api/chat (split every %i bytes): one delta per token, then the final object with its figures', (size) => {
    const { events, error } = replay(fixture('chat-stream.ndjson'), size);
    expect(error).toBeUndefined();
    const deltas = events.filter((e) => e.type === 'delta');
    expect(deltas.map((e) => e.text).join('')).toBe('The sky is blue — ünïcode');
    expect(deltas.every((e) => e.tokens === 1 && e.channel === 'content')).toBe(true);
    const final = events.at(-1)!;
    expect(final).toMatchObject({ type: 'final', finishReason: 'length', model: 'llama3.2:1b' });
    if (final.type !== 'final') throw new Error('no final event');
    expect(parseLlamaTimings(final.raw)).toEqual({
      source: 'ollama',
      promptTokens: 512,
      promptMs: 211,
      promptTps: (512 * 1000) / 211,
      generatedTokens: 4,
      generationMs: 30,
      genTps: (4 * 1000) / 30,
      loadMs: 812,
      totalMs: 2350,
    });
  });

  it.each(SPLITS)('/api/generate (split every %i bytes): text from `response`, no load_duration when loaded', (size) => {
    const { events, error } = replay(fixture('generate-stream.ndjson'), size);
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'delta').map((e) => e.text)).toEqual(['Hello', ' world']);
    const final = events.at(-1)!;
    if (final.type !== 'final') throw new Error('no final event');
    expect(final.finishReason).toBe('stop');
    const figures = parseLlamaTimings(final.raw);
    expect(figures).toMatchObject({ source: 'ollama', promptTokens: 37, generatedTokens: 2, promptMs: 12, generationMs: 20 });
    // Go's omitempty: a zero load is absent, and stays undefined rather than 0.
    expect(figures.loadMs).toBeUndefined();
  });

  it('an error line after the 200 status fails the stream, keeping the tokens before it', () => {
    const { events, error } = replay(fixture('error-mid-stream.ndjson'), 7);
    expect(events.map((e) => e.type)).toEqual(['delta']);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error?.message).toContain('unexpected EOF');
  });

  it('a stream cut before `done: true` fails as incomplete', () => {
    const bytes = fixture('generate-stream.ndjson');
    const cut = bytes.subarray(0, bytes.indexOf('\n'.charCodeAt(0)) + 1);
    const { events, error } = replay(cut, 0);
    expect(events.map((e) => e.type)).toEqual(['delta']);
    expect(error?.message).toMatch(/no `done: true`/);
  });

  it('a malformed line fails with the line in the error', () => {
    const parser = new NdjsonParser();
    parser.feed(new TextEncoder().encode('{"response":"a","done":false}\n{"response":\n'), 1);
    expect(parser.error).toBeInstanceOf(StreamProtocolError);
    expect((parser.error as StreamProtocolError).message).toMatch(/malformed line/);
  });
});
