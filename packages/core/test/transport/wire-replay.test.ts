/**
 * The raw TCP bytes recorded from a real llama-server (status line, headers, chunked framing), replayed
 * over loopback cut at awkward places: the events must not depend on where the network splits the bytes.
 */
import { describe, expect, it } from 'vitest';
import { StreamProtocolError } from '../../src/errors/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import type { StreamRequest, TransportEvent } from '../../src/transport/transport.js';
import { startRawServer, writePieces } from './raw-server.js';
import { collectUntilError } from './collect.js';
import { chatRequest, closeAfterEach, completionRequest, fixture } from './helpers.js';
import { manualClock } from './manual-clock.js';

const keep = closeAfterEach();

const chat = chatRequest({ model: 'tiny-llama', maxTokens: 32, cachePrompt: true });
const completion = completionRequest({ model: 'tiny-llama', maxTokens: 32, cachePrompt: true });

/** Events without their timestamps: what must not change with the split. */
const shape = (events: TransportEvent[]) =>
  events.map((event) => {
    const { at: _at, ...rest } = event;
    if (rest.type === 'response-start') {
      delete rest.sentAt;
      delete rest.connectMs;
    }
    return rest;
  });

async function replay(bytes: Uint8Array, cuts: number[], request: StreamRequest): Promise<TransportEvent[]> {
  const server = keep(
    await startRawServer(async (socket) => {
      await writePieces(socket, bytes, cuts);
      socket.end();
    }),
  );
  const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'llama-server', connections: 1 }));
  const events: TransportEvent[] = [];
  for await (const e of transport.stream(request)) events.push(e);
  expect(server.hits).toHaveLength(1);
  await transport.close();
  await server.close();
  return events;
}

describe('replaying recorded wire bytes', () => {
  for (const [name, request, deltas] of [
    ['01_chat_stream_usage.wire', chat, 32],
    ['03_completion_stream.wire', completion, 32],
  ] as const) {
    it(`${name}: same events however the bytes are cut`, async () => {
      const bytes = await fixture(name);
      const whole = await replay(bytes, [], request);
      expect(whole.map((e) => e.type)).toEqual(['response-start', ...Array<string>(deltas).fill('delta'), 'final']);
      expect(whole.at(-1)).toMatchObject({ type: 'final', finishReason: 'length', raw: { timings: { predicted_n: 32 } } });
      // Before every UTF-8 continuation byte: each multi-byte character is split between two reads.
      const midChar = [...bytes.keys()].filter((i) => (bytes[i]! & 0xc0) === 0x80);
      expect(midChar.length).toBeGreaterThan(0);
      const splits = {
        midChar,
        every7: Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => i * 7),
        oneByte: [...bytes.keys()],
      };
      for (const cuts of Object.values(splits)) expect(shape(await replay(bytes, cuts, request))).toEqual(shape(whole));
    });
  }

  it('a connection reset mid-stream is a StreamProtocolError, after the deltas that came', async () => {
    const bytes = await fixture('01_chat_stream_usage.wire');
    const cut = bytes.indexOf('\r\n\r\n1f6\r\n') + 4 + 5 + 0x1f6 + 2;
    const clock = manualClock();
    const server = keep(
      await startRawServer(async (socket) => {
        await writePieces(socket, bytes.subarray(0, cut), []);
        // Reset only once the client has read what was sent (its clock is read as the request is written, at
        // the answer's start, and per read): a reset can discard data the receiver has not read yet.
        await expect.poll(() => clock.reads, { interval: 2 }).toBeGreaterThanOrEqual(3);
        socket.resetAndDestroy();
      }),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'llama-server', connections: 1, clock: clock.read }));
    const { events: seen, error } = await collectUntilError(transport.stream(chat));
    expect(error).toBeInstanceOf(StreamProtocolError);
    // The first HTTP chunk held the role chunk and the first token.
    expect(seen.map((e) => e.type)).toEqual(['response-start', 'delta']);
  });

  it('a connection closed before the last chunk is a StreamProtocolError', async () => {
    const bytes = await fixture('03_completion_stream.wire');
    const server = keep(
      await startRawServer(async (socket) => {
        await writePieces(socket, bytes.subarray(0, bytes.length - 400), []);
        socket.end();
      }),
    );
    const transport = keep(createLlamaTransport({ baseUrl: server.url, kind: 'llama-server', connections: 1 }));
    const error = await (async () => {
      for await (const _ of transport.stream(completion));
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
  });
});
