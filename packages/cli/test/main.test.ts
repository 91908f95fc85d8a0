import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { VERSION } from '../src/version.js';
import { runMain } from './run-main.js';

/** A loopback port nothing listens on: bound, then released. */
async function unusedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

let dir: string;
let okSuite: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-main-'));
  okSuite = join(dir, 'ok.yaml');
  await writeFile(okSuite, 'name: ok\nmodels: [tiny]\npromptTokens: [32]\nmaxTokens: [8]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('main() in-process: help and version', () => {
  it('--help writes the commands to the given stdout and resolves 0', async () => {
    const { code, stdout } = await runMain(['--help']);
    expect(code).toBe(0);
    for (const command of ['demo', 'run', 'simulate']) expect(stdout).toContain(command);
  });

  it('--version writes the version and resolves 0', async () => {
    const { code, stdout } = await runMain(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(VERSION);
  });

  it('a command --help resolves 0', async () => {
    const { code, stdout } = await runMain(['run', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--host');
  });
});

describe('main() in-process: bad usage resolves 2', () => {
  it('no command: help on the given stderr', async () => {
    const { code, stdout, stderr } = await runMain([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: swapbench');
  });

  it('an unknown flag, named on the given stderr', async () => {
    const { code, stderr } = await runMain(['demo', '--no-such-flag']);
    expect(code).toBe(2);
    expect(stderr).toContain('--no-such-flag');
  });

  it('a --seed that is not an integer', async () => {
    const { code, stderr } = await runMain(['demo', '--seed', 'abc']);
    expect(code).toBe(2);
    expect(stderr).toContain('--seed');
    expect(stderr).toContain('abc');
  });

  it('an invalid suite file, naming the file and the field', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nmodels: [tiny]\npromptTokens: [64]\nmaxTokens: [16]\nconcurrency: [0]\n');
    const { code, stderr } = await runMain(['run', file, '--host', 'http://127.0.0.1:1']);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain('concurrency[0]');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('main() in-process: runs', () => {
  it('an unreachable host resolves 4 when detecting its kind', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const { code, stderr } = await runMain(['run', okSuite, '--host', url]);
    expect(code).toBe(4);
    expect(stderr).toContain(url.slice('http://'.length));
  });

  it('an unreachable host resolves 4 when the kind is given', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const { code, stderr } = await runMain(['run', okSuite, '--host', url, '--kind', 'llama-server']);
    expect(code).toBe(4);
    expect(stderr).toContain(url.slice('http://'.length));
  });

  describe('against the simulator', () => {
    let sim: Simulator;
    beforeAll(async () => {
      sim = await startSimulator({
        mode: 'llama-server',
        seed: 5,
        models: [{ name: 'tiny', genTps: 2000, promptTps: 20000, slots: 1, loadMs: 0 }],
      });
    });
    afterAll(async () => {
      await sim.close();
    });

    it('a completed run resolves 0 and writes its JSON to the given stdout, progress to the given stderr', async () => {
      const { code, stdout, stderr } = await runMain(['run', okSuite, '--host', sim.url, '--json']);
      expect(code).toBe(0);
      const result = JSON.parse(stdout);
      expect(result.status).toBe('completed');
      expect(result.cells).toHaveLength(1);
      expect(stderr).toMatch(/^run \S+: 1 cells/m);
    });

    it('the report lists the server and its models', async () => {
      const { code, stdout } = await runMain(['run', okSuite, '--host', sim.url]);
      expect(code).toBe(0);
      const lines = stdout.split('\n');
      const at = lines.indexOf(`server  llama-server at ${sim.url}`);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(lines[at + 1]).toMatch(/^ {2}\S+: \S/);
    });
  });
});
