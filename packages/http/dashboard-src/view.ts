import type { Api } from './api.js';

/** What each view gets: the API, where to draw, and a signal that aborts when the user leaves the view. */
export interface ViewContext {
  api: Api;
  root: HTMLElement;
  signal: AbortSignal;
  go(hash: string): void;
}
