import path from "node:path";
import type { Config } from "../config.js";
import { prepareRelease } from "../deploys/prepare-release.js";
import type { Logger } from "../logger.js";
import { tryEnterProjectLane } from "../queue/project-lane.js";
import type { Keyring } from "../secrets/keyring.js";
import {
  addWarning,
  claimDeployment,
  finishDeployment,
  requeueDeployment,
} from "../store/deployments.js";
import type { Db } from "../store/prisma.js";
import { liveDeploymentOf } from "../store/releases.js";
import { resetSteps, skipPendingSteps } from "../store/steps.js";
import { runPipeline } from "./run-pipeline.js";
import { DEPLOY_STEPS } from "./steps/index.js";

export type DeployDeps = { db: Db; logger: Logger; config: Config; keyring: Keyring };

/** How one attempt at a deployment ended, as far as the queue is concerned. */
export type DeploymentRun =
  | "succeeded"
  | "failed"
  | "cancelled"
  | "handed-back"
  | "already-ended"
  | "busy"
  /** Failed for a reason a retry can fix (the database or network briefly gone): queued again. */
  | "retry";

const ENDED = new Set(["succeeded", "failed", "cancelled", "superseded"]);
const CANCEL_POLL_MS = 1_000;

/**
 * Runs one attempt at a recorded deployment, alone in its project's lane ("busy" when another
 * deploy of the project is running): claims it, runs the pipeline in a fresh release directory
 * and records the end. A deploy interrupted by shutdown goes back to `queued`; one cancelled
 * from any machine stops at once.
 */
export async function runDeployment(
  deps: DeployDeps,
  deploymentId: string,
  shutdown: AbortSignal,
  options: { canRetry: boolean } = { canRetry: false },
): Promise<DeploymentRun> {
  const found = await deps.db.deployment.findUnique({
    where: { id: deploymentId },
    select: { status: true, projectId: true },
  });
  if (!found || ENDED.has(found.status)) return "already-ended";
  const lane = await tryEnterProjectLane(deps.config.databaseUrl, found.projectId);
  if (!lane) return "busy";
  const cancel = watchForCancel(deps.db, deploymentId);
  try {
    return await runClaimed(
      deps,
      deploymentId,
      AbortSignal.any([shutdown, cancel.signal]),
      options.canRetry,
    );
  } finally {
    cancel.stop();
    await lane.release();
  }
}

async function runClaimed(
  deps: DeployDeps,
  deploymentId: string,
  signal: AbortSignal,
  canRetry: boolean,
): Promise<DeploymentRun> {
  const { db, config } = deps;
  const deployment = await claimDeployment(db, deploymentId);
  if (!deployment) return "already-ended";
  const project = deployment.project.slug;
  const logger = deps.logger.child({ deploymentId, project });
  if (deployment.attempt > 1) await resetSteps(db, deploymentId);
  logger.info({ attempt: deployment.attempt, ref: deployment.ref }, "deploy started");
  const releaseDir = path.join(
    config.dataDir,
    "releases",
    project,
    `${deploymentId}-${deployment.attempt}`,
  );
  const notRun = await prepareRelease(db, deployment, releaseDir);

  const result = await runPipeline(
    {
      db,
      config,
      keyring: deps.keyring,
      logger,
      deployment: {
        id: deploymentId,
        projectId: deployment.projectId,
        project,
        repoUrl: deployment.repoUrl,
        ref: deployment.ref,
      },
      app: { config: {} },
      releaseDir,
      notRun,
      appEnv: {},
      secrets: workerSecrets(config),
      signal,
    },
    DEPLOY_STEPS,
  );

  switch (result.status) {
    case "succeeded":
      await finishDeployment(db, deploymentId, { status: "succeeded" });
      logger.info("deploy succeeded");
      return "succeeded";
    case "failed":
      if (result.retryable && canRetry) {
        await addWarning(
          db,
          deploymentId,
          `attempt ${deployment.attempt} failed at ${result.step} (${result.code}); retrying`,
        );
        await requeueDeployment(db, deploymentId);
        logger.warn(
          { step: result.step, errorCode: result.code },
          "deploy failed for a passing reason; retrying",
        );
        return "retry";
      }
      await noteWhatStillServes(db, deploymentId, project);
      await finishDeployment(db, deploymentId, {
        status: "failed",
        errorCode: result.code,
        hint: result.hint,
      });
      logger.info({ step: result.step, errorCode: result.code }, "deploy failed");
      return "failed";
    case "interrupted":
      if (result.reason === "cancel") {
        await skipPendingSteps(db, deploymentId, "not run: the deploy was cancelled");
        await noteWhatStillServes(db, deploymentId, project);
        await finishDeployment(db, deploymentId, { status: "cancelled", errorCode: "CANCELLED" });
        logger.info({ step: result.step }, "deploy cancelled");
        return "cancelled";
      }
      await requeueDeployment(db, deploymentId);
      logger.warn(
        { step: result.step },
        "deploy interrupted by shutdown; handed back to the queue",
      );
      return "handed-back";
  }
}

/** The worker's own secrets, redacted from every stored log line should an app print them. */
function workerSecrets(config: Config): string[] {
  return [config.databaseUrl, config.adminDatabaseUrl, config.redisUrl]
    .map((url) => decodeURIComponent(new URL(url).password))
    .concat(config.pgbouncer.authPassword ?? [], config.secretsKey ?? [])
    .filter((secret) => secret.length >= 4);
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

/** Polls for `coduck-worker cancel`, which may come from any machine. */
function watchForCancel(db: Db, deploymentId: string) {
  const controller = new AbortController();
  const timer = setInterval(async () => {
    const row = await db.deployment
      .findUnique({ where: { id: deploymentId }, select: { cancelRequestedAt: true } })
      .catch(() => null);
    if (row?.cancelRequestedAt) controller.abort("cancel");
  }, CANCEL_POLL_MS);
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}
