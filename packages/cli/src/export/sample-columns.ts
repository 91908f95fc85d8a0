/**
 * One flat row per request (sample), for `swapbench export --format csv|jsonl`: every field of `Sample`,
 * nested ones flattened (`server.genTps` → `server_genTps`, `error.code` → `error_code`), ITL gaps as
 * count/mean/p50/p99. The raw lists (`itlMs`, `timeline_tokenAt`) go in JSONL rows only: a spreadsheet
 * cell of 256 numbers helps nobody.
 */
import type { NormalizedTimings, Sample } from '@swapbench/core';
import { computeStats, redactUrlsIn } from '@swapbench/core';

/** A flat value: what a CSV field or a JSON scalar can hold. `null` for a field the sample lacks. */
export type FlatValue = string | number | boolean | null;

interface FieldColumns {
  columns: readonly string[];
  values(s: Sample): FlatValue[];
}

const SERVER_KEYS = [
  'source',
  'promptTokens',
  'promptEvaluatedTokens',
  'cachedTokens',
  'promptMs',
  'promptTps',
  'generatedTokens',
  'generationMs',
  'genTps',
  'loadMs',
  'totalMs',
  'draftTokens',
  'draftAcceptedTokens',
] as const satisfies readonly (keyof NormalizedTimings)[];
// A server figure added to NormalizedTimings without a column here fails to compile, naming it.
type UnlistedServerKey = Exclude<keyof NormalizedTimings, (typeof SERVER_KEYS)[number]>;
const serverKeysComplete: [UnlistedServerKey] extends [never] ? true : UnlistedServerKey = true;
void serverKeysComplete;

const one = (column: string, value: (s: Sample) => FlatValue | undefined): FieldColumns => ({
  columns: [column],
  values: (s) => [value(s) ?? null],
});

/**
 * Every field of Sample, each once, in column order: the mapped type makes a field added to Sample
 * without its columns here fail to compile.
 */
const FIELDS: { [K in keyof Sample]-?: FieldColumns } = {
  runId: one('runId', (s) => s.runId),
  seq: one('seq', (s) => s.seq),
  phase: one('phase', (s) => s.phase),
  model: one('model', (s) => s.model),
  promptTokens: one('promptTokens', (s) => s.promptTokens),
  maxTokens: one('maxTokens', (s) => s.maxTokens),
  concurrency: one('concurrency', (s) => s.concurrency),
  rate: one('rate', (s) => s.rate),
  startedAt: one('startedAt', (s) => s.startedAt),
  ok: one('ok', (s) => s.ok),
  error: {
    columns: ['error_code', 'error_status', 'error_message'],
    // A message may quote a URL: its credentials stay out of the file.
    values: (s) => [s.error?.code ?? null, s.error?.status ?? null, s.error ? redactUrlsIn(s.error.message) : null],
  },
  requestId: one('requestId', (s) => s.requestId),
  responseId: one('responseId', (s) => s.responseId),
  queueMs: one('queueMs', (s) => s.queueMs),
  connectMs: one('connectMs', (s) => s.connectMs),
  resent: one('resent', (s) => s.resent),
  ttfbMs: one('ttfbMs', (s) => s.ttfbMs),
  ttftMs: one('ttftMs', (s) => s.ttftMs),
  e2eMs: one('e2eMs', (s) => s.e2eMs),
  outputTokens: one('outputTokens', (s) => s.outputTokens),
  tpotMs: one('tpotMs', (s) => s.tpotMs),
  genTps: one('genTps', (s) => s.genTps),
  itlMs: {
    columns: ['itl_count', 'itl_mean', 'itl_p50', 'itl_p99'],
    values: (s) => {
      const stats = computeStats(s.itlMs);
      return [s.itlMs.length, stats.mean, stats.p50, stats.p99];
    },
  },
  promptTokensActual: one('promptTokensActual', (s) => s.promptTokensActual),
  requestPromptTokens: one('requestPromptTokens', (s) => s.requestPromptTokens),
  scheduleLagMs: one('scheduleLagMs', (s) => s.scheduleLagMs),
  scheduledTtftMs: one('scheduledTtftMs', (s) => s.scheduledTtftMs),
  scheduledE2eMs: one('scheduledE2eMs', (s) => s.scheduledE2eMs),
  finishReason: one('finishReason', (s) => s.finishReason),
  coldStart: one('coldStart', (s) => s.coldStart),
  // `;` between flags: one field, and no quoting needed.
  flags: one('flags', (s) => s.flags.join(';')),
  server: {
    columns: SERVER_KEYS.map((k) => `server_${k}`),
    values: (s) => SERVER_KEYS.map((k) => s.server[k] ?? null),
  },
  timeline: {
    columns: ['timeline_startAt', 'timeline_sentAt', 'timeline_tokens'],
    values: (s) => [s.timeline?.startAt ?? null, s.timeline?.sentAt ?? null, s.timeline?.tokenAt.length ?? null],
  },
};

const FIELD_LIST = Object.values(FIELDS);

/** The columns of every row, in order: the CSV header. */
export const SAMPLE_COLUMNS: readonly string[] = FIELD_LIST.flatMap((f) => f.columns);

/** A sample's values, in the order of `SAMPLE_COLUMNS`. */
export function sampleValues(sample: Sample): FlatValue[] {
  return FIELD_LIST.flatMap((f) => f.values(sample));
}

/** A sample as one JSONL record: the flat columns, then the raw ITL gaps and token arrival times. */
export function sampleRecord(sample: Sample): Record<string, FlatValue | number[]> {
  const values = sampleValues(sample);
  const record: Record<string, FlatValue | number[]> = {};
  SAMPLE_COLUMNS.forEach((column, i) => {
    record[column] = values[i]!;
  });
  record.itlMs = sample.itlMs;
  record.timeline_tokenAt = sample.timeline?.tokenAt ?? null;
  return record;
}
