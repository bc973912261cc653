import type { FailureCode } from "./codes.js";
import type { EvidenceRule } from "./rules/rule.js";
import type { Stack } from "./rules/stacks.js";

/** A log line that shows the failure, numbered from 1 as it was pushed. */
export type EvidenceLine = { line: number; text: string };

/** How a step's process ended, as the runner saw it. */
export type StepExit = { exitCode: number | null; signal?: string | null; timedOut?: boolean };

/** What a failed step's log says went wrong. */
export type Classification = {
  code: FailureCode;
  title: string;
  /** The fix, specific to `variant` when the catalogue has a hint for it. */
  hint: string;
  retryable: boolean;
  /** The decisive line(s); for UNKNOWN, the two causes that were close, or none. */
  evidence: EvidenceLine[];
  /**
   * The form of the failure, when its forms are told apart (e.g. POOL_EXHAUSTED: `pgbouncer`),
   * or the stack it came from when the fix differs by stack (MIGRATION_FAILED: `knex`).
   */
  variant?: string;
  /** Where the platform docs explain this failure. */
  docs?: string;
  /** The other reading, when the call is close. */
  runnerUp?: { code: FailureCode; evidence: EvidenceLine[] };
};

/**
 * A line a rule named. `code` is the rule's code resolved for the step; `raised`: the line
 * states an error itself (`Error: …`, `error: …`, `npm error …`), rather than mentioning one
 * inside another message (`[flags] table unavailable (relation … does not exist)`).
 */
export type Hit = EvidenceLine & { rule: EvidenceRule; code: FailureCode; raised: boolean };

/** What the classifier keeps of a log, bounded whatever its length. */
export type Observations = {
  /** The latest hits, oldest first. */
  hits: readonly Hit[];
  /** The latest signs of a migration running (`done`: a line saying it finished). */
  migration: readonly (EvidenceLine & { done: boolean })[];
  /** The latest lines showing which database stack ran (a tool, its error class, its package). */
  stacks: readonly { line: number; stack: Stack }[];
  /** The last non-empty line (none if the log was blank). */
  lastLines: readonly EvidenceLine[];
};
