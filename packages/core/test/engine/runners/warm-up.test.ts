import { describe, expect, it } from 'vitest';
import { warmUp } from '../../../src/engine/runners/warm-up.js';

describe('a runner’s warm-up', () => {
  it('runs the engine against a simulator of its own, and says so when it cannot', async () => {
    const warm = await warmUp();
    // No error: the suite ran end to end (a failed run would say why here).
    expect(warm.error).toBeUndefined();
    expect(warm.ms).toBeGreaterThan(0);
  });
});
