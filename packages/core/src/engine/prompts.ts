import type { PromptInput } from '../transport/transport.js';
import type { PromptCalibration } from '../result/types.js';
import { prng } from '../util/rng.js';
import { WORDS } from '../util/words.js';

/**
 * Filler texts already made, by word count and seed: every request of a prompt size sends the same one (its
 * nonce makes it unique), and making it each time cost 68 µs a request at 1,000 words and 1.2 ms at 32,000,
 * on the loop that stamps the other streams' tokens. A few texts, at most `FILLER_CACHE_CHARS` in all.
 */
const fillers = new Map<string, string>();
let fillerChars = 0;
const FILLER_CACHE_CHARS = 64 * 1024 * 1024;
const FILLER_CACHE_TEXTS = 8;

/** `count` words of deterministic filler text. */
export function fillerText(count: number, seed: number): string {
  const key = `${count}:${seed}`;
  const made = fillers.get(key);
  if (made !== undefined) return made;
  const next = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(WORDS[Math.floor(next() * WORDS.length)]!);
  const text = out.join(' ');
  // The oldest texts go first, to make room for this one.
  for (const [oldKey, old] of fillers) {
    if (fillers.size < FILLER_CACHE_TEXTS && fillerChars + text.length <= FILLER_CACHE_CHARS) break;
    fillers.delete(oldKey);
    fillerChars -= old.length;
  }
  if (text.length <= FILLER_CACHE_CHARS) {
    fillers.set(key, text);
    fillerChars += text.length;
  }
  return text;
}

/**
 * A per-request prefix. In `bust` mode it makes every prompt unique from its first token, so no server
 * (llama.cpp, vLLM prefix caching, Ollama slots) can reuse a cached prefix beyond the chat template's own
 * head. The digits run from the least significant, so consecutive requests differ in the first one (with
 * `Request 000123:` two requests shared `Request 000` and the first digits: up to 5 tokens reused, measured
 * on llama-server). Fixed width, so its token count does not change with the number.
 */
/** Digits in a nonce: at most this many tokens of it can be reused from another request's prompt. */
export const NONCE_DIGITS = 6;

export function nonce(requestNumber: number): string {
  const digits = String(requestNumber % 1_000_000).padStart(6, '0');
  return `${[...digits].reverse().join('')} request:`;
}

/** Build the prompt of one request: nonce (if any) + `words` words of filler + `pad` one-token pads. */
export function buildPrompt(endpoint: 'chat' | 'completion', words: number, prefix: string, seed: number, pad = 0): PromptInput {
  const text = [prefix, fillerText(words, seed)].filter(Boolean).join(' ') + PAD.repeat(pad);
  return endpoint === 'chat' ? { endpoint, messages: [{ role: 'user', content: text }] } : { endpoint, prompt: text };
}

/** A pad that is one token in every tokenizer we know (` a`): fine-tunes a prompt's size after the words. */
const PAD = ' a';

/** Prompt tokens a chat template and BOS add, when the server cannot be asked. */
const ESTIMATED_OVERHEAD = { chat: 10, completion: 1 } as const;
/** Tokens the nonce costs, when the server cannot be asked. */
const ESTIMATED_NONCE_TOKENS = 9;

/** How many filler words make a prompt of `target` tokens, and how that was found. */
export interface PromptPlan {
  words: number;
  /** One-token pads after the words, for the last few tokens words cannot hit. */
  pad: number;
  /** Tokens the server will evaluate for a prompt built with `words` (exact with a tokenizer). */
  expectedTokens: number;
  method: PromptCalibration['method'];
  note?: string;
  /** Cached prompt tokens no unique prefix can avoid (see `PromptCalibration.sharedPrefixTokens`). */
  sharedPrefixTokens?: number;
  /** Cached prompt tokens a request may reuse before it is flagged `warm-cache` (default 0). */
  cacheAllowance?: number;
}

/** A prompt plan from the estimated token overheads, without asking the server. */
export function estimatePlan(endpoint: 'chat' | 'completion', target: number, withNonce: boolean, note?: string): PromptPlan {
  const overhead = ESTIMATED_OVERHEAD[endpoint] + (withNonce ? ESTIMATED_NONCE_TOKENS : 0);
  const words = Math.max(0, target - overhead);
  return { words, pad: 0, expectedTokens: words + overhead, method: 'estimate', ...(note ? { note } : {}) };
}

/** Counts a prompt's tokens as the server will evaluate it (a transport's `tokenize`, bound to a model). */
export type CountTokens = (input: PromptInput) => Promise<number>;

/**
 * Find the filler word count that makes a prompt of exactly `target` tokens as the server evaluates it
 * (chat template included), using the server's tokenizer when there is one (`countTokens`); else estimate.
 */
export async function planPrompt(
  countTokens: CountTokens | undefined,
  endpoint: 'chat' | 'completion',
  target: number,
  withNonce: boolean,
  seed: number,
  signal?: AbortSignal,
): Promise<PromptPlan> {
  const prefix = withNonce ? nonce(0) : '';
  const estimate = (note?: string): PromptPlan => estimatePlan(endpoint, target, withNonce, note);
  if (!countTokens) return estimate('the server has no tokenizer endpoint; prompt sizes are estimated');
  const count = (words: number, pad = 0) => countTokens(buildPrompt(endpoint, words, prefix, seed, pad));
  try {
    const overhead = await count(0);
    if (overhead >= target) {
      return {
        words: 0,
        pad: 0,
        expectedTokens: overhead,
        method: 'tokenizer',
        // Exactly the fixed part is an exact hit (a 1-token completion prompt is just BOS), not a shortfall.
        ...(overhead > target
          ? { note: `shorter than the fixed part of the prompt (${overhead} tokens): sent with ${overhead} tokens` }
          : {}),
      };
    }
    // Words are about one token each; the loop corrects with the measured tokens-per-word ratio.
    let words = target - overhead;
    let tokens = await count(words);
    let best = { words, tokens };
    for (let i = 0; i < 8 && tokens !== target; i++) {
      const perWord = words > 0 ? Math.max(0.25, (tokens - overhead) / words) : 1;
      const step = Math.round((target - tokens) / perWord) || Math.sign(target - tokens);
      const next = Math.max(0, words + step);
      if (next === words) break;
      words = next;
      tokens = await count(words);
      if (Math.abs(tokens - target) < Math.abs(best.tokens - target)) best = { words, tokens };
    }
    // A word can be several tokens: step back below the target, then fill the rest with one-token pads.
    for (let i = 0; i < 8 && best.tokens > target && best.words > 0; i++) {
      const words = Math.max(0, best.words - Math.max(1, best.tokens - target));
      best = { words, tokens: await count(words) };
    }
    let pad = 0;
    if (best.tokens < target) {
      // Pads are one token each in the tokenizers we know; if one merges, correct by what was measured.
      let tryPad = target - best.tokens;
      for (let i = 0; i < 4 && tryPad > 0; i++) {
        const tokens = await count(best.words, tryPad);
        if (tokens === target) {
          pad = tryPad;
          best = { words: best.words, tokens };
          break;
        }
        tryPad += target - tokens;
      }
    }
    return {
      words: best.words,
      pad,
      expectedTokens: best.tokens,
      method: 'tokenizer',
      ...(best.tokens === target ? {} : { note: `closest prompt found has ${best.tokens} tokens, not ${target}` }),
    };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    return estimate(`tokenizer unavailable (${err instanceof Error ? err.message : String(err)}); prompt sizes are estimated`);
  }
}
