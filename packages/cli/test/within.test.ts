import { describe, expect, it } from 'vitest';
import { within } from '../src/within.js';

describe('within', () => {
  it('gives up on a call that never settles (a frozen store) after the bound, and passes a prompt one through', async () => {
    const start = performance.now();
    expect(await within(50, new Promise<never>(() => {}))).toBeUndefined();
    expect(performance.now() - start).toBeGreaterThanOrEqual(45);
    expect(await within(5_000, Promise.resolve('stored'))).toBe('stored');
    await expect(within(5_000, Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
  });
});
