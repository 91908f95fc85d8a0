/**
 * swapbench's own path: `runBenchSuite` with the undici llama transport, exactly as the CLI runs a suite
 * (prompt calibration, sliding window, per-request measurement, sample store, events). The only addition is
 * a hook on the transport's iterator that keeps each delta's arrival stamp, to compare with ground truth.
 */
import { createMemoryStore, runBenchSuite, type Transport, type TransportEvent } from '@swapbench/core';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { withPeakMemory, type ClientRequestRecord, type ClientRun, type ClientRunOptions } from './types.ts';

/**
 * Milliseconds on the hrtime clock, so stamps compare with the simulator's `process.hrtime.bigint()`:
 * `performance.now()` runs on the same clock from a fixed origin, so one offset converts it, and the
 * harness does not charge swapbench a BigInt per stamp.
 */
const HR_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const hrClock = (): number => performance.now() + HR_OFFSET_MS;

export async function runSwapbenchClient(options: ClientRunOptions): Promise<ClientRun> {
  const inner = createLlamaTransport({ baseUrl: options.url, kind: 'llama-server', connections: options.concurrency, clock: hrClock });
  const records: ClientRequestRecord[] = [];
  const transport: Transport = Object.assign(Object.create(inner) as Transport, {
    stream: (request: Parameters<Transport['stream']>[0], callOptions?: Parameters<Transport['stream']>[1]) =>
      recorded(inner.stream(request, callOptions), records),
  });
  const store = createMemoryStore();
  try {
    const { value: result, peakMemoryBytes } = await withPeakMemory(() =>
      runBenchSuite(
        {
          name: 'bench',
          models: [options.model],
          promptTokens: [32],
          maxTokens: [options.maxTokens],
          concurrency: [options.concurrency],
          repetitions: Math.max(1, Math.round(options.requests / options.concurrency)),
          warmup: 0,
        },
        { transport, store, clock: hrClock },
      ),
    );
    if (result.status !== 'completed') records.push({ id: undefined, tokenStamps: [], error: result.error?.message ?? result.status });
    return { records, peakMemoryBytes };
  } finally {
    await inner.close();
    await store.close();
  }
}

function recorded(stream: AsyncIterable<TransportEvent>, records: ClientRequestRecord[]): AsyncIterable<TransportEvent> {
  return {
    [Symbol.asyncIterator]() {
      const it = stream[Symbol.asyncIterator]();
      const record: ClientRequestRecord = { id: undefined, tokenStamps: [], tokenStampsMs: [] };
      records.push(record);
      return {
        next: () =>
          it.next().then((r) => {
            if (!r.done) {
              const e = r.value;
              if (e.type === 'delta') for (let i = 0; i < e.tokens; i++) record.tokenStampsMs!.push(e.at);
              else if (e.type === 'final') record.id = e.responseId;
            }
            return r;
          }),
        return: (value?: unknown) => it.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined }),
      } as AsyncIterator<TransportEvent>;
    },
  };
}
