/**
 * EventStream owns the queue between the socket and the consumer: it queues what the parser returns,
 * pauses the response when the queue passes its high-water mark, resumes once the consumer has caught up,
 * and delivers a failure only after the events that came before it. Driven directly, as undici would drive
 * it, with a fake client, a fake dispatch controller and a scripted parser: no network, no timers.
 * In push mode (`drain`) the events go to a callback inside the read instead, and nothing is queued.
 */
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { StreamProtocolError } from '../../src/errors/index.js';
import type { BodyParser } from '../../src/transport/http/body-parser.js';
import { EventStream } from '../../src/transport/http/event-stream.js';
import type { HttpClient } from '../../src/transport/http/http-client.js';
import type { TransportEvent } from '../../src/transport/transport.js';

/** The controller undici hands the handler, recording what the stream asked of it. */
class FakeController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  pauses = 0;
  resumes = 0;
  abort(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
    this.resumes++;
  }
}

/** A parser that turns each byte into one delta, and fails on a `!` byte after returning what came before it. */
class ByteParser implements BodyParser {
  error: Error | undefined;
  feed(bytes: Uint8Array, at: number): readonly TransportEvent[] {
    const out: TransportEvent[] = [];
    for (const b of bytes) {
      if (b === 0x21) {
        this.error = new StreamProtocolError('bang');
        break;
      }
      out.push({ type: 'delta', at, text: String.fromCharCode(b), tokens: 1, channel: 'content' });
    }
    return out;
  }
  end(at: number): readonly TransportEvent[] {
    return [{ type: 'final', at, finishReason: 'stop', raw: {}, responseId: undefined, model: undefined, systemFingerprint: undefined }];
  }
}

/** A stream whose request was "sent" and answered 200; returns what undici would hold. */
function started(parser: BodyParser = new ByteParser()) {
  const { stream, dispatched } = unsent(parser);
  const controller = new FakeController();
  const first = stream.next();
  const handler = dispatched();
  handler.onRequestStart!(controller, {});
  handler.onResponseStart!(controller, 200, {}, 'OK');
  return { stream, controller, handler, first };
}

/** A stream not read yet, and the handler undici gets once the request is dispatched. */
function unsent(parser: BodyParser = new ByteParser(), signal?: AbortSignal) {
  let handler: Dispatcher.DispatchHandler | undefined;
  const http = {
    dispatch: (_request: unknown, h: Dispatcher.DispatchHandler) => {
      handler = h;
    },
    mapError: (err: unknown) => err,
  } as unknown as HttpClient;
  let t = 0;
  const stream = new EventStream(http, { method: 'POST', path: '/x', signal }, parser, () => ++t);
  return { stream, dispatched: () => handler! };
}

const text = (e: IteratorResult<TransportEvent>) => (!e.done && e.value.type === 'delta' ? e.value.text : e.done ? 'done' : e.value.type);

describe('EventStream', () => {
  it('pauses a response the consumer has fallen behind, resumes it before the queue runs dry, and loses nothing', async () => {
    const { stream, controller, handler, first } = started();
    expect((await first).value).toMatchObject({ type: 'response-start' });
    // undici stops reading while paused: feed one-event reads until the stream asks it to.
    const total = 1000;
    let sent = 0;
    while (!controller.paused && sent < total) handler.onResponseData!(controller, Buffer.from([0x41 + (sent++ % 26)]));
    expect(controller.pauses).toBe(1);
    expect(sent).toBeLessThan(total);
    // The consumer catches up: resumed once enough has been taken, with events still queued.
    let taken = 0;
    while (controller.paused) {
      await stream.next();
      taken++;
    }
    expect(controller.resumes).toBe(1);
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(sent);
    while (sent < total) handler.onResponseData!(controller, Buffer.from([0x41 + (sent++ % 26)]));
    handler.onResponseEnd!(controller, {});
    const rest: string[] = [];
    for (let r = await stream.next(); !r.done; r = await stream.next()) rest.push(text(r));
    expect(rest).toHaveLength(total - taken + 1);
    expect(rest.at(-1)).toBe('final');
    const letters = Array.from({ length: total }, (_, i) => String.fromCharCode(0x41 + (i % 26)));
    expect(rest.slice(0, -1)).toEqual(letters.slice(taken));
  });

  it('a waiting consumer gets each event as its read arrives, stamped then', async () => {
    const { stream, controller, handler, first } = started();
    // The clock is read when the request is written (1), when the answer starts (2), then once per read.
    expect((await first).value).toEqual({ type: 'response-start', at: 2, status: 200, sentAt: 1 });
    const pending = stream.next();
    handler.onResponseData!(controller, Buffer.from('ab'));
    expect(await pending).toEqual({ done: false, value: { type: 'delta', at: 3, text: 'a', tokens: 1, channel: 'content' } });
    expect((await stream.next()).value).toMatchObject({ text: 'b', at: 3 });
  });

  it('a parser error delivers the events before the fault, then the error, and aborts the response', async () => {
    const { stream, controller, handler, first } = started();
    await first;
    handler.onResponseData!(controller, Buffer.from('ab!c'));
    expect(controller.aborted).toBe(true);
    expect(controller.reason).toBeInstanceOf(StreamProtocolError);
    expect(text(await stream.next())).toBe('a');
    expect(text(await stream.next())).toBe('b');
    await expect(stream.next()).rejects.toBe(controller.reason);
    expect((await stream.next()).done).toBe(true);
  });

  it('leaving early aborts the response and drops what was queued', async () => {
    const { stream, controller, handler, first } = started();
    await first;
    handler.onResponseData!(controller, Buffer.from('abc'));
    await stream.return();
    expect(controller.aborted).toBe(true);
    expect((await stream.next()).done).toBe(true);
  });
});

