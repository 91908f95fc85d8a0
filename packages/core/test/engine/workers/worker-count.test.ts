import { describe, expect, it } from 'vitest';
import { lanesOf, STREAMS_PER_WORKER, workersForCell } from '../../../src/engine/workers/worker-count.js';
import { parseSuite } from '../../../src/suite/load-suite.js';
import { suite } from '../helpers.js';

describe('workers per cell', () => {
  it('takes the number asked for, but never more threads than streams', () => {
    expect(workersForCell(1, 1024)).toBe(1);
    expect(workersForCell(4, 1024)).toBe(4);
    expect(workersForCell(4, 3)).toBe(3);
  });

  it('auto: one thread per STREAMS_PER_WORKER streams, up to the cores but one', () => {
    expect(workersForCell('auto', 1, 16)).toBe(1);
    expect(workersForCell('auto', STREAMS_PER_WORKER, 16)).toBe(1);
    expect(workersForCell('auto', STREAMS_PER_WORKER + 1, 16)).toBe(2);
    expect(workersForCell('auto', 4096, 16)).toBe(15);
    // Two cores: the main thread keeps one, so one thread times every stream (today's path).
    expect(workersForCell('auto', 1024, 2)).toBe(1);
  });

  it('splits the lanes evenly, the first threads taking the remainder', () => {
    expect([0, 1, 2].map((k) => lanesOf(8, 3, k))).toEqual([3, 3, 2]);
    expect([0, 1].map((k) => lanesOf(1024, 2, k))).toEqual([512, 512]);
  });
});

describe('the suite field `workers`', () => {
  it('defaults to 1 and takes a number or auto', () => {
    expect(parseSuite(suite()).workers).toBe(1);
    expect(parseSuite(suite({ workers: 'auto' })).workers).toBe('auto');
    expect(parseSuite(suite({ workers: 3 })).workers).toBe(3);
  });

  it('refuses what is not a whole number from 1 to 256, or auto, naming the field', () => {
    expect(() => parseSuite(suite({ workers: 0 }))).toThrow(/workers/);
    expect(() => parseSuite(suite({ workers: 1.5 }))).toThrow(/workers/);
    expect(() => parseSuite(suite({ workers: 1000 }))).toThrow(/workers: must be a whole number from 1 to 256.*got 1000/);
    expect(() => parseSuite(suite({ workers: 'many' as 'auto' }))).toThrow(/workers: must be a whole number from 1 to 256, or "auto"/);
  });
});
