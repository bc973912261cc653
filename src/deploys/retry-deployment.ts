import { z } from "zod";
import { checkReuse } from "../pipeline/check-reuse.js";
import { ALWAYS_RUN, stepsBefore } from "../pipeline/reused-steps.js";
import { DEPLOY_STEP_NAMES, isDeployStepName } from "../pipeline/step-names.js";
import { isRetryableStatus } from "../store/deployment-statuses.js";
import { addWarning, createDeployment } from "../store/deployments.js";
import { placementFor } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";
import { type ReleaseSource, releaseSource, releaseSources } from "../store/release-directories.js";

import { OperationRefusedError } from "./operation-refused.js";
import type { PlacingDeps } from "./queue-deployment.js";
import { recordThenQueue } from "./queue-deployment.js";
import { schemaNotRolledBack } from "./rollback-deployment.js";

export type RetryRequest = {
  deploymentId: string;
  /** The first step to run again; by default the one that failed, when what came before is valid. */
  fromStep?: string;
  /** Who asks: the OS user for the CLI, whatever the dashboard or API caller passes. */
  requestedBy: string | null;
};

export type RetryPlan = {
  retryOf: ReleaseSource;
  /** The first step that runs again after `provision` (which always runs). */
  fromStep: string;
  /** The steps taken from the retried deployment's release instead of running again. */
  reused: string[];
  /** Why nothing could be reused, when the failed step was not the first and no --from was given. */
  notReused: string | null;
};

export type RetryResult = {
  deploymentId: string;
  retryOf: string;
  retryNumber: number;
  fromStep: string;
  reused: string[];
  notReused: string | null;
  /** Queued deploys of the project the retry superseded, as any new deploy does. */
  superseded: string[];
};

/**
 * Works out how a failed or cancelled deployment would be retried, without recording
 * anything: from the step that failed when the steps before it are still valid (see
 * checkReuse), else from the start; or from `fromStep`, which must then be valid.
 */
export async function planRetry(
  db: Db,
  request: Omit<RetryRequest, "requestedBy">,
): Promise<RetryPlan> {
  checkRequest(request);
  return planFor(db, request, await releaseSource(db, request.deploymentId));
}

/**
 * planRetry for each of several deployments (`retry --all-failed`), each from its failed step,
 * in the order given: their rows and steps are read together (store/release-directories.ts), not
 * one deployment at a time. What remains per deployment is checkReuse's: a fingerprint of its
 * release directory, and a query when the steps to reuse include `schema`.
 */
export async function planRetries(db: Db, deploymentIds: readonly string[]): Promise<RetryPlan[]> {
  for (const deploymentId of deploymentIds) checkRequest({ deploymentId });
  const sources = await releaseSources(db, deploymentIds);
  const plans: RetryPlan[] = [];
  for (const deploymentId of deploymentIds)
    plans.push(await planFor(db, { deploymentId }, sources.get(deploymentId) ?? null));
  return plans;
}

function checkRequest(request: Omit<RetryRequest, "requestedBy">): void {
  if (!z.uuid().safeParse(request.deploymentId).success)
    throw new OperationRefusedError(
      "invalid",
      `not a deployment id: ${JSON.stringify(request.deploymentId)}`,
    );
  if (request.fromStep !== undefined && !isDeployStepName(request.fromStep)) {
    throw new OperationRefusedError(
      "invalid",
      `--from: no step ${JSON.stringify(request.fromStep)} in the pipeline; its steps are ${DEPLOY_STEP_NAMES.join(", ")}`,
    );
  }
}

async function planFor(
  db: Db,
  request: Omit<RetryRequest, "requestedBy">,
  source: ReleaseSource | null,
): Promise<RetryPlan> {
  if (!source)
    throw new OperationRefusedError("not-found", `no deployment ${request.deploymentId}`);
  if (!isRetryableStatus(source.status)) {
    throw new OperationRefusedError(
      "conflict",
      `deployment ${source.id} is ${source.status}: only failed or cancelled deployments can be retried`,
    );
  }
  const reusable = (from: string) =>
    stepsBefore(from).filter((name) => !(source.rollbackToId && name === "schema"));

  if (request.fromStep !== undefined) {
    const reused = reusable(request.fromStep);
    const check = await checkReuse(db, source, reused);
    if (!check.ok) {
      throw new OperationRefusedError(
        "invalid",
        `cannot retry deployment ${source.id} from ${request.fromStep}: ${check.reason}`,
      );
    }
    return plan(source, request.fromStep, reused, null);
  }
  const firstUnfinished =
    source.steps.find(
      (s) =>
        !ALWAYS_RUN.has(s.name) &&
        !(s.status === "succeeded" || (s.status === "skipped" && s.startedAt !== null)),
    )?.name ?? "checkout";
  const reused = reusable(firstUnfinished);
  const check = await checkReuse(db, source, reused);
  return check.ok
    ? plan(source, firstUnfinished, reused, null)
    : plan(source, "checkout", [], check.reason);
}

function plan(
  retryOf: ReleaseSource,
  fromStep: string,
  reused: string[],
  notReused: string | null,
): RetryPlan {
  const first = reused.length === 0 ? "checkout" : fromStep;
  return { retryOf, fromStep: first, reused, notReused };
}

/**
 * Retries a failed or cancelled deployment as a new deployment linked to it (`retryOfId`, its
 * `retryNumber` in the chain, who asked), of the same commit when it got that far; it is
 * queued like any deploy (and supersedes the project's queued deploys, as any deploy does).
 * The CLI, the dashboard and the API all retry through this.
 */
export async function retryDeployment(
  deps: PlacingDeps,
  request: RetryRequest,
): Promise<RetryResult> {
  const planned = await planRetry(deps.db, request);
  return recordRetry(deps, planned, request.requestedBy);
}

/** Records and queues a planned retry. */
export async function recordRetry(
  deps: PlacingDeps,
  planned: RetryPlan,
  requestedBy: string | null,
): Promise<RetryResult> {
  const { retryOf } = planned;
  const retryNumber = retryOf.retryNumber + 1;
  const { deploymentId: id, superseded } = await recordThenQueue(deps, async () => {
    const { id, superseded, hostId } = await createDeployment(deps.db, {
      project: retryOf.project.slug,
      repoUrl: retryOf.repoUrl,
      ref: retryOf.commitSha ?? retryOf.ref,
      trigger: "retry",
      steps: DEPLOY_STEP_NAMES,
      ...(deps.config && { placement: placementFor(deps.config.host) }),
      lineage: {
        requestedBy,
        retryOfId: retryOf.id,
        retryNumber,
        ...(retryOf.rollbackToId && { rollbackToId: retryOf.rollbackToId }),
        fromStep: planned.reused.length > 0 ? planned.fromStep : null,
      },
    });
    // A retry of a rollback is a rollback too: it leaves the schema alone, and says so.
    if (retryOf.rollbackToId && retryOf.commitSha)
      await addWarning(deps.db, id, schemaNotRolledBack(retryOf.rollbackToId, retryOf.commitSha));
    return { deploymentId: id, superseded, hostId };
  });
  return {
    deploymentId: id,
    retryOf: retryOf.id,
    retryNumber,
    fromStep: planned.fromStep,
    reused: planned.reused,
    notReused: planned.notReused,
    superseded,
  };
}
