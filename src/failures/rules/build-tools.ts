import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// The shell's, Node's and a Go tool's words for a program that is not installed.
const NOT_FOUND =
  /^(?:\/bin\/)?(?:ba|da)?sh: (?:\d+: |line \d+: )?\S+: (?:command )?not found|: command not found$|\bspawn \S+ ENOENT\b|executable file not found in \$PATH/;

// Bundlers and the shell a script runs in: errors that fail the step without naming a cause
// of their own (the step's code), and a program that is not installed.
export const BUILD_TOOL_RULES: readonly EvidenceRule[] = [
  // In coduck.json install or preStart, a program that is not installed is the failure itself,
  // never the database's (a build or start script names it as its own step's variant, below).
  {
    code: "COMMAND_NOT_FOUND",
    steps: ["install", "schema"],
    pattern: NOT_FOUND,
  },
  {
    code: STEP_FAILED,
    crash: true,
    variant: "command-not-found",
    pattern: NOT_FOUND,
  },
  {
    code: STEP_FAILED,
    crash: true,
    pattern: /[✘X] \[ERROR\] |^ERROR in |^\[!\] /,
  },
];
