import { EXIT } from '../exit-codes.js';

/** Exit code when a comparison found a regression (`compare`, `run --fail-on-regression`): see EXIT.regression. */
export const EXIT_REGRESSION = EXIT.regression;
