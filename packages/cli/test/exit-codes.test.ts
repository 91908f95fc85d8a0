import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '@swapbench/core/errors';
import { EXIT, EXIT_CODE_BY_ERROR, exitCodeFor, exitCodeForRun } from '../src/exit-codes.js';

describe('exit codes', () => {
  it('gives every error code of core an exit code of the contract, never 0 or 130', () => {
    const contract: number[] = Object.values(EXIT);
    for (const code of ERROR_CODES) {
      const exit = EXIT_CODE_BY_ERROR[code];
      expect(exit, code).toBeDefined();
      expect(contract, code).toContain(exit);
      expect([EXIT.ok, EXIT.cancelled], code).not.toContain(exit);
    }
  });

  it.each<[ErrorCode, number]>([
    ['CONFIG_INVALID', 2],
    ['HOST_BUSY', 3],
    ['LEASE_HELD', 3],
    ['RUN_FAILED', 4],
    ['HOST_UNREACHABLE', 4],
    ['MODEL_NOT_FOUND', 4],
    ['SERVER_LOADING', 4],
    ['HTTP_STATUS', 4],
    ['STREAM_PROTOCOL', 4],
    ['REQUEST_TIMEOUT', 4],
    ['UNSUPPORTED', 4],
  ])('keeps the README contract: %s exits %i', (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });

  it('treats a missing or unknown code as a bug', () => {
    expect(exitCodeFor(undefined)).toBe(EXIT.internal);
    expect(exitCodeFor('NOT_A_CODE' as ErrorCode)).toBe(EXIT.internal);
    expect(exitCodeFor('UNKNOWN')).toBe(EXIT.internal);
  });

  it('maps a run to its exit code by status, a failed one by its error', () => {
    expect(exitCodeForRun({ status: 'completed' })).toBe(EXIT.ok);
    expect(exitCodeForRun({ status: 'cancelled' })).toBe(EXIT.cancelled);
    expect(exitCodeForRun({ status: 'failed', error: { code: 'HOST_UNREACHABLE', message: '' } })).toBe(EXIT.runFailed);
    expect(exitCodeForRun({ status: 'failed', error: { code: 'UNKNOWN', message: '' } })).toBe(EXIT.internal);
    expect(exitCodeForRun({ status: 'failed' })).toBe(EXIT.runFailed);
    expect(exitCodeForRun({ status: 'running' })).toBe(EXIT.internal);
  });
});
