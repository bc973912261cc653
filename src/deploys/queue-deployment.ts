import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import { DEPLOY_STEP_NAMES } from "../pipeline/step-names.js";
import { enqueueDeploy } from "../queue/deploy-job.js";
import type { HostQueues } from "../queue/host-queues.js";
import { createDeployment, deploymentHost } from "../store/deployments.js";
import type { PlacementOptions } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";
import type { SqlDb } from "../store/sql-transaction.js";
import type { DeployRequest } from "./deploy-request.js";

/**
 * Records a deployment, then queues its job on its host's queue (`deploys@<host>`), in that
 * order: the row (and whatever belongs with it) is committed before Redis hears of it, so the
 * reconciler can always find what Redis lost. Every way a deployment starts (a deploy, a push,
 * a retry, a rollback) goes through here, on any machine. The host is the recorded
 * deployment's (createDeployment returns it; otherwise it is read back).
 * `needsJob` says whether the recorded deployment still needs its job (a repeated push does not).
 */
export async function recordThenQueue<T extends { deploymentId: string; hostId?: string | null }>(
  deps: { db: SqlDb; queues: HostQueues },
  record: () => Promise<T>,
  needsJob: (recorded: T) => boolean = () => true,
): Promise<T> {
  const recorded = await record();
  if (!needsJob(recorded)) return recorded;
  const hostId = recorded.hostId ?? (await deploymentHost(deps.db, recorded.deploymentId));
  if (!hostId)
    throw new UsageError(
      `deployment ${recorded.deploymentId} was recorded, but its project has no host to run on (a project from before hosts, with several hosts registered): see coduck-worker doctor`,
    );
  await enqueueDeploy(deps.queues, hostId, recorded.deploymentId);
  return recorded;
}

/**
 * What a retry or rollback records and queues with: with `config`, a project that has no host
 * yet (from before hosts) is placed as a first deploy would place it; HttpDeps and the CLI's
 * config both fit.
 */
export type PlacingDeps = {
  db: Db;
  queues: HostQueues;
  config?: { host: Config["host"] };
};

/**
 * Records and queues a deployment of a validated request; resolves with its id. A project seen
 * for the first time is placed on a host (`placement`). On a bare pg pool it loads nothing of
 * Prisma (the CLI's `deploy`, which must answer at once).
 */
export async function queueDeployment(
  deps: { db: SqlDb; queues: HostQueues; placement: PlacementOptions },
  request: DeployRequest,
  trigger: string,
  requestedBy: string | null = null,
): Promise<string> {
  const { deploymentId } = await recordThenQueue(deps, async () => {
    const { id, hostId } = await createDeployment(deps.db, {
      ...request,
      trigger,
      lineage: { requestedBy },
      steps: DEPLOY_STEP_NAMES,
      placement: deps.placement,
    });
    return { deploymentId: id, hostId };
  });
  return deploymentId;
}
