/**
 * The content-chunk shortcut in the stream parser: where it answers, it must give exactly what JSON.parse
 * would; where the chunk carries anything else we read (or an escape), it must decline.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { llamaContentText, StreamParser } from '../../src/transport/llama/stream-parser.js';
import { FIXTURES, fixtureText } from './helpers.js';

async function recordedDataLines(): Promise<string[]> {
  const names = (await readdir(FIXTURES)).filter((n) => n.endsWith('.sse'));
  const lines: string[] = [];
  for (const name of names) {
    const text = await fixtureText(name);
    for (const line of text.split('\n')) if (line.startsWith('data: ') && line !== 'data: [DONE]') lines.push(line.slice(6));
  }
  return lines;
}

const chunk = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    choices: [{ finish_reason: null, index: 0, delta: { content } }],
    created: 1795464361,
    id: 'chatcmpl-abc',
    model: 'tiny-llama',
    system_fingerprint: 'b10470-34af94c',
    object: 'chat.completion.chunk',
    ...extra,
  });

describe('llamaContentText', () => {
  it('reads the text of every recorded content chunk exactly as JSON.parse does, and declines the rest', async () => {
    const lines = await recordedDataLines();
    let read = 0;
    let declined = 0;
    for (const data of lines) {
      const text = llamaContentText(data);
      const parsed = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
      if (text === undefined) {
        declined++;
        continue;
      }
      read++;
      expect(text).toBe(parsed.choices?.[0]?.delta?.content);
      expect(Object.keys(parsed).sort()).toEqual(['choices', 'created', 'id', 'model', 'object', 'system_fingerprint']);
    }
    // The recordings hold hundreds of content chunks and some role, finish, usage and completion chunks.
    expect(read).toBeGreaterThan(100);
    expect(declined).toBeGreaterThan(5);
  });

  it('reads multi-byte text as it is', () => {
    expect(llamaContentText(chunk('рите 😀'))).toBe('рите 😀');
  });

  it('declines text with an escape (quote, newline, backslash, unicode escape)', () => {
    for (const content of ['say "hi"', 'a\nb', 'back\\slash', '\u0001']) expect(llamaContentText(chunk(content))).toBeUndefined();
  });

  it('declines chunks that carry more than the text: timings_per_token, usage, a finish reason, the role, other keys', () => {
    expect(llamaContentText(chunk('x', { timings: { predicted_n: 3 } }))).toBeUndefined();
    expect(llamaContentText(chunk('x', { usage: { completion_tokens: 3 } }))).toBeUndefined();
    expect(llamaContentText(chunk('x', { n_tokens: 2 }))).toBeUndefined();
    expect(llamaContentText(chunk('x').replace('"finish_reason":null', '"finish_reason":"length"'))).toBeUndefined();
    expect(llamaContentText(chunk('x').replace('{"content"', '{"role":"assistant","content"'))).toBeUndefined();
    expect(llamaContentText(chunk('x').slice(0, -1))).toBeUndefined();
  });
});

describe('StreamParser with the shortcut', () => {
  it('gives the same events as parsing every chunk whole', () => {
    const contents = ['Hello', ' "quoted"', ' wörld', '', ' end\n'];
    const role = JSON.stringify({
      choices: [{ finish_reason: null, index: 0, delta: { role: 'assistant', content: null } }],
      created: 1,
      id: 'chatcmpl-abc',
      model: 'm',
      system_fingerprint: 'f',
      object: 'chat.completion.chunk',
    });
    const finish = JSON.stringify({
      choices: [{ finish_reason: 'length', index: 0, delta: {} }],
      created: 1,
      id: 'chatcmpl-abc',
      model: 'm',
      system_fingerprint: 'f',
      object: 'chat.completion.chunk',
    });
    const body = [role, ...contents.map((c) => chunk(c)), finish, '[DONE]'].map((d) => `data: ${d}\n\n`).join('');
    const parser = new StreamParser(false);
    const events = parser.feed(new TextEncoder().encode(body), 7);
    const deltas = events.filter((e) => e.type === 'delta');
    expect(deltas.map((e) => e.type === 'delta' && e.text)).toEqual(['Hello', ' "quoted"', ' wörld', ' end\n']);
    expect(deltas.every((e) => e.type === 'delta' && e.tokens === 1 && e.at === 7)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'final',
      responseId: 'chatcmpl-abc',
      finishReason: 'length',
      model: 'm',
      systemFingerprint: 'f',
      raw: {},
    });
    expect(parser.end(8)).toEqual([]);
    expect(parser.error).toBeUndefined();
  });
});
