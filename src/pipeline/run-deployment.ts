import path from "node:path";
import type { Config } from "../config.js";
import { sandboxFor } from "../exec/sandbox.js";
import { openReleaseHost } from "../hosting/release-host.js";
import type { Logger } from "../logger.js";
import { takeOverDeadAttempt } from "../recovery/take-over-dead-attempt.js";
import type { Keyring } from "../secrets/keyring.js";
import { workerSecrets } from "../secrets/worker-secrets.js";
import { projectBoxLimits } from "../store/box-limits.js";
import {
  type ElsewherePlace,
  pickupPlace,
  readDeploymentPickup,
} from "../store/deployment-host.js";
import { isEndedStatus } from "../store/deployment-statuses.js";
import {
  addWarning,
  type ClaimedDeployment,
  claimDeployment,
  finishDeployment,
  recordSandbox,
  requeueDeployment,
} from "../store/deployments.js";
import type { Db } from "../store/prisma.js";
import { projectAppUid } from "../store/project-app-uid.js";
import { tryEnterProjectLane } from "../store/project-lane.js";
import { liveDeploymentOf } from "../store/releases.js";
import { type Attempt, StaleAttemptError } from "../store/stale-attempt.js";
import { resetSteps, skipPendingSteps } from "../store/steps.js";
import type { StepChanged } from "./context.js";
import { prepareRelease } from "./prepare-release.js";
import { runPipeline } from "./run-pipeline.js";
import { DEPLOY_STEPS } from "./steps/index.js";

export type DeployDeps = {
  db: Db;
  logger: Logger;
  config: Config;
  keyring: Keyring;
  /** Told of each recorded step start and end (the deploy job publishes them as events). */
  onStepChange?: StepChanged;
};

/** How one attempt at a deployment ended, as far as the queue is concerned. */
export type DeploymentRun =
  | "succeeded"
  | "failed"
  | "cancelled"
  | "handed-back"
  | "already-ended"
  | "busy"
  /**
   * Not here (store/deployment-host.ts pickupPlace): refused, waiting for a move or for a failed
   * move's source to take writes again, or moved.
   */
  | ElsewherePlace["kind"]
  /** Failed for a reason a retry can fix (the database or network briefly gone): queued again. */
  | "retry";

const CANCEL_POLL_MS = 1_000;

/**
 * Runs one attempt at a recorded deployment, alone in its project's lane ("busy" when another
 * deploy of the project is running): claims it, runs the pipeline in a fresh release directory
 * and records the end. A deploy interrupted by shutdown goes back to `queued`; one cancelled
 * from any machine stops at once. One recorded for another host, or whose project is being
 * moved or lives elsewhere now, is not run here (pickupPlace): the caller is told where it goes.
 */
export async function runDeployment(
  deps: DeployDeps,
  deploymentId: string,
  shutdown: AbortSignal,
  options: {
    canRetry: boolean;
    maxAttempts: number;
    /** Told which project's lane was taken, when the answer is "busy". */
    onBusy?: (projectId: string) => void;
    /** Told where it runs instead, when the answer is one of ElsewherePlace's kinds. */
    onElsewhere?: (place: ElsewherePlace) => void;
  },
): Promise<DeploymentRun> {
  // Raw, as every statement from the queue to the first step: Prisma 6 compiles each ORM query.
  // The same statement says where it runs: its host, and its project's move.
  const found = await readDeploymentPickup(deps.db, deploymentId);
  if (!found || isEndedStatus(found.status)) return "already-ended";
  const place = pickupPlace(found, deps.config.host.id);
  if (place.kind !== "here") {
    options.onElsewhere?.(place);
    return place.kind;
  }
  const lane = await tryEnterProjectLane(deps.config.databaseUrl, found.projectId);
  if (!lane) {
    options.onBusy?.(found.projectId);
    return "busy";
  }
  let cancel: ReturnType<typeof watchForCancel> | undefined;
  try {
    // A queued deployment, the usual case, is claimed in one statement.
    let claimed = await claimDeployment(deps.db, deploymentId, ["queued"]);
    if (!claimed) {
      // Still `running` while we hold its lane: the worker of its last attempt is gone.
      const takenOver = await takeOverDeadAttempt(
        {
          db: deps.db,
          logger: deps.logger,
          maxAttempts: options.maxAttempts,
          releaseHost: () => openReleaseHost(deps.config),
        },
        deploymentId,
      );
      if (takenOver && takenOver.outcome !== "queued") return "already-ended";
      claimed = await claimDeployment(deps.db, deploymentId);
      if (!claimed) return "already-ended";
    }
    cancel = watchForCancel(deps.db, { deploymentId, attempt: claimed.attempt });
    return await runClaimed(
      deps,
      claimed,
      AbortSignal.any([shutdown, cancel.signal, lane.lost]),
      options.canRetry,
    );
  } catch (error) {
    if (!(error instanceof StaleAttemptError)) throw error;
    // A newer attempt owns the deployment (this worker lost its job and its lane): its record
    // stands, and nothing this attempt still wanted to write was written.
    deps.logger.warn(
      { deploymentId, attempt: error.attempt, err: error },
      "a newer attempt took over this deploy; this attempt stopped",
    );
    return "already-ended";
  } finally {
    cancel?.stop();
    await lane.release();
  }
}

