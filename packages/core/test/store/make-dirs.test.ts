import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirs, makeDirsSync } from '../../src/store/make-dirs.js';
import { openFileStore } from '../../src/store/file/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const temps: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'swapbench-make-dirs-'));
  temps.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('making a store folder', () => {
  it('creates missing parents, and leaves existing ones', async () => {
    const root = temp();
    makeDirsSync(join(root, 'a', 'b'));
    await makeDirs(join(root, 'a', 'c', 'd'));
    await makeDirs(join(root, 'a', 'c', 'd'));
    expect([statSync(join(root, 'a', 'b')).isDirectory(), statSync(join(root, 'a', 'c', 'd')).isDirectory()]).toEqual([true, true]);
  });

  it('says ENOTDIR when a file is in the way', async () => {
    const root = temp();
    writeFileSync(join(root, 'f'), 'x');
    expect(() => makeDirsSync(join(root, 'f', 'g'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    await expect(makeDirs(join(root, 'f', 'g'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  // Node's recursive mkdir never returns there (procfs answers ENOENT): the stores must fail instead.
  it.skipIf(!existsSync('/proc/self'))(
    'fails, instead of hanging, where the file system refuses folders (/proc)',
    async () => {
      await expect(openSqliteStore('/proc/swapbench-x/h.db')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(openFileStore('/proc/swapbench-x/dir')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    },
    5000,
  );
});
