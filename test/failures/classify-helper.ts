import { type Classification, classifyLog } from "../../src/failures/classify.js";
import type { FailureStep } from "../../src/pipeline/step-names.js";

/** Classifies a log given as its lines. */
export function classifyLines(
  step: FailureStep,
  exitCode: number | null,
  lines: readonly string[],
  extra: { signal?: string; timedOut?: boolean } = {},
): Promise<Classification> {
  return classifyLog({ step, exitCode, log: lines.join("\n"), ...extra });
}
