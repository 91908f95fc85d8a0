import type { ExitCode } from '../exit-codes.js';

/**
 * Exit code when a comparison found a regression (`compare`, `run --fail-on-regression`): 1, as CI tools
 * read a failed check. It shares the number with `EXIT.internal`; stderr says which it was.
 */
export const EXIT_REGRESSION: ExitCode = 1;
