/**
 * `@swapbench/core/runners`: runners on several machines through the shared PostgreSQL store (issue #21).
 * `startRunner` works shares of cells from the queue; `connectRunners` gives `runBenchSuite` its `runners`.
 * Its own entry, so only a program that uses it loads `pg` and `pg-boss`.
 */
export { type ConnectRunnersOptions, connectRunners } from './coordinator.js';
export { type DbOffset, measureDbOffset } from './db-clock.js';
export { SHARE_PROTOCOL, SHARE_QUEUE, type ShareJob, type ShareOutput } from './protocol.js';
export type { RemoteCell, RemoteCellOutcome, RemoteRunners } from './remote-runners.js';
export { type Runner, type RunnerOptions, startRunner } from './runner.js';
// Types the jobs and outcomes above are made of, so a consumer's declarations can name them.
export type { LoopDelay } from '../client-health.js';
export type { PromptSetEntry } from '../load/prompt-set.js';
export type { PromptPlan } from '../prompts.js';
