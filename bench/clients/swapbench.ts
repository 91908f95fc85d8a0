/**
 * swapbench's own path: `runBenchSuite` with the undici llama transport, exactly as the CLI runs a suite
 * (prompt calibration, sliding window, per-request measurement, sample store, events). The run asks for
 * `timelines: true`, so each stored sample carries its raw clock readings; the records are read back from the
 * store afterwards, with nothing hooked into the transport.
 */
import { createMemoryStore, runBenchSuite, type Sample } from '@swapbench/core';
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
  const transport = createLlamaTransport({ baseUrl: options.url, kind: 'llama-swap', connections: options.concurrency, clock: hrClock });
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
        // The run reads the transport's clock, so sample timelines are on the hrtime clock too.
        { transport, store, timelines: true },
      ),
    );
    const records: ClientRequestRecord[] = [];
    for await (const sample of store.runs.samples(result.runId)) if (sample.phase === 'measured') records.push(recordOf(sample));
    if (result.status !== 'completed') records.push({ id: undefined, tokenStamps: [], error: result.error?.message ?? result.status });
    return { records, peakMemoryBytes };
  } finally {
    await transport.close();
    await store.close();
  }
}

/** A stored sample as a bench record: start = when the request was written (else handed over), TTFT as stored. */
function recordOf(sample: Sample): ClientRequestRecord {
  const error = sample.ok ? undefined : `${sample.error?.code ?? 'failed'}: ${sample.error?.message ?? ''}`;
  const timeline = sample.timeline;
  if (!timeline) {
    // A core without issue #20's timelines: say so instead of reporting figures without their inputs.
    return { id: sample.responseId, tokenStamps: [], error: error ?? 'sample.timeline is missing: this core ignores `timelines: true`' };
  }
  return {
    id: sample.responseId,
    tokenStamps: [],
    tokenStampsMs: timeline.tokenAt,
    t0Ms: timeline.sentAt ?? timeline.startAt,
    ...(sample.ttftMs !== undefined && { reportedTtftMs: sample.ttftMs }),
    ...(error !== undefined && { error }),
  };
}
