/** `swapbench init` (a suite file to start from, sized for the server with `--host`) and `swapbench models`. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '@swapbench/core/simulator';
import { runCli } from './run-cli.js';
import { useTinyServer } from './tiny-server.js';

const env = useTinyServer('swapbench-init-');

const quick = ['--prompt-tokens', '32,64', '--max-tokens', '8', '--concurrency', '1,2', '--repetitions', '1', '--warmup', '0'];

/** `swapbench init <name> --host <url>` in the test folder (exit 0): the file and what it holds. */
async function initAgainst(name: string, url: string): Promise<{ file: string; text: string; stderr: string }> {
  const file = join(env.dir, name);
  const init = await runCli(['init', file, '--host', url]);
  expect(init.code, init.stderr).toBe(0);
  return { file, text: await readFile(file, 'utf8'), stderr: init.stderr };
}

/** The grid fields of a written suite file, each on its own line as written. */
function expectGrid(text: string, fields: Record<string, string>): void {
  for (const [field, value] of Object.entries(fields)) expect(text).toContain(`\n${field}: ${value}\n`);
}

/** The comment lines right above `field:` in a suite file, as one line of text. */
function commentAbove(text: string, field: string): string {
  const lines = text.split('\n');
  const comment: string[] = [];
  for (let i = lines.findIndex((l) => l.startsWith(`${field}:`)) - 1; i >= 0 && lines[i]!.startsWith('# '); i--)
    comment.unshift(lines[i]!.slice(2));
  return comment.join(' ');
}

describe('swapbench init and models', () => {
  it('init writes a commented suite that runs as written (models from --host), and never overwrites one', async () => {
    const file = join(env.dir, 'init.yaml');
    const first = await runCli(['init', file, '--host', env.sim.url]);
    expect(first.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('models: ["tiny"]');
    expect(text).toMatch(/^# /m);
    // Its pointer to the README names a heading the README has, and links to that heading's anchor.
    const [, heading, anchor] = /"([^"]+)" in the README, https:\/\/github\.com\/swapbench\/swapbench#(\S+)$/m.exec(text) ?? [];
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme.split('\n')).toContain(`### ${heading}`);
    expect(anchor).toBe(heading!.toLowerCase().replaceAll(' ', '-'));
    const again = await runCli(['init', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists already (--force overwrites it)');
    // The template is a valid suite: only the sizes are made small for the test.
    const run = await runCli(['run', file, '--host', env.sim.url, ...quick, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).suite.name).toBe('my-suite');
  });

  it('init --host sizes prompts for the context per slot and concurrency for the slots it reads, and the suite runs as written', async () => {
    const fast = { promptTps: 200_000, genTps: 10_000, ttftMs: 1, loadMs: 0 };
    const small = await startSimulator({ mode: 'llama-server', seed: 3, models: [{ name: 'tiny', ...fast, slots: 2, ctxSize: 1024 }] });
    const single = await startSimulator({ mode: 'llama-server', seed: 3, models: [{ name: 'one', ...fast, slots: 1, ctxSize: 400 }] });
    try {
      const { file, text, stderr } = await initAgainst('sized.yaml', small.url);
      expect(stderr).toContain('sized for its context of 1024 tokens per slot and its 2 slots');
      expectGrid(text, { promptTokens: '[512, 896]', maxTokens: '[128]', concurrency: '[1, 2]' });
      // Each value says why it was chosen, in the comment above it.
      expect(commentAbove(text, 'promptTokens')).toContain(
        "Sized for the server's context of 1024 tokens per slot (n_ctx): a prompt and its output share it, so the longest prompt is 1024 − 128 = 896.",
      );
      expect(commentAbove(text, 'concurrency')).toContain('The server has 2 slots (llama-server -np)');
      const run = await runCli(['run', file, '--host', small.url, '--json']);
      expect(run.stderr).not.toContain('cannot fit');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).suite).toMatchObject({ models: ['tiny'], promptTokens: [512, 896], concurrency: [1, 2] });

      // One slot and a tiny context: a shorter output leaves the prompt room, and concurrency 1 alone.
      const { file: one, text: oneText } = await initAgainst('one-slot.yaml', single.url);
      expectGrid(oneText, { promptTokens: '[300]', maxTokens: '[100]', concurrency: '[1]' });
      expect(commentAbove(oneText, 'concurrency')).toMatch(/The server has 1 slot \(llama-server -np\).*: 1 is all it runs at once;/);
      const oneRun = await runCli(['run', one, '--host', single.url, '--json']);
      expect(oneRun.code).toBe(0);
      expect(JSON.parse(oneRun.stdout).suite).toMatchObject({ promptTokens: [300], maxTokens: [100], concurrency: [1] });
    } finally {
      await small.close();
      await single.close();
    }
  });

  it('init --host on llama-swap sizes for the models loaded, and says the others were not described', async () => {
    const swap = await startSimulator({
      mode: 'llama-swap',
      initiallyLoaded: 'a',
      models: [
        { name: 'a', slots: 3, ctxSize: 2048, loadMs: 0 },
        { name: 'b', loadMs: 0 },
      ],
    });
    try {
      const { text } = await initAgainst('swap.yaml', swap.url);
      expect(text).toContain('models: ["a", "b"]');
      expectGrid(text, { promptTokens: '[512, 1920]', concurrency: '[1, 3]' });
      expect(commentAbove(text, 'promptTokens')).toContain(
        'The server described 1 of its 2 models (llama-swap: the loaded ones); a run checks the others when it loads them.',
      );
      // Asking did not load b.
      expect(swap.loadedModels()).toEqual(['a']);
    } finally {
      await swap.close();
    }
  });

  it('models with a --kind the server is not: exit 4, saying it may be another kind and how to detect it', async () => {
    const { code, stderr } = await runCli(['models', '--host', env.sim.url, '--kind', 'llama-swap']);
    expect(code).toBe(4);
    expect(stderr).toContain(
      `HTTP 404 from ${env.sim.url}/running: File Not Found (the server does not answer /running, which llama-swap does, so it may not be llama-swap: --kind auto (the default) detects what it is)`,
    );
  });

  it('models lists what the server offers', async () => {
    const text = await runCli(['models', '--host', env.sim.url]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('llama-server at');
    expect(text.stdout).toMatch(/^ {2}tiny/m);
    const json = await runCli(['models', '--host', env.sim.url, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'llama-server', models: [{ id: 'tiny' }] });
    const noScheme = await runCli(['models', '--host', 'localhost:8080']);
    expect(noScheme.code).toBe(2);
    expect(noScheme.stderr).toContain('--host');
  });
});
