import type { FailureStep } from "../../pipeline/step-names.js";
import type { FailureCode } from "../codes.js";
import type { Stack } from "./stacks.js";

/** Stands for the failing step's own code (STEP_FAILURE_CODES in codes.ts). */
export const STEP_FAILED = "STEP_FAILED";

export type EvidenceKind = "code" | "cause" | "error" | "banner";

/** The rank of a rule's evidence: higher is stronger. */
export function evidenceRank(rule: EvidenceRule): number {
  const kind = rule.evidence ?? (rule.code === STEP_FAILED ? "error" : "cause");
  return EVIDENCE_RANK[kind];
}

export const EVIDENCE_RANK: Readonly<Record<EvidenceKind, number>> = {
  code: 3,
  cause: 2,
  error: 1,
  banner: 0,
};

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
  /**
   * Only where the log shows this stack ran (rules/stacks.ts), or for `database`, any
   * database client (or the line names a Postgres or PgBouncer port): elsewhere the line is an
   * error that names no cause (the step's code).
   */
  stack?: Stack | "database";
  /** Only in these steps; elsewhere the line falls through to the next rule. */
  steps?: readonly FailureStep[];
  /** What the line means when a migration raised it (a SQL error inside a migration is the migration's failure). */
  inMigration?: FailureCode;
  /** The form of the failure whose fix differs: a key of the code's `variants` in the catalogue. */
  variant?: string;
  /**
   * The variant holds only if every error code line of the report carries it (each tsc error
   * is in a dependency's types), not if one line does (a Prisma warning beside its header).
   */
  variantOfEvery?: true;
  /**
   * What kind of evidence the line is, which ranks it against another cause in the same
   * failure (decide.ts), strongest first:
   * - `code`: an error code the database or the tool defines, or its fixed message: a
   *   SQLSTATE's text (`relation "x" does not exist`), Prisma's P3018, tsc's TS2322, npm's ERESOLVE;
   * - `cause` (a named code's default): a tool's sentence naming the cause;
   * - `error` (STEP_FAILED's default): an error that names no cause;
   * - `banner`: a summary saying that something failed ("Failed to compile.", "Command
   *   failed", "Error: Process exited with code 1"): never the verdict when anything else
   *   names the failure, and never a crash that outranks what it summarises.
   */
  evidence?: EvidenceKind;
  /**
   * An uncaught error's first line: the process ends with it, so it outranks specific errors
   * logged (and handled) before it. Only for STEP_FAILED rules.
   */
  crash?: true;
};
