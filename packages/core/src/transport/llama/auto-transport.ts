/**
 * A transport that identifies its server on the first call, then behaves as that kind. Until then it offers
 * every optional capability of `TRANSPORT_CAPABILITIES`; detection removes those the kind lacks, and one
 * called before detection that the kind turns out to lack throws UnsupportedError.
 */
import { UnsupportedError } from '../../errors/errors.js';
import type { HttpClient } from '../http/http-client.js';
import { TRANSPORT_CAPABILITIES, type CallOptions, type Transport, type TransportTraits } from '../transport.js';
import { type DetectedKind, detectKind } from './detect.js';

/** What the facade reports before detection: an OpenAI-compatible server, the kind that promises least. */
const UNDETECTED_TRAITS: TransportTraits = Object.freeze({
  anyModelName: false,
  describesLoadedModelsOnly: false,
  reportsPromptTokens: true,
  obeysCachePrompt: false,
});

type Method = (...args: unknown[]) => Promise<unknown>;

/** A facade over the transport `build` makes once `detectKind` has named the server. */
export function autoTransport(
  http: HttpClient,
  baseUrl: string,
  client: Pick<Transport, 'clock' | 'connections' | 'reserveConnections'>,
  build: (kind: DetectedKind) => Transport,
): Transport {
  let inner: Transport | undefined;
  let detecting: Promise<Transport> | undefined;
  const resolve = (signal: AbortSignal | undefined): Promise<Transport> => {
    if (inner) return Promise.resolve(inner);
    // Detection runs without any caller's signal (it is shared); each caller only stops waiting on abort.
    detecting ??= detectKind(http, undefined).then(
      (kind) => {
        inner = build(kind);
        for (const name of TRANSPORT_CAPABILITIES) if (!inner[name]) delete facade[name];
        return inner;
      },
      (err: unknown) => {
        detecting = undefined;
        throw err;
      },
    );
    // Each caller gets the failure through raceSignal; if every caller has gone, nobody is left to see it.
    detecting.catch(() => {});
    return raceSignal(detecting, signal);
  };

  const facade: Transport = {
    get kind() {
      return inner?.kind ?? 'openai';
    },
    get traits() {
      return inner?.traits ?? UNDETECTED_TRAITS;
    },
    ...client,
    baseUrl,
    listModels: async (o) => (await resolve(o?.signal)).listModels(o),
    // Once detected, the detected transport's own stream (which the engine can drain, see EventStream).
    stream: (request, o) =>
      inner
        ? inner.stream(request, o)
        : (async function* () {
            yield* (await resolve(o?.signal)).stream(request, o);
          })(),
    close: () => http.close(),
  };
  for (const name of TRANSPORT_CAPABILITIES) {
    const method: Method = async (...args) => {
      const t = await resolve(signalOf(args));
      const own = t[name] as Method | undefined;
      if (!own) throw new UnsupportedError(`${t.kind} server at ${t.baseUrl} has no ${name}`);
      return own.apply(t, args);
    };
    (facade as unknown as Record<string, Method>)[name] = method;
  }
  return facade;
}

/** The signal of a call: its options come last, by the interface's convention, and may be left out. */
function signalOf(args: unknown[]): AbortSignal | undefined {
  const last = args.at(-1);
  return typeof last === 'object' && last !== null && 'signal' in last ? (last as CallOptions).signal : undefined;
}

/** Wait for `promise`, but reject with the signal's reason as soon as it aborts. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
