import module from 'node:module';

// Cache compiled code between runs (Node >= 22.1): `swapbench --help` starts in well under 150 ms.
module.enableCompileCache?.();
const { guardOutput } = await import('./output-guard.js');
// Before anything is written: a pipe closed early (`| head -1`) must not crash the CLI.
const guard = guardOutput(process.stdout, process.stderr);
const { main } = await import('./program.js');
process.exitCode = guard.exitCode(await main(process.argv));
