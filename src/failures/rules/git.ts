import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// git fetch and checkout: `fatal:` is git's error prefix (network failures are in network.ts).
export const GIT_RULES: readonly EvidenceRule[] = [
  { code: STEP_FAILED, crash: true, steps: ["checkout"], pattern: /^fatal: |^error: pathspec / },
];
