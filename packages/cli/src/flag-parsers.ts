import { InvalidArgumentError } from 'commander';

/** A commander argument parser for a number `>= min`; a bad value is a usage error (exit 2). */
export function numberFlag(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min)
      throw new InvalidArgumentError(`${name} must be a number >= ${min}, got "${value}"`);
    return n;
  };
}

/** A commander argument parser for an integer `>= min`; a bad value is a usage error (exit 2). */
export function integerFlag(name: string, min: number): (value: string) => number {
  const parseNumber = numberFlag(name, min);
  return (value) => {
    const n = parseNumber(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
    return n;
  };
}