async function runClaimed(
  deps: DeployDeps,
  deployment: ClaimedDeployment,
  signal: AbortSignal,
  canRetry: boolean,
): Promise<DeploymentRun> {
  const { db, config } = deps;
  const deploymentId = deployment.id;
  const attempt: Attempt = { deploymentId, attempt: deployment.attempt };
  const project = deployment.project.slug;
  const logger = deps.logger.child({ deploymentId, project });
  if (deployment.attempt > 1) await resetSteps(db, attempt);
  logger.info({ attempt: deployment.attempt, ref: deployment.ref }, "deploy started");
  const releaseDir = path.join(
    config.dataDir,
    "releases",
    project,
    `${deploymentId}-${deployment.attempt}`,
  );
  // The project's own uid: its releases and HOME are its, app code runs as it.
  const uid =
    deployment.project.appUid ?? (await projectAppUid(db, deployment.projectId, config.appUidBase));
  const owner = { uid, gid: uid };
  // At once: none of these depends on another, and the first step waits for all of them.
  const [notRun, limits] = await Promise.all([
    prepareRelease(
      db,
      deployment,
      releaseDir,
      config.host.id,
      config.sandbox === "off" ? null : owner,
    ),
    projectBoxLimits(db, deployment.projectId, config.boxLimits),
    recordSandbox(db, deploymentId, config.sandbox),
  ]);
  const sandbox = await sandboxFor(
    config.sandbox,
    { dataDir: config.dataDir, releaseDir, project },
    owner,
    limits,
  );
  const result = await runPipeline(
    {
      db,
      config,
      keyring: deps.keyring,
      logger,
      deployment: {
        id: deploymentId,
        attempt: deployment.attempt,
        projectId: deployment.projectId,
        project,
        repoUrl: deployment.repoUrl,
        ref: deployment.ref,
      },
      app: { config: {} },
      releaseDir,
      notRun,
      sandbox,
      appEnv: {},
      secrets: workerSecrets(config),
      signal,
      onStepChange: deps.onStepChange,
    },
    DEPLOY_STEPS,
  );

  switch (result.status) {
    case "succeeded":
      await finishDeployment(db, attempt, { status: "succeeded" });
      logger.info("deploy succeeded");
      return "succeeded";
    case "failed":
      if (result.retryable && canRetry) {
        await addWarning(
          db,
          deploymentId,
          `attempt ${deployment.attempt} failed at ${result.step} (${result.code}); retrying`,
        );
        await requeueDeployment(db, attempt);
        logger.warn(
          { step: result.step, errorCode: result.code },
          "deploy failed for a passing reason; retrying",
        );
        return "retry";
      }
      await noteWhatStillServes(db, deploymentId, project);
      await finishDeployment(db, attempt, {
        status: "failed",
        errorCode: result.code,
        hint: result.hint,
      });
      logger.info({ step: result.step, errorCode: result.code }, "deploy failed");
      return "failed";
    case "interrupted":
      if (result.reason === "cancel") {
        await skipPendingSteps(db, attempt, "not run: the deploy was cancelled");
        await noteWhatStillServes(db, deploymentId, project);
        await finishDeployment(db, attempt, { status: "cancelled", errorCode: "CANCELLED" });
        logger.info({ step: result.step }, "deploy cancelled");
        return "cancelled";
      }
      await requeueDeployment(db, attempt);
      logger.warn(
        { step: result.step },
        "deploy interrupted by shutdown; handed back to the queue",
      );
      return "handed-back";
  }
}

/** A failed or cancelled deploy says which release keeps serving (the previous one is untouched). */
async function noteWhatStillServes(db: Db, deploymentId: string, project: string): Promise<void> {
  const live = await liveDeploymentOf(db, project);
  if (live && live.id !== deploymentId) {
    const version = live.commitSha ? ` (${live.commitSha.slice(0, 12)})` : "";
    await addWarning(
      db,
      deploymentId,
      `not deployed; deployment ${live.id}${version} is still live`,
    );
  }
}

/**
 * Polls for `coduck-worker cancel`, which may come from any machine, and for a newer attempt
 * having taken the deployment over (this worker lost its job): then this attempt stops at once.
 */
function watchForCancel(db: Db, { deploymentId, attempt }: Attempt) {
  const controller = new AbortController();
  const timer = setInterval(async () => {
    // Raw: every running deploy asks this every CANCEL_POLL_MS, and Prisma 6 compiles each ORM
    // query anew (about 1.5 ms of CPU).
    const [row] = await db.$queryRaw<{ cancelled: boolean; attempt: number }[]>`
      SELECT "cancelRequestedAt" IS NOT NULL AS cancelled, attempt
        FROM "Deployment" WHERE id = ${deploymentId}::uuid`.catch(() => []);
    if (row?.cancelled) controller.abort("cancel");
    else if (row && row.attempt !== attempt) controller.abort("stale-attempt");
  }, CANCEL_POLL_MS);
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}
