/**
 * Bare undici: the HTTP client swapbench is built on, with nothing of swapbench's. One `Client` per stream,
 * each with a connection open before the load (a GET first), requests sent with `dispatch` and a handler that
 * stamps each read and counts content deltas by byte search, as the floor does, parsing nothing. Its TTFT
 * starts when undici writes the request (`onRequestStart`), as swapbench's does. Between the floor and
 * swapbench it shows what undici itself costs: its socket reads, HTTP parsing and per-request work.
 */
import { Client, type Dispatcher } from 'undici';
import { chatBody, withPeakMemory, type ClientRequestRecord, type ClientRun, type ClientRunOptions } from './types.ts';

const CONTENT = Buffer.from('"delta":{"content":"');
const ID = Buffer.from('"id":"');

/** ms on the hrtime clock (see swapbench.ts): stamps compare with the simulator's `process.hrtime.bigint()`. */
const HR_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const hrClock = (): number => performance.now() + HR_OFFSET_MS;

export async function runUndiciClient(options: ClientRunOptions): Promise<ClientRun> {
  const records: ClientRequestRecord[] = [];
  const lanes = Array.from({ length: Math.min(options.concurrency, options.requests) }, () => new Client(options.url, { pipelining: 1 }));
  try {
    // Open each lane's connection before the load, as the floor and swapbench do.
    await Promise.all(lanes.map((client) => client.request({ method: 'GET', path: '/health' }).then((r) => r.body.dump())));
    const { peakMemoryBytes } = await withPeakMemory(async () => {
      let next = 0;
      await Promise.all(
        lanes.map(async (client) => {
          while (next < options.requests) records.push(await oneRequest(client, options, next++));
        }),
      );
    });
    return { records, peakMemoryBytes };
  } finally {
    await Promise.all(lanes.map((client) => client.close()));
  }
}

function oneRequest(client: Client, options: ClientRunOptions, n: number): Promise<ClientRequestRecord> {
  const record: ClientRequestRecord = { id: undefined, tokenStamps: [], tokenStampsMs: [] };
  const stamps = record.tokenStampsMs!;
  let tail = Buffer.alloc(0);
  return new Promise((resolve) => {
    const done = (error?: string) => {
      if (stamps[0] !== undefined && record.t0Ms !== undefined) record.reportedTtftMs = stamps[0] - record.t0Ms;
      if (error) record.error = error;
      resolve(record);
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {
        record.t0Ms = hrClock();
      },
      onResponseStart(_controller, statusCode) {
        if (statusCode !== 200) done(`HTTP ${statusCode}`);
      },
      onResponseData(_controller, chunk) {
        const now = hrClock();
        if (record.id === undefined) {
          const at = chunk.indexOf(ID);
          if (at >= 0) record.id = chunk.toString('latin1', at + ID.length, chunk.indexOf(34, at + ID.length));
        }
        // A pattern may straddle two reads: search the seam too.
        if (tail.length > 0 && Buffer.concat([tail, chunk.subarray(0, CONTENT.length - 1)]).indexOf(CONTENT) >= 0) stamps.push(now);
        for (let at = chunk.indexOf(CONTENT); at >= 0; at = chunk.indexOf(CONTENT, at + CONTENT.length)) stamps.push(now);
        tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - CONTENT.length + 1)));
      },
      onResponseEnd() {
        done();
      },
      onResponseError(_controller, error) {
        done(error.message);
      },
    };
    client.dispatch(
      {
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        body: chatBody(options.model, options.maxTokens, n),
      },
      handler,
    );
  });
}
