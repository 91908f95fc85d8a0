import { describe, expect, it } from 'vitest';
import { type CountTokens, fillerText, planPrompt } from '../../src/engine/prompts.js';
import { fakeTokenCount } from '../../src/testing/fake-transport.js';

/** A tokenizer that adds `fixed` tokens to every prompt, as BOS (and a chat template) do. */
function withFixedPart(fixed: number): CountTokens {
  return async (input) => fakeTokenCount(input) + fixed;
}

describe('planPrompt', () => {
  it('hits a prompt exactly as large as the fixed part without a note (a 1-token completion prompt is just BOS)', async () => {
    const plan = await planPrompt(withFixedPart(1), 'completion', 1, false, 7);
    expect(plan).toEqual({ words: 0, pad: 0, expectedTokens: 1, method: 'tokenizer' });
  });

  it('says so when the asked size is below the fixed part', async () => {
    const plan = await planPrompt(withFixedPart(3), 'completion', 1, false, 7);
    expect(plan.expectedTokens).toBe(3);
    expect(plan.note).toBe('shorter than the fixed part of the prompt (3 tokens): sent with 3 tokens');
  });

  it('hits larger sizes exactly with the tokenizer', async () => {
    for (const [target, withNonce] of [
      [2, false],
      [37, true],
      [500, true],
    ] as const) {
      const plan = await planPrompt(withFixedPart(1), 'completion', target, withNonce, 7);
      expect([plan.expectedTokens, plan.note]).toEqual([target, undefined]);
    }
  });
});

describe('fillerText', () => {
  it('gives the same text for a size and seed however many other sizes were made in between', () => {
    const first = fillerText(500, 17);
    // More sizes than are kept made: the first one is made again, word for word.
    for (let n = 1; n <= 20; n++) fillerText(100 * n + 1, n);
    expect(fillerText(500, 17)).toBe(first);
    expect(first.split(' ')).toHaveLength(500);
    expect(fillerText(500, 18)).not.toBe(first);
  });
});
