import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The bench in quick mode must run end to end. Its timings are for reading, never asserted here.
it('bench --quick runs all four clients and writes its JSON', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swapbench-bench-'));
  try {
    const out = join(dir, 'quick.json');
    const child = spawn(process.execPath, [fileURLToPath(new URL('./run.ts', import.meta.url)), '--quick', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = await once(child, 'close');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(await readFile(out, 'utf8'));
    const clients = new Set(result.summary.map((s: { client: string }) => s.client));
    expect([...clients].sort()).toEqual(['floor', 'naive', 'swapbench', 'undici']);
    for (const run of result.runs) {
      expect(run.errors, `${run.client} c${run.concurrency}`).toBe(0);
      expect(run.tokens).toBe(run.requests * result.workload.tokens);
      expect(run.ttftSkewMs.n).toBe(run.requests);
      // Every client says when its TTFT starts and what it reports, and every request joins the ground truth.
      expect(run.sendLatencyMs.n, `${run.client} send latency`).toBe(run.requests);
      expect(run.reportedTtftErrorMs.n, `${run.client} reported-TTFT error`).toBe(run.requests);
    }
    expect(result.targets.length).toBeGreaterThan(0);
    for (const t of result.targets) expect(t.met === null ? t.skipped : t.value).toBeDefined();
    expect(result.helpStartup.medianMs).toBeGreaterThan(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
