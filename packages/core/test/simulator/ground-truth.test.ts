import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { chatBody, post, useSimulator } from './helpers.js';

const start = useSimulator();

describe('the ground truth says when a request arrived and which request it was', () => {
  it('arrivedAt is taken when the headers are parsed, before the body is read; requestId is X-Request-Id', async () => {
    const s = await start({ mode: 'llama-server', models: [{ name: 'm', genTps: Number.POSITIVE_INFINITY, ttftMs: 0 }] });
    const body = JSON.stringify(chatBody('m', { stream: false, max_tokens: 2 }));
    const socket = connect(s.port, '127.0.0.1');
    await once(socket, 'connect');
    // With `Expect: 100-continue`, node answers "100 Continue" as it hands the parsed headers to the server,
    // so once the client reads it, the request has arrived and its body has not been sent yet.
    socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n' +
        `Expect: 100-continue\r\nX-Request-Id: bench-7\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    const [first] = (await once(socket, 'data')) as [Buffer];
    expect(first.toString('latin1')).toMatch(/^HTTP\/1\.1 100 Continue/);
    const between = process.hrtime.bigint();
    socket.write(body);
    socket.resume();
    await once(socket, 'close');

    expect(s.groundTruth).toHaveLength(1);
    const truth = s.groundTruth[0]!;
    expect(truth.requestId).toBe('bench-7');
    expect(truth.arrivedAt < between).toBe(true);
    expect(truth.receivedAt > between).toBe(true);
    expect(truth.tokenWrites).toHaveLength(2);
  });

  it('a request without X-Request-Id has none; llama-swap mode records both fields too', async () => {
    const s = await start({ mode: 'llama-swap', models: [{ name: 'm', genTps: Number.POSITIVE_INFINITY, ttftMs: 0, loadMs: 0 }] });
    await (await post(`${s.url}/v1/chat/completions`, chatBody('m'))).text();
    await (
      await post(`${s.url}/v1/chat/completions`, chatBody('m'), { headers: { 'content-type': 'application/json', 'x-request-id': 'r2' } })
    ).text();
    expect(s.groundTruth.map((t) => t.requestId)).toEqual([undefined, 'r2']);
    expect('requestId' in s.groundTruth[0]!).toBe(false);
    for (const truth of s.groundTruth) {
      expect(truth.arrivedAt <= truth.receivedAt).toBe(true);
      expect(truth.receivedAt <= truth.tokenWrites[0]!).toBe(true);
    }
  });
});
