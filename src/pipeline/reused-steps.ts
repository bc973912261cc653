import { DEPLOY_STEP_NAMES } from "./step-names.js";

/** `provision` is the fast verify path and injects the database URLs: every attempt runs it. */
export const ALWAYS_RUN = new Set(["provision"]);

/** A rollback serves an earlier release against the database as it is now. */
export const ROLLBACK_SCHEMA_REASON = "not run: a rollback does not roll the database schema back";

/** The steps before `fromStep` that a new attempt takes from an earlier deployment. */
export function stepsBefore(fromStep: string): string[] {
  const names: readonly string[] = DEPLOY_STEP_NAMES;
  const index = names.indexOf(fromStep);
  return names.slice(0, Math.max(index, 0)).filter((name) => !ALWAYS_RUN.has(name));
}

/** What a rollback takes from the release it serves again: everything but the schema. */
export function rollbackReuses(): string[] {
  return stepsBefore("start").filter((name) => name !== "schema");
}

export function reusedReason(sourceId: string): string {
  return `reused from deployment ${sourceId} (a copy of its release directory)`;
}
