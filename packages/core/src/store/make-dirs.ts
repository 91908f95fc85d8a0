/**
 * Create a folder and its missing parents, one level at a time. Node's `mkdir(dir, { recursive: true })`
 * never returns where a file system answers ENOENT for a folder whose parent exists (procfs, sysfs: tried
 * with `/proc/x` on Node 24, 100% CPU until killed); this gives that error instead.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The folders of `dir` that do not exist yet, outermost first; ENOTDIR when a file is in the way. */
function missingFolders(dir: string, exists: (path: string) => 'dir' | 'file' | undefined): string[] {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const kind = exists(d);
    if (kind === 'file') throw Object.assign(new Error(`${d} is not a folder`), { code: 'ENOTDIR', path: d });
    if (kind === 'dir') break;
    missing.push(d);
    if (dirname(d) === d) break;
  }
  return missing.reverse();
}

const isEexist = (err: unknown) => (err as NodeJS.ErrnoException).code === 'EEXIST';

/** What is at `path`, if anything. */
function kindOf(path: string): 'dir' | 'file' | undefined {
  const s = statSync(path, { throwIfNoEntry: false });
  return s === undefined ? undefined : s.isDirectory() ? 'dir' : 'file';
}

export function makeDirsSync(dir: string): void {
  for (const d of missingFolders(dir, kindOf)) {
    try {
      mkdirSync(d);
    } catch (err) {
      // Another process made it meanwhile: fine.
      if (!isEexist(err)) throw err;
    }
  }
}

export async function makeDirs(dir: string): Promise<void> {
  // Stat synchronously: a few calls when a store opens or a record folder is first made, not per write.
  for (const d of missingFolders(dir, kindOf)) await mkdir(d).catch((err: unknown) => (isEexist(err) ? undefined : Promise.reject(err)));
}
