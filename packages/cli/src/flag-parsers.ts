import { InvalidArgumentError } from 'commander';

/** Decimal notation (`12`, `0.5`, `3e9`): `Number()` alone would also take `0x2`, `0b10` and `0o7`. */
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

/** A commander argument parser for a number in `[min, max]`; a bad value is a usage error (exit 2). */
export function numberFlag(name: string, min: number, max = Number.MAX_VALUE): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const unbounded = max === Number.MAX_VALUE || max === Number.MAX_SAFE_INTEGER;
    const range = unbounded ? `>= ${min}` : `from ${min} to ${max}`;
    if (!DECIMAL.test(value) || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a number ${range}, got "${value}"`);
    return n;
  };
}

/** A commander argument parser for an integer in `[min, max]`; a bad value is a usage error (exit 2). */
export function integerFlag(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const parseNumber = numberFlag(name, min, max);
  return (value) => {
    const n = parseNumber(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
    return n;
  };
}

/** Node's timer range: a delay above it is clamped to 1 ms, silently. */
export const MAX_TIMER_MS = 2_147_483_647;
