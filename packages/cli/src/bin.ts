// The Node check comes before any other import: on an older Node, one line instead of a stack trace from a
// dependency. Only syntax that Node 18 parses up to here. Keep MIN_NODE in step with `engines` in package.json
// (node-version.test.ts checks both): 22.13 is where `node:sqlite`, the default store, needs no flag.
const MIN_NODE = [22, 13] as const;
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
  process.stderr.write(`swapbench needs Node >= ${MIN_NODE.join('.')}; you have ${process.version}\n`);
  process.exitCode = 2;
} else {
  await start();
}

async function start(): Promise<void> {
  const { default: module } = await import('node:module');
  // Cache compiled code between runs (Node >= 22.1): `swapbench --help` starts in well under 150 ms.
  module.enableCompileCache?.();
  quietSqliteWarning();
  const { guardOutput } = await import('./output-guard.js');
  // Before anything is written: a pipe closed early (`| head -1`) must not crash the CLI.
  const guard = guardOutput(process.stdout, process.stderr);
  const { main } = await import('./program.js');
  process.exitCode = guard.exitCode(await main(process.argv));
}

/** Node 22.13–22.x warns that `node:sqlite` is experimental on first load, in the middle of a report; only that warning is dropped. */
function quietSqliteWarning(): void {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    if ((type ?? (warning as Error).name) === 'ExperimentalWarning' && text.startsWith('SQLite ')) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}
