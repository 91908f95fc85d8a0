/**
 * The plugin's API from the browser. Every call carries the bearer token when one was entered; event
 * streams are read with fetch + eventsource-parser rather than EventSource, which cannot send that header.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

const TOKEN_KEY = 'swapbench.token';

/** An error answer of the API: its status, code and message, and the rest of its body (evidence, holder). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class Api {
  /** `base`: the plugin's prefix, e.g. `/api/bench`. */
  constructor(readonly base: string) {}

  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = this.token;
    return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
  }

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw apiError(res.status, json);
    return json as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /**
   * Read an event stream (GET, or POST with a body) until it ends or `signal` aborts; each event goes to
   * `onEvent` as it arrives. Rejects with ApiError when the server answers with an error status.
   */
  async stream(
    method: 'GET' | 'POST',
    path: string,
    onEvent: (event: EventSourceMessage) => void,
    options: { body?: unknown; signal?: AbortSignal; lastEventId?: string } = {},
  ): Promise<void> {
    const headers = this.headers({
      accept: 'text/event-stream',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
    });
    const res = await fetch(this.base + path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!res.ok || !res.body) throw apiError(res.status, (await res.json().catch(() => ({}))) as Record<string, unknown>);
    const parser = createParser({ onEvent });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
}

function apiError(status: number, json: Record<string, unknown>): ApiError {
  const error = (json.error ?? {}) as Record<string, unknown>;
  const message = typeof error.message === 'string' ? error.message : `HTTP ${status}`;
  return new ApiError(status, typeof error.code === 'string' ? error.code : `HTTP_${status}`, message, error);
}
