/**
 * The deploy pipeline's steps by name, in the order they run: the one list every part of the
 * worker names them from (records, the webhook, retries and rollbacks, the failure catalogue).
 * steps/index.ts holds their implementations in the same order, and a test keeps the two equal.
 */
export const DEPLOY_STEP_NAMES = [
  "provision",
  "checkout",
  "install",
  "build",
  "schema",
  "start",
] as const;

export type DeployStepName = (typeof DEPLOY_STEP_NAMES)[number];

/**
 * Where a failure can come from: the deploy steps, plus `runtime` (the app's output after start,
 * while it is still serving requests).
 */
export const FAILURE_STEPS = [...DEPLOY_STEP_NAMES, "runtime"] as const;

export type FailureStep = (typeof FAILURE_STEPS)[number];

export function isFailureStep(value: string): value is FailureStep {
  return (FAILURE_STEPS as readonly string[]).includes(value);
}

export function isDeployStepName(value: string): value is DeployStepName {
  return (DEPLOY_STEP_NAMES as readonly string[]).includes(value);
}
