/**
 * The built `swapbench` CLI, run the way a user runs it: `node <its bin>` in a separate process. The bin is
 * found through the `swapbench` package this one depends on, so it is the file its package.json declares.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunResult, SuiteInput } from '@swapbench/core';

const require = createRequire(import.meta.url);
const cliPackageJson = require.resolve('swapbench/package.json');
const { bin } = require(cliPackageJson) as { bin: { swapbench: string } };

/** The built CLI entry point (packages/cli/dist/bin.js). */
export const BIN = join(dirname(cliPackageJson), bin.swapbench);

/** How a CLI process ended, and everything it printed. */
export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process still running. */
export interface CliProcess {
  /** Resolves once stderr has printed a line matching `pattern` (rejects if the process ends first). */
  waitForStderr(pattern: RegExp): Promise<string>;
  /** Resolves when the process has ended. */
  done: Promise<CliOutcome>;
}

/** Start `swapbench <args>`. A process still running after `timeoutMs` is killed (the test then fails on its code). */
export function startCli(args: string[], options: { timeoutMs?: number } = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let closed = false;
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const check of waiters) check();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 110_000);
  const done = new Promise<CliOutcome>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      closed = true;
      for (const check of waiters) check();
      resolve({ code, signal, stdout, stderr });
    });
  });
  const waitForStderr = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = stderr.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          waiters.delete(check);
          resolve(line);
        } else if (closed) {
          waiters.delete(check);
          reject(new Error(`swapbench ended before printing ${pattern} on stderr:\n${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { waitForStderr, done };
}

/** Run `swapbench <args>` to completion. */
export function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliOutcome> {
  return startCli(args, options).done;
}

/** The `--json` result on stdout; fails with what the CLI printed when it is not JSON. */
export function parseResult(outcome: CliOutcome): RunResult {
  try {
    return JSON.parse(outcome.stdout) as RunResult;
  } catch {
    throw new Error(`stdout is not a JSON result (exit ${outcome.code}):\n${outcome.stdout}\nstderr:\n${outcome.stderr}`);
  }
}

/** A temporary folder for suite files; `remove()` in `afterAll`. */
export async function tempDir(): Promise<{
  path: string;
  writeSuite(name: string, suite: SuiteInput): Promise<string>;
  remove(): Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), 'swapbench-real-'));
  return {
    path,
    async writeSuite(name, suite) {
      const file = join(path, `${name}.json`);
      await writeFile(file, `${JSON.stringify(suite, null, 2)}\n`);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
