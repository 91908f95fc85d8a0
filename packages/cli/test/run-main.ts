import { Writable } from 'node:stream';
import { main } from '../src/program.js';

/** What an in-process `main()` call returned and wrote. */
export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `swapbench <args>` in this process through `main()`, with its output captured. */
export async function runMain(args: string[]): Promise<MainResult> {
  const out = { stdout: '', stderr: '' };
  const sink = (key: keyof typeof out) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out[key] += chunk.toString();
        callback();
      },
    });
  const code = await main(['node', 'swapbench', ...args], { stdout: sink('stdout'), stderr: sink('stderr') });
  return { code, ...out };
}
