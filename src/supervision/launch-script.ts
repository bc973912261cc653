import type { ProgramCommand } from "./program-spec.js";

/** `text` as one sh word, taken literally: single quotes, each ' written as '\''. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script supervisord runs (as `/bin/sh <script>`, in the command's directory) for a command:
 * it execs the file with exactly its arguments and exactly its environment. Every
 * argument and value is tenant input, so each is one single-quoted word, and `env -i` keeps
 * supervisord's own environment out of the program's.
 */
export function launchScript(command: ProgramCommand): string {
  const assignments = Object.entries(command.env).map(([key, value]) =>
    shellQuote(`${key}=${value}`),
  );
  const words = [
    "exec",
    "/usr/bin/env",
    "-i",
    // "--" before the assignments: env stops reading options at its first assignment.
    "--",
    ...assignments,
    shellQuote(command.file),
    ...command.args.map(shellQuote),
  ];
  return `#!/bin/sh
# Written by the CoDuck worker (src/supervision): run by supervisord, replaced on each definition.
${words.join(" ")}
`;
}
