/**
 * Request and response schemas of every route, in zod; the OpenAPI document is generated from them. Records
 * from core (runs, comparisons) are loose objects naming the fields a client most needs: core adds fields,
 * and a strict schema would drop them.
 */
import { z } from 'zod';

/** A registered host's name, never a URL: requests may only target hosts registered by whoever runs the server. */
export const HostName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9._-]{0,63}$/,
    'must be the name of a registered host (a letter, then letters, digits, ".", "_" or "-"), not a URL',
  );

/** The server kinds a registered host may have; without one, the kind is detected. */
export const HOST_KINDS = ['llama-swap', 'llama-server', 'llama-router', 'openai', 'ollama'] as const;

/** Fields that would point the server at an address of the client's choosing: refused, by name. */
const refusedAddress = z.never({ error: 'is refused: requests may only target registered hosts, by name (field `host`)' }).optional();
const noAddress = { baseUrl: refusedAddress, url: refusedAddress, upstream: refusedAddress };

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,127}$/, 'must be 1-128 letters, digits, " ", ".", "_", "@", ":" or "-"');
const SuiteBody = z.record(z.string(), z.unknown()).describe('A suite, as in a suite file (validated in full by core).');

export const ErrorBody = z
  .object({
    error: z.looseObject({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Standard error answers of a route, by status. */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorBody]));

export const SuiteRecordJson = z.object({ name: z.string(), suite: SuiteBody, updatedAt: z.string() }).meta({ id: 'SuiteRecord' });
export const SuitePutBody = z.strictObject({ suite: SuiteBody });
export const NameParams = z.object({ name: Name });
export const IdParams = z.object({ id: z.string().min(1).max(200) });
export const HostParams = z.object({ id: HostName });

export const RunStartBody = z
  .strictObject({
    host: HostName,
    suite: SuiteBody.optional(),
    suiteName: Name.optional().describe('A suite stored with POST /suites, instead of `suite`.'),
    takeover: z.boolean().optional().describe('Run even though the host is busy with requests that are not ours.'),
    waitMs: z.number().int().min(0).max(3_600_000).optional().describe('Wait up to this long for a leased host, ms.'),
    jobType: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/)
      .optional(),
    ...noAddress,
  })
  .refine((b) => (b.suite === undefined) !== (b.suiteName === undefined), {
    message: 'give exactly one of `suite` and `suiteName`',
    path: ['suite'],
  });

export const RunAccepted = z.object({ runId: z.string(), status: z.literal('running'), events: z.string() });

const RunStatus = z.enum(['running', 'completed', 'cancelled', 'failed', 'interrupted']);
export const RunListQuery = z.strictObject({
  suite: z.string().optional(),
  status: RunStatus.optional(),
  host: HostName.optional(),
  model: z.string().optional(),
  jobType: z.string().optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
const RunSummaryJson = z
  .looseObject({ runId: z.string(), suiteName: z.string(), status: RunStatus, startedAt: z.string(), hostId: z.string().optional() })
  .meta({ id: 'RunSummary' });
export const RunPage = z.object({ items: z.array(RunSummaryJson), nextCursor: z.string().optional() });

export const RunDetailQuery = z.strictObject({ baseline: Name.optional().describe('Baseline to compare with; default `<suite>@<host>`.') });
export const RunDetail = z.object({
  run: z
    .looseObject({ runId: z.string(), status: RunStatus, cells: z.array(z.looseObject({ model: z.string() })) })
    .meta({ id: 'RunResult' }),
  live: z.boolean().describe('The run is still in progress in this server.'),
  baseline: z.object({ name: z.string(), runId: z.string() }).nullable(),
  comparison: z.looseObject({ verdict: z.string() }).nullable().describe('CompareResult of the run against the baseline.'),
});
export const CancelAnswer = z.object({ runId: z.string(), status: z.literal('cancelling') });

export const BaselineJson = z.object({ name: z.string(), runId: z.string(), setAt: z.string() }).meta({ id: 'Baseline' });
export const BaselinePutBody = z.strictObject({ runId: z.string().min(1).max(200), force: z.boolean().optional() });

export const HostJson = z
  .object({
    id: z.string(),
    baseUrl: z.string(),
    kind: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Host' });
export const HostPostBody = z.strictObject({
  // Its own message: this is the name being registered, so "must be a registered host" would mislead.
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 characters: a letter, then letters, digits, ".", "_" or "-"'),
  baseUrl: z.string().max(2000).describe('http(s)://host[:port][/path], without credentials'),
  // Every kind `swapbench hosts add --kind` takes (but `auto`, which is the field left out).
  kind: z.enum(HOST_KINDS).optional(),
  labels: z.record(z.string().max(64), z.string().max(500)).optional(),
});
export const ModelsAnswer = z.object({ models: z.array(z.looseObject({ id: z.string(), loaded: z.boolean().optional() })) });

const Message = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(200_000) });
const Sampling = z
  .strictObject({
    temperature: z.number().min(0).max(5).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).max(1000).optional(),
    min_p: z.number().min(0).max(1).optional(),
    repeat_penalty: z.number().min(0).max(5).optional(),
    seed: z.number().int().optional(),
  })
  .describe('Sampling parameters, passed to the server as they are.');
const ChatCommon = {
  messages: z.array(Message).min(1).max(200),
  maxTokens: z.number().int().min(1).max(32_768).default(256),
  sampling: Sampling.optional(),
  ...noAddress,
};
export const ChatBody = z.strictObject({ host: HostName, model: z.string().min(1).max(200), ...ChatCommon });
export const ChatAbBody = z.strictObject({
  lanes: z
    .array(z.strictObject({ host: HostName, model: z.string().min(1).max(200), ...noAddress }))
    .length(2)
    .describe('Lane `a` and lane `b`: a registered host and a model each.'),
  ...ChatCommon,
});
export const SseAnswer = z.string().describe('text/event-stream');

export type ChatBodyT = z.infer<typeof ChatBody>;
