import type { DeployDeps } from "../pipeline/run-deployment.js";
import { enqueueDeploy } from "../queue/deploy-job.js";
import { HostQueues } from "../queue/host-queues.js";
import { isHeldJobState } from "../queue/job-states.js";
import { connectRedisForCommand } from "../queue/redis.js";
import { forwardDeployment } from "../store/deployment-host.js";

/**
 * Sends a queued deployment to the host its project lives on now (`to`, after a move): recorded
 * there first (one statement, only while still queued on `from`), then queued on that host's
 * deploy queue under its own id, as every enqueue site does. If queueing fails after the
 * record changed, `to`'s reconcile queues it within a minute (it is queued there, jobless).
 * Returns whether it was forwarded (false: cancelled or forwarded meanwhile).
 */
export async function forwardToProjectHost(
  deps: Pick<DeployDeps, "db" | "config">,
  deploymentId: string,
  from: string,
  to: string,
): Promise<boolean> {
  const forwarded = await forwardDeployment(
    deps.db,
    deploymentId,
    from,
    to,
    `queued on ${from}, forwarded to ${to}: the project lives there now`,
  );
  if (!forwarded) return false;
  // Another host's queue: a connection of its own, for this rare job (as a move's next stage).
  const redis = connectRedisForCommand(deps.config.redis);
  const queues = new HostQueues(redis, deps.config.queuePrefix);
  try {
    const queue = queues.deploy(to);
    const state = await queue.getJobState(deploymentId);
    if (isHeldJobState(state)) return true;
    // A finished job of the same id (it ran there once, before a move back) would make the add
    // a no-op.
    if (state !== "unknown") await queue.remove(deploymentId).catch(() => 0);
    await enqueueDeploy(queues, to, deploymentId);
    return true;
  } finally {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
