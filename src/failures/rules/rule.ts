import type { FailureStep } from "../../pipeline/step-names.js";
import type { FailureCode } from "../codes.js";

/** Stands for the failing step's own code (STEP_FAILURE_CODES in codes.ts). */
export const STEP_FAILED = "STEP_FAILED";

/** One piece of evidence: a tool's own wording, and the failure it shows. */
export type EvidenceRule = {
  /** The failure the line shows; STEP_FAILED for an error that no family names more precisely. */
  code: FailureCode | typeof STEP_FAILED;
  /**
   * Tested against one line, ANSI escapes stripped. Each top-level alternative must hold a
   * literal of 3 or more characters (the classifier looks for all of them at once and tests a
   * line only against the alternatives its literals admit); no backreferences, named groups,
   * or g, y, u, v flags (see scan/required-literals.ts). No quantifier the engine can backtrack
   * into beyond linear: nested, overlapping, or a `.*` that reads the rest of the line again
   * from each occurrence of what precedes it (scan/backtracking-hazards.ts; thenLater writes
   * `before.*after` safely). test/security/classifier-properties.test.ts refuses such a rule.
   */
  pattern: RegExp;
  /**
   * `message` (the default): the sentence a person should read.
   * `detail`: a field that only corroborates (an SQLSTATE, an error code); never the sole evidence shown if a message is near.
   */
  role?: "message" | "detail";
  /** Only in these steps; elsewhere the line falls through to the next rule. */
  steps?: readonly FailureStep[];
  /** What the line means when a migration raised it (a SQL error inside a migration is the migration's failure). */
  inMigration?: FailureCode;
  /** The form of the failure whose fix differs: a key of the code's `variants` in the catalogue. */
  variant?: string;
  /**
   * An uncaught error's first line: the process ends with it, so it outranks specific errors
   * logged (and handled) before it. Only for STEP_FAILED rules.
   */
  crash?: true;
};
