import type { Command, CommanderError } from 'commander';

/**
 * What a command writes, besides commander's message on stderr, when commander refuses its command line (an
 * invalid flag value, an unknown option, a missing option argument, too many arguments). `args` are the
 * arguments the command was given, unchecked. `run --json` writes its failed result object this way.
 */
export type UsageErrorReport = (args: readonly string[], err: CommanderError) => Promise<void>;

const reports = new WeakMap<Command, UsageErrorReport>();
const pending = new WeakMap<CommanderError, () => Promise<void>>();

/** Have `report` called when commander refuses `command`'s command line; the exit code stays 2. */
export function onUsageError(command: Command, report: UsageErrorReport): Command {
  reports.set(command, report);
  return command;
}

/**
 * The exit callback of `command` (`exitOverride`): commander's error is thrown unchanged, so `main()` maps it
 * to an exit code; a refused command line keeps the command's report for `reportUsageError` to write.
 */
export function throwUsageErrors(command: Command): (err: CommanderError) => never {
  return (err) => {
    const report = reports.get(command);
    // Help and version (exit 0) are not errors. The parent's arguments are this command's name, then its own.
    if (report && err.exitCode !== 0) pending.set(err, () => report(command.parent?.args.slice(1) ?? [], err));
    throw err;
  };
}

/** Write the report of the command whose command line `err` refused; nothing when it has none. */
export async function reportUsageError(err: CommanderError): Promise<void> {
  await pending.get(err)?.();
}
