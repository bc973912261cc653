import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// Bundlers and the shell a script runs in: errors that fail the step without naming a cause
// of their own (the step's code), and a program that is not installed.
export const BUILD_TOOL_RULES: readonly EvidenceRule[] = [
  {
    code: STEP_FAILED,
    crash: true,
    variant: "command-not-found",
    pattern:
      /^(?:\/bin\/)?(?:ba|da)?sh: (?:\d+: |line \d+: )?\S+: (?:command )?not found|: command not found$|\bspawn \S+ ENOENT\b|executable file not found in \$PATH/,
  },
  {
    code: STEP_FAILED,
    crash: true,
    pattern:
      /[✘X] \[ERROR\] |error during build:|^Failed to compile\b|Build error occurred|^ERROR in |^\[!\] |^Error: Build failed with \d+ errors?/,
  },
];
