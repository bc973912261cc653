import path from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Keyring } from "../secrets/keyring.js";
import { claimDeployment, finishDeployment, requeueDeployment } from "../store/deployments.js";
import type { Db } from "../store/prisma.js";
import { resetSteps } from "../store/steps.js";
import { runPipeline } from "./run-pipeline.js";
import { DEPLOY_STEPS } from "./steps/index.js";

export type DeployDeps = { db: Db; logger: Logger; config: Config; keyring: Keyring };

/** How one attempt at a deployment ended, as far as the queue is concerned. */
export type DeploymentRun = "succeeded" | "failed" | "cancelled" | "handed-back" | "already-ended";

/**
 * Runs one attempt at a recorded deployment: claims it, runs the pipeline in a fresh release
 * directory and records the end. A deploy interrupted by shutdown goes back to `queued`.
 */
export async function runDeployment(
  deps: DeployDeps,
  deploymentId: string,
  signal: AbortSignal,
): Promise<DeploymentRun> {
  const { db, config } = deps;
  const deployment = await claimDeployment(db, deploymentId);
  if (!deployment) return "already-ended";
  const project = deployment.project.slug;
  const logger = deps.logger.child({ deploymentId, project });
  if (deployment.attempt > 1) await resetSteps(db, deploymentId);
  logger.info({ attempt: deployment.attempt, ref: deployment.ref }, "deploy started");

  const result = await runPipeline(
    {
      db,
      config,
      keyring: deps.keyring,
      logger,
      deployment: { id: deploymentId, project, repoUrl: deployment.repoUrl, ref: deployment.ref },
      releaseDir: path.join(
        config.dataDir,
        "releases",
        project,
        `${deploymentId}-${deployment.attempt}`,
      ),
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
      await finishDeployment(db, deploymentId, {
        status: "failed",
        errorCode: result.code,
        hint: result.hint,
      });
      logger.info({ step: result.step, errorCode: result.code }, "deploy failed");
      return "failed";
    case "interrupted":
      if (result.reason === "cancel") {
        await finishDeployment(db, deploymentId, { status: "cancelled", errorCode: "CANCELLED" });
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
