/**
 * Where a failure can come from: the deploy steps, plus `runtime` (the app's output after start,
 * while it is still serving requests).
 */
export const FAILURE_STEPS = [
  "provision",
  "checkout",
  "install",
  "build",
  "schema",
  "start",
  "runtime",
] as const;

export type FailureStep = (typeof FAILURE_STEPS)[number];

export function isFailureStep(value: string): value is FailureStep {
  return (FAILURE_STEPS as readonly string[]).includes(value);
}
