import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Fault, startSimulator } from '@swapbench/core/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './run-main.js';

/**
 * `swapbench run` against a server that misbehaves, one fault at a time, as a user meets it: the exit code,
 * what the report and --json say, and every request the server received accounted for as a sample.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-faults-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  faults: Fault[];
  /** Suite lines added to the base suite. */
  suite?: string;
  exit: number;
  /** Error codes expected among the failed samples. */
  codes: string[];
  /** What the user reads in the report (stdout) or on stderr. */
  says: RegExp;
}

const CASES: Case[] = [
  {
    name: 'every request answered HTTP 500',
    faults: [{ kind: 'http-500' }],
    exit: 4,
    codes: ['HTTP_STATUS'],
    says: /simulated internal server error/,
  },
  {
    name: 'the model is still loading (503)',
    faults: [{ kind: 'http-503' }],
    exit: 4,
    codes: ['SERVER_LOADING'],
    says: /loading its model/,
  },
  {
    name: 'the server does not know the model',
    faults: [{ kind: 'unknown-model' }],
    exit: 4,
    codes: ['MODEL_NOT_FOUND'],
    says: /model "tiny" not found/,
  },
  {
    name: 'a third of the streams reset mid-answer (within maxErrorRate 0.5)',
    faults: [{ kind: 'reset', probability: 0.3, afterTokens: 2 }],
    suite: 'maxErrorRate: 0.5',
    exit: 0,
    codes: ['STREAM_PROTOCOL'],
    says: /closed mid-response/,
  },
  {
    name: 'a third of the streams reset mid-answer (above the default maxErrorRate)',
    faults: [{ kind: 'reset', probability: 0.3, afterTokens: 2 }],
    exit: 4,
    codes: ['STREAM_PROTOCOL'],
    says: /measured requests failed .*maxErrorRate 5\.0%/,
  },
  {
    name: 'malformed chunks',
    faults: [{ kind: 'malformed-chunk', probability: 0.5 }],
    suite: 'maxErrorRate: 1',
    exit: 0,
    codes: ['STREAM_PROTOCOL'],
    says: /malformed chunk/,
  },
  {
    name: 'streams that stall past requestTimeoutMs',
    faults: [{ kind: 'stall', requests: [2, 3], afterTokens: 1, stallMs: 30_000 }],
    suite: 'requestTimeoutMs: 300\nmaxErrorRate: 0.5',
    exit: 0,
    codes: ['REQUEST_TIMEOUT'],
    says: /timed out after 300 ms/,
  },
  {
    name: 'the server accepts some requests and never answers',
    faults: [{ kind: 'accept-and-never-answer', requests: [2, 5] }],
    suite: 'requestTimeoutMs: 300\nmaxErrorRate: 0.5',
    exit: 0,
    codes: ['REQUEST_TIMEOUT'],
    says: /timed out after 300 ms waiting for headers/,
  },
  {
    name: 'some connections are reset before the headers while the server answers others',
    faults: [{ kind: 'reset-before-headers', requests: [3, 7] }],
    suite: 'maxErrorRate: 0.5',
    exit: 0,
    codes: ['CONNECTION_RESET'],
    says: /was reset before the answer/,
  },
  {
    name: 'some connections end before the headers',
    faults: [{ kind: 'eof-before-headers', requests: [4] }],
    suite: 'maxErrorRate: 0.5',
    exit: 0,
    codes: ['CONNECTION_RESET'],
    says: /was reset before the answer/,
  },
  {
    name: 'every connection is reset: the run stops early instead of firing the rest',
    faults: [{ kind: 'reset-before-headers' }],
    exit: 4,
    codes: ['CONNECTION_RESET'],
    says: /3 requests in a row could not connect .*the run stopped early/,
  },
  {
    name: 'a 50 MB error page',
    faults: [{ kind: 'huge-error-body', requests: [2] }],
    suite: 'maxErrorRate: 0.5',
    exit: 0,
    codes: ['HTTP_STATUS'],
    says: /1× HTTP_STATUS HTTP 500/,
  },
  { name: 'no timings in the final chunk', faults: [{ kind: 'missing-timings' }], exit: 0, codes: [], says: /tiny/ },
  { name: 'no [DONE] after the finish chunk', faults: [{ kind: 'no-done' }], exit: 0, codes: [], says: /tiny/ },
];

describe('swapbench run against a faulty server', () => {
  for (const c of CASES) {
    it(`${c.name}: exit ${c.exit}, every request received is a sample`, async () => {
      const file = join(dir, `${c.name.replace(/\W+/g, '-')}.yaml`);
      const base = 'name: faults\nmodels: [tiny]\npromptTokens: [32]\nmaxTokens: [6]\nconcurrency: [1, 2]\nrepetitions: 4\nwarmup: 0\n';
      await writeFile(file, `${base}${c.suite ?? ''}\n`);
      // A fresh simulator per run, so faults picked by request number hit the same requests in both.
      const run = async (json: boolean) => {
        const sim = await startSimulator({
          mode: 'llama-server',
          seed: 3,
          models: [{ name: 'tiny', genTps: 2000, ttftMs: 1 }],
          faults: c.faults,
        });
        try {
          const out = await runMain(['run', file, '--host', sim.url, '--kind', 'llama-server', ...(json ? ['--json'] : [])]);
          return { ...out, received: sim.stats().requests };
        } finally {
          await sim.close();
        }
      };
      const json = await run(true);
      const report = await run(false);
      expect([json.code, report.code]).toEqual([c.exit, c.exit]);
      const result = JSON.parse(json.stdout) as { cells: { n: number; resent: number; errorCodes: Record<string, number> }[] };
      // Every generation request the simulator received is a measured sample (the suite has no warmup), or
      // the second send of one whose reused connection was closed before any answer.
      expect(result.cells.reduce((a, cell) => a + cell.n + cell.resent, 0)).toBe(json.received);
      const codes = new Set(result.cells.flatMap((cell) => Object.keys(cell.errorCodes)));
      expect([...codes].sort()).toEqual([...c.codes].sort());
      expect(`${report.stdout}\n${report.stderr}`).toMatch(c.says);
      expect(report.stderr).not.toMatch(/^\s+at /m);
    });
  }
});