describe('EventStream.drain', () => {
  /** Drain a stream answered 200, recording each event's text as the callback gets it. */
  function draining(signal?: AbortSignal) {
    const { stream, dispatched } = unsent(new ByteParser(), signal);
    const seen: string[] = [];
    const done = stream.drain((e) => seen.push(e.type === 'delta' ? e.text : e.type));
    const controller = new FakeController();
    const handler = dispatched();
    handler.onRequestStart!(controller, {});
    handler.onResponseStart!(controller, 200, {}, 'OK');
    return { stream, seen, done, controller, handler };
  }

  it('hands each event over inside the read that brought it, then resolves at the end', async () => {
    const { seen, done, controller, handler } = draining();
    expect(seen).toEqual(['response-start']);
    handler.onResponseData!(controller, Buffer.from('ab'));
    // No await between the read and the callback: the events are there as the read returns.
    expect(seen).toEqual(['response-start', 'a', 'b']);
    handler.onResponseEnd!(controller, {});
    await expect(done).resolves.toBeUndefined();
    expect(seen).toEqual(['response-start', 'a', 'b', 'final']);
    expect(controller.pauses).toBe(0);
  });

  it('a parser error delivers the events before the fault, then rejects and aborts the response', async () => {
    const { seen, done, controller, handler } = draining();
    handler.onResponseData!(controller, Buffer.from('ab!c'));
    expect(seen).toEqual(['response-start', 'a', 'b']);
    await expect(done).rejects.toBeInstanceOf(StreamProtocolError);
    expect(controller.aborted).toBe(true);
  });

  it('a callback that throws fails the stream with its error and aborts the response', async () => {
    const { stream, dispatched } = unsent();
    const boom = new Error('boom');
    const done = stream.drain((e) => {
      if (e.type === 'delta') throw boom;
    });
    const controller = new FakeController();
    const handler = dispatched();
    handler.onRequestStart!(controller, {});
    handler.onResponseStart!(controller, 200, {}, 'OK');
    handler.onResponseData!(controller, Buffer.from('ab'));
    await expect(done).rejects.toBe(boom);
    expect(controller.reason).toBe(boom);
  });

  it("the signal's abort rejects the drain with its reason and aborts the response", async () => {
    const abort = new AbortController();
    const { seen, done, controller, handler } = draining(abort.signal);
    handler.onResponseData!(controller, Buffer.from('a'));
    const reason = new Error('stop');
    abort.abort(reason);
    await expect(done).rejects.toBe(reason);
    expect(controller.reason).toBe(reason);
    // Whatever undici still delivers after the abort is not handed over.
    handler.onResponseData!(controller, Buffer.from('b'));
    expect(seen).toEqual(['response-start', 'a']);
  });

  it('a stream is read one way only', async () => {
    const { stream } = draining();
    await expect(stream.drain(() => {})).rejects.toThrow('stream already read');
  });
});
