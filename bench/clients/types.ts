/**
 * What every benchmarked client records: per request, when it started the request, when each content token
 * arrived, and the TTFT it reports.
 */
export interface ClientRequestRecord {
  /** The server's response id (`chatcmpl-…`), to join with the simulator's ground truth. */
  id: string | undefined;
  /**
   * The clock reading (ms on the hrtime clock) the client counts as the request's start for TTFT; compared
   * with the simulator's arrival stamp it gives the send latency. Absent when the request failed before it.
   */
  t0Ms?: number;
  /** The TTFT the client reports for this request, ms (absent when no content token arrived). */
  reportedTtftMs?: number;
  /** `process.hrtime.bigint()` when the client read each content token (a read with k tokens stamps k times). */
  tokenStamps: bigint[];
  /** The same in ms on the hrtime clock, when cheaper to take; the runner converts them after the CPU figure. */
  tokenStampsMs?: number[];
  error?: string;
}

export interface ClientRunOptions {
  url: string;
  model: string;
  maxTokens: number;
  concurrency: number;
  /** Requests in total; a sliding window keeps `concurrency` in flight. */
  requests: number;
}

export interface ClientRun {
  records: ClientRequestRecord[];
  /** Peak heap + external bytes growth during the run, a proxy for memory per open stream. */
  peakMemoryBytes: number;
}

/** The request body every client sends: a small chat prompt, exactly `maxTokens` out. */
export function chatBody(model: string, maxTokens: number, n: number): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: `Request ${n}: count slowly.` }],
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    temperature: 0,
    seed: 42,
    ignore_eos: true,
    cache_prompt: false,
  });
}

/** Keep `limit` calls of `task` in flight until `total` have run (no batch barriers). */
export async function slidingWindow(total: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, total) }, worker));
}

/** Sample memory while `run` is going; returns the peak growth over the starting point. */
export async function withPeakMemory<T>(run: () => Promise<T>): Promise<{ value: T; peakMemoryBytes: number }> {
  const base = memory();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, memory());
  }, 50);
  try {
    const value = await run();
    peak = Math.max(peak, memory());
    return { value, peakMemoryBytes: Math.max(0, peak - base) };
  } finally {
    clearInterval(timer);
  }
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}
