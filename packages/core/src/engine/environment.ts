import { arch, cpus, platform } from 'node:os';
import pkg from '../../package.json' with { type: 'json' };
import type { ClientInfo } from '../result/types.js';

/** The swapbench core version. */
export const VERSION: string = pkg.version;

/** What the client side runs on, recorded with each run. */
export function clientInfo(): ClientInfo {
  const list = cpus();
  return {
    swapbenchVersion: VERSION,
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpus: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
  };
}
