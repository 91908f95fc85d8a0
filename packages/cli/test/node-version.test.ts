import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from './run-cli.js';

const engines: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const minimum = /^>=\s*(\d+)\.(\d+)$/.exec(engines);

/** A Node older than the minimum on this machine, outside node_modules (where the pinned Node 24 lives). */
function findOldNode(): { path: string; version: string } | undefined {
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.includes('node_modules')),
    '/usr/local/bin',
    '/usr/bin',
  ].map((dir) => join(dir, 'node'));
  for (const path of new Set(candidates)) {
    if (!existsSync(path)) continue;
    const r = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const [major = 0, minor = 0] = r.stdout.trim().split('.').map(Number);
    if (r.status === 0 && (major < Number(minimum?.[1]) || (major === Number(minimum?.[1]) && minor < Number(minimum?.[2])))) {
      return { path, version: `v${r.stdout.trim()}` };
    }
  }
  return undefined;
}

const old = findOldNode();
if (!old) console.warn(`node-version.test.ts: no Node older than ${engines} on this machine; the below-minimum test is skipped`);

describe('the Node version check', () => {
  it('engines says ">=MAJOR.MINOR", the form bin.ts checks', () => {
    expect(minimum, `packages/cli/package.json engines.node is ${engines}`).not.toBeNull();
  });

  it.skipIf(!old)('below the minimum: one line naming both versions, exit 2', () => {
    const r = spawnSync(old!.path, [BIN, 'demo', '--json', '--store', 'memory:'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`swapbench needs Node >= ${minimum![1]}.${minimum![2]}; you have ${old!.version}\n`);
    expect(r.status).toBe(2);
  });

  it('on this Node (the pinned one) the CLI starts', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.status).toBe(0);
  });
});
