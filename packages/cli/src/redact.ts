/** The CLI redacts URLs with core's one implementation. */
export { redactUrl, redactUrlsIn } from '@swapbench/core';
