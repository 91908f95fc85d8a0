/**
 * Suites, baselines and hosts: one small JSON document per record (`<folder>/<name>.json`), replaced
 * atomically on put, listed by name ascending. One file each, so two processes saving different records
 * never overwrite each other's change.
 */
import { makeDirs } from '../make-dirs.js';
import { readdir, unlink } from 'node:fs/promises';
import { CorruptRecordError, type SwapbenchError } from '../../errors/errors.js';
import { docText, errno, isRecordError, readDoc, writeAtomic } from './fs-atomic.js';
import type { StoreCallOptions } from '../store.js';
import { type Layout, type NameKind, nameOf } from './layout.js';

/** The documents of one folder, keyed by `key` (the record's name or id field). */
export interface RecordFiles<T> {
  get(name: string, o?: StoreCallOptions): Promise<T | undefined>;
  list(o?: StoreCallOptions): Promise<T[]>;
  put(record: T): Promise<T>;
  remove(name: string, o?: StoreCallOptions): Promise<boolean>;
}

export function recordFiles<T extends object>(
  layout: Layout,
  dir: string,
  what: NameKind,
  key: keyof T & string,
  required: ReadonlyArray<keyof T & string>,
  enter: (o?: StoreCallOptions) => void,
  warn: (err: SwapbenchError) => void,
): RecordFiles<T> {
  const pathOf = (name: string) => layout.recordFile(dir, what, name);
  const read = async (name: string): Promise<T | undefined> => {
    const path = pathOf(name);
    const doc = await readDoc(path);
    if (!doc) return undefined;
    const { formatVersion: _, ...record } = doc;
    const missing = required.find((k) => record[k] === undefined);
    if (missing) throw new CorruptRecordError(path, undefined, `has no "${missing}"`);
    if (record[key] !== name)
      throw new CorruptRecordError(path, undefined, `holds ${JSON.stringify(record[key])}, not ${JSON.stringify(name)}`);
    return record as T;
  };
  return {
    async get(name, o) {
      enter(o);
      return read(name);
    },
    async list(o) {
      enter(o);
      let files: string[];
      try {
        files = await readdir(dir);
      } catch (err) {
        if (errno(err) === 'ENOENT') return [];
        throw err;
      }
      const names = files
        .filter((f) => f.endsWith('.json'))
        .map((f) => nameOf(f.slice(0, -'.json'.length)))
        .filter((n): n is string => n !== undefined)
        .sort();
      const out: T[] = [];
      for (const name of names) {
        try {
          const record = await read(name);
          if (record) out.push(record);
        } catch (err) {
          // One bad file must not hide the others: report it, list the rest.
          if (!isRecordError(err)) throw err;
          warn(err);
        }
      }
      return out;
    },
    /** The caller has called `enter`: it stamps the record first. */
    async put(record) {
      const path = pathOf(record[key] as string);
      await makeDirs(dir);
      await writeAtomic(path, docText(record as Record<string, unknown>));
      return structuredClone(record);
    },
    async remove(name, o) {
      enter(o);
      try {
        await unlink(pathOf(name));
        return true;
      } catch (err) {
        if (errno(err) === 'ENOENT') return false;
        throw err;
      }
    },
  };
}
