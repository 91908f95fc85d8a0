/**
 * The obvious Node client: global `fetch`, a `TextDecoder`, split on newlines, `JSON.parse` per event.
 * It is the reference swapbench must beat, written the way most scripts are. Its TTFT starts when `fetch` is
 * called, so it includes whatever the global dispatcher does before writing (opening a connection).
 */
import { chatBody, slidingWindow, withPeakMemory, type ClientRequestRecord, type ClientRun, type ClientRunOptions } from './types.ts';

export async function runNaiveClient(options: ClientRunOptions): Promise<ClientRun> {
  const records: ClientRequestRecord[] = [];
  const { peakMemoryBytes } = await withPeakMemory(() =>
    slidingWindow(options.requests, options.concurrency, async (n) => {
      records.push(await oneRequest(options, n));
    }),
  );
  return { records, peakMemoryBytes };
}

async function oneRequest(options: ClientRunOptions, n: number): Promise<ClientRequestRecord> {
  const record: ClientRequestRecord = { id: undefined, tokenStamps: [] };
  const t0 = process.hrtime.bigint();
  record.t0Ms = Number(t0) / 1e6;
  try {
    const response = await fetch(`${options.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody(options.model, options.maxTokens, n),
    });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      const now = process.hrtime.bigint();
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        const event = JSON.parse(line.slice(6));
        record.id ??= event.id;
        if (event.choices?.[0]?.delta?.content) record.tokenStamps.push(now);
      }
    }
  } catch (err) {
    record.error = err instanceof Error ? err.message : String(err);
  }
  const first = record.tokenStamps[0];
  if (first !== undefined) record.reportedTtftMs = Number(first - t0) / 1e6;
  return record;
}
