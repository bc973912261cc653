import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// Lines that say a step, a build or a command failed without saying why: the bundlers' and
// frameworks' closing banners, a child process's failure as its parent reports it (execa,
// child_process, npm and pnpm's lifecycle lines). Read before the uncaught-error header rule,
// which `Error: Command failed: …` would match; never the verdict when a cause is named.
export const BANNER_RULES: readonly EvidenceRule[] = [
  {
    code: STEP_FAILED,
    evidence: "banner",
    pattern:
      /^Failed to compile\b|Build error occurred|error during build:|Build failed because of webpack errors|^(?:Error: )?Build failed with \d+ errors?|\bCommand failed\b|\bProcess exited with (?:code|status)\b|\bELIFECYCLE\b|^npm (?:error|ERR!) (?:code \d+|command failed)\s*$|\bexited with (?:exit )?code [1-9]\d*\b|^Error: Process completed with exit code/,
  },
];
