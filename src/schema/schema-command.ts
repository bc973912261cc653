/** How a schema command ended, and every line it printed (stdout and stderr, in order). */
export type SchemaCommandResult = { exitCode: number | null; output: string[] };

/**
 * Runs one command in the app directory, with `env` on top of the app's environment, and
 * streams its output wherever the caller keeps the step's log. Never rejects for a non-zero
 * exit: that is reported in `exitCode`.
 */
export type SchemaCommandRunner = (
  file: string,
  args: string[],
  env: Record<string, string>,
) => Promise<SchemaCommandResult>;
