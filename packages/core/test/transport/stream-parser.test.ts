/**
 * The stream parser's contract with its caller: each `feed` and `end` returns the events that call
 * completed, once; the parser keeps no queue. A broken stream sets `error` and still returns what came
 * before the fault.
 */
import { describe, expect, it } from 'vitest';
import { StreamProtocolError } from '../../src/errors/index.js';
import { StreamParser } from '../../src/transport/llama/stream-parser.js';
import { chunk, sse } from './helpers.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('StreamParser returns the events of each call', () => {
  it('a read returns the events it completed, stamped with its time, and never returns them again', () => {
    const parser = new StreamParser(false);
    const first = parser.feed(bytes(sse(chunk({ content: 'a' }), chunk({ content: 'b' }))), 1);
    expect(first.map((e) => [e.type, e.at, e.type === 'delta' && e.text])).toEqual([
      ['delta', 1, 'a'],
      ['delta', 1, 'b'],
    ]);
    const second = parser.feed(bytes(sse(chunk({ content: 'c' }))), 2);
    expect(second.map((e) => e.type === 'delta' && e.text)).toEqual(['c']);
    // What the caller was given is its own: a later call does not change it.
    expect(first).toHaveLength(2);
  });

  it('a read that completes no event (half a line, a comment) returns none', () => {
    const parser = new StreamParser(false);
    const whole = sse(chunk({ content: 'a' }));
    expect(parser.feed(bytes(':\n\n'), 1)).toEqual([]);
    expect(parser.feed(bytes(whole.slice(0, 20)), 2)).toEqual([]);
    expect(parser.feed(bytes(whole.slice(20)), 3)).toMatchObject([{ type: 'delta', text: 'a', at: 3 }]);
  });

  it('end returns the final event when the finish came without [DONE], stamped at the end', () => {
    const parser = new StreamParser(false);
    parser.feed(bytes(sse(chunk({ content: 'a' }), chunk({}, 'stop', { timings: { predicted_n: 1 } }))), 1);
    expect(parser.end(5)).toMatchObject([{ type: 'final', at: 5, finishReason: 'stop', raw: { timings: { predicted_n: 1 } } }]);
    expect(parser.error).toBeUndefined();
  });

  it('end returns nothing more once [DONE] has delivered the final event', () => {
    const parser = new StreamParser(false);
    const events = parser.feed(bytes(sse(chunk({}, 'length'), '[DONE]')), 1);
    expect(events.map((e) => e.type)).toEqual(['final']);
    expect(parser.end(2)).toEqual([]);
  });
});

describe('StreamParser on a broken stream', () => {
  it('a malformed chunk sets error; the events before it in the same read are still returned', () => {
    const parser = new StreamParser(false);
    const events = parser.feed(bytes(sse(chunk({ content: 'a' }), '{"choices":[')), 1);
    expect(events).toMatchObject([{ type: 'delta', text: 'a' }]);
    expect(parser.error).toBeInstanceOf(StreamProtocolError);
    expect(parser.error?.message).toContain('{"choices":[');
    // Nothing after the fault is read.
    expect(parser.feed(bytes(sse(chunk({ content: 'b' }))), 2)).toEqual([]);
    expect(parser.end(3)).toEqual([]);
  });

  it('a body that ends unfinished sets error at end, after returning a last event cut off before its blank line', () => {
    const parser = new StreamParser(false);
    expect(parser.feed(bytes(`data: ${chunk({ content: 'a' })}`), 1)).toEqual([]);
    expect(parser.end(2)).toMatchObject([{ type: 'delta', text: 'a', at: 2 }]);
    expect(parser.error).toBeInstanceOf(StreamProtocolError);
    expect(parser.error?.message).toContain('no finish_reason');
  });

  it('an error object sent mid-stream sets error with the server message', () => {
    const parser = new StreamParser(true);
    const events = parser.feed(
      bytes(sse(JSON.stringify({ content: 'x', stop: false }), JSON.stringify({ error: { code: 500, message: 'slot died' } }))),
      1,
    );
    expect(events).toMatchObject([{ type: 'delta', text: 'x' }]);
    expect(parser.error?.message).toContain('slot died');
  });
});
