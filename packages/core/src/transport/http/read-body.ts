/**
 * Reading a response body with a ceiling: a server (or a proxy in front of it) can answer with an error
 * page of any size, or a body that never ends. Whatever it sends, no more than the ceiling is kept; the
 * rest is never read: the body is destroyed, which closes its connection.
 */

/**
 * What is kept of a non-2xx body: enough for any server's error message (llama.cpp's longest are a few
 * hundred bytes; HTML error pages put their title first), and small enough that a run of failing requests
 * at full concurrency costs a few MiB, not gigabytes.
 */
export const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * The most a 2xx answer to a short call may hold (`/props`, `/v1/models`, `/slots`, `/metrics`, ...):
 * llama-server's are a few KiB (`/props` with a long chat template under 100 KiB), llama-swap's model list
 * grows with its models. Past it the answer is not what was asked for.
 */
export const CALL_BODY_LIMIT = 16 * 1024 * 1024;

/** The bytes of a body, in order: an undici body is one. */
export type ByteSource = AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown };

/** A body read up to a limit. */
export interface LimitedText {
  /** The first `limit` bytes at most, as UTF-8 (a character cut at the limit becomes U+FFFD). */
  text: string;
  /** The body went on past the limit; the rest was not read. */
  truncated: boolean;
}

/**
 * Read `body` as text, keeping at most `limit` bytes; a longer body is destroyed at the limit. With
 * `keepOnError`, a body that fails part way gives what came before the failure (marked truncated).
 */
export async function readLimited(body: ByteSource, limit: number, options: { keepOnError?: boolean } = {}): Promise<LimitedText> {
  const kept = new LimitedCollector(limit);
  try {
    for await (const chunk of body) {
      if (kept.add(chunk)) {
        // Leaving the loop destroys an undici body; said again for any other source.
        body.destroy();
        break;
      }
    }
  } catch (err) {
    if (!options.keepOnError) throw err;
    return { text: kept.text(), truncated: true };
  }
  return { text: kept.text(), truncated: kept.truncated };
}

/**
 * Collects the bytes of a body that arrive through callbacks (the streaming path), keeping at most `limit`;
 * `add` says when the limit is reached, so the caller can stop the response there.
 */
export class LimitedCollector {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  /** Bytes came past the limit and were dropped. */
  truncated = false;

  constructor(private readonly limit: number) {}

  /** Keep what fits of `chunk`; true once the limit is reached (nothing more will be kept). */
  add(chunk: Uint8Array): boolean {
    if (this.truncated) return true;
    const room = this.limit - this.size;
    if (chunk.byteLength > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.size = this.limit;
      this.truncated = true;
      return true;
    }
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    return false;
  }

  /** What was kept, as UTF-8. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
