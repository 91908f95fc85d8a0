/**
 * Every CLI test file gets a history store of its own in a temp folder: `run` and `demo` persist by
 * default, and no test may write to the real home folder. Child processes inherit it through process.env.
 * XDG_DATA_HOME points there too, so even a test that unsets SWAPBENCH_STORE stays out of the home folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'swapbench-cli-store-'));
process.env.SWAPBENCH_STORE = `sqlite:${join(dir, 'history.db')}`;
process.env.XDG_DATA_HOME = join(dir, 'data');

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
