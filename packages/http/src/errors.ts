/**
 * Errors as JSON: `{ error: { code, message, issues?, ... } }`. The one place where an error code becomes an
 * HTTP status (the CLI's exit codes live in its own `exit-codes.ts`).
 */
import { type ErrorCode, SwapbenchError } from '@swapbench/core/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** The HTTP status of each error code; `satisfies` makes a new code without a status fail to compile. */
export const HTTP_STATUS_BY_ERROR = {
  CONFIG_INVALID: 400,
  HOST_UNREACHABLE: 502,
  CONNECTION_RESET: 502,
  CLIENT_LIMIT: 503,
  HTTP_STATUS: 502,
  MODEL_NOT_FOUND: 404,
  SERVER_LOADING: 503,
  STREAM_PROTOCOL: 502,
  REQUEST_TIMEOUT: 504,
  DEADLINE_EXCEEDED: 504,
  UNSUPPORTED: 501,
  HOST_BUSY: 409,
  LEASE_HELD: 409,
  SCHEMA_VERSION: 500,
  CORRUPT_RECORD: 500,
  STORE_CLOSED: 503,
  STORE_UNAVAILABLE: 503,
  RUN_NOT_FOUND: 404,
  RUN_EXISTS: 409,
  RUN_FAILED: 500,
} as const satisfies Record<ErrorCode, number>;

/** Codes of the plugin's own answers, beside core's. */
export type HttpOnlyCode = 'NOT_FOUND' | 'UNAUTHORIZED' | 'BODY_TOO_LARGE' | 'TOO_MANY_RUNS' | 'CONFLICT' | 'UPSTREAM_STATUS';

/** An answer of the plugin that is not one of core's errors: a missing record, a refused token, a limit. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: HttpOnlyCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** 404 for a named record (`suite "x" not found`). */
export function notFound(what: string, name: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `${what} ${JSON.stringify(name)} not found`);
}

/** One invalid field: where (`body.suite.concurrency.1`) and what is wrong. */
export interface IssueJson {
  path: string;
  message: string;
}

/** The error body every route answers with. */
export interface ErrorJson {
  error: { code: string; message: string; issues?: IssueJson[]; [key: string]: unknown };
}

/** Fastify error handler of the plugin's context: every error becomes `ErrorJson` with the right status. */
export function handleError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const [status, body] = toJson(err);
  if (status >= 500) request.log.error({ err }, 'swapbench request failed');
  return reply.code(status).type('application/json').send(body);
}

function toJson(err: FastifyError): [number, ErrorJson] {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    const issues = err.validation.map((v) => ({ path: dotted(where, v.instancePath), message: v.message ?? 'is invalid' }));
    return [400, invalid(issues)];
  }
  if (err instanceof HttpError) return [err.statusCode, { error: { code: err.code, message: err.message, ...err.details } }];
  if (SwapbenchError.is(err)) {
    const fields = fieldsOf(err);
    // Core writes several problems as a terminal list ("\n  - a\n  - b"); a JSON message is one line.
    const issues = Array.isArray(fields.issues) && fields.issues.length > 0 ? (fields.issues as IssueJson[]) : undefined;
    const message = issues ? oneLine(issues) : err.message;
    return [HTTP_STATUS_BY_ERROR[err.code] ?? 500, { error: { code: err.code, message, ...fields } }];
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return [413, { error: { code: 'BODY_TOO_LARGE', message: `request body is larger than the limit (${err.message})` } }];
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return [err.statusCode, invalid([{ path: 'body', message: err.message }])];
  return [500, { error: { code: 'INTERNAL', message: 'internal error' } }];
}

function invalid(issues: IssueJson[]): ErrorJson {
  return { error: { code: 'CONFIG_INVALID', message: oneLine(issues), issues } };
}

function oneLine(issues: IssueJson[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

/** `body` + `/messages/0/role` → `body.messages[0].role`, the form core's ConfigError paths take. */
function dotted(where: string, instancePath: string): string {
  let path = where;
  for (const part of instancePath.split('/').filter(Boolean)) path += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  return path;
}

/** What a client can act on, per error: the fields each class adds (issues, evidence, holder, ...). */
function fieldsOf(err: SwapbenchError): Record<string, unknown> {
  const e = err as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ['issues', 'evidence', 'holder', 'expiresAt', 'purpose', 'runId', 'status', 'model', 'available']) {
    if (e[key] !== undefined) out[key] = e[key];
  }
  return out;
}
