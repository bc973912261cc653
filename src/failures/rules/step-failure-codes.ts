import type { FailureCode } from "../codes.js";
import type { FailureStep } from "../step-names.js";

/**
 * What an error that no family names means in each step: a build tool's error fails the build,
 * an uncaught error at start is a crash, any SQL error while applying the schema fails the
 * migration. Runtime errors that name nothing are not a verdict: the app keeps serving.
 */
export const STEP_FAILURE_CODES: Record<FailureStep, FailureCode> = {
  provision: "UNKNOWN",
  checkout: "CHECKOUT_FAILED",
  install: "INSTALL_FAILED",
  build: "BUILD_FAILED",
  schema: "MIGRATION_FAILED",
  start: "START_CRASHED",
  runtime: "UNKNOWN",
};
